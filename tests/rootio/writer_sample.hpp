// A tree with every leaf type as scalar, fixed-size array and jagged branch, filled in uneven
// batches, shared by the writer tests. The values are kept in full so that tests can compute what
// a reader must find (counts, sums, extremes, first entries) independently of the writer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "rootio/writer.hpp"

namespace trigml::rootio::testing {

struct SampleBranch {
  std::string name;
  LeafType type;
  enum Kind { Scalar, Fixed, Counter, Jagged } kind;
  uint32_t length = 1;  // Fixed
  size_t counter = 0;   // Jagged: index of its counter in SampleTree::branches
  // All entries' values, concatenated; bool and uint8 as uint8_t, exactly as filled.
  std::variant<std::vector<uint8_t>, std::vector<int32_t>, std::vector<int64_t>, std::vector<float>,
               std::vector<double>>
      values;

  // The values as doubles (float32 widened), in entry order, as JSROOT sums them.
  std::vector<double> as_doubles() const {
    return std::visit([](const auto& v) { return std::vector<double>(v.begin(), v.end()); }, values);
  }
};

struct SampleTree {
  uint64_t entries = 0;
  std::vector<SampleBranch> branches;

  // Values of entry `entry` of branch `index`: [begin, end) in its value vector.
  std::pair<size_t, size_t> entry_range(size_t index, uint64_t entry) const {
    const SampleBranch& b = branches[index];
    if (b.kind == SampleBranch::Jagged) {
      const auto& counts = std::get<std::vector<int32_t>>(branches[b.counter].values);
      size_t begin = 0;
      for (uint64_t e = 0; e < entry; ++e) begin += static_cast<size_t>(counts[e]);
      return {begin, begin + static_cast<size_t>(counts[entry])};
    }
    return {entry * b.length, (entry + 1) * b.length};
  }
};

inline SampleTree make_sample_tree(uint64_t entries) {
  SampleTree tree;
  tree.entries = entries;
  auto& b = tree.branches;
  const LeafType types[] = {LeafType::Bool,  LeafType::UInt8,   LeafType::Int32,
                            LeafType::Int64, LeafType::Float32, LeafType::Float64};
  const char* names[] = {"flag", "byte", "i32", "i64", "f32", "f64"};
  auto make_values = [](LeafType type, size_t count, uint64_t salt) -> decltype(SampleBranch::values) {
    auto value = [salt](size_t k) { return (k * 2654435761u + salt * 40503u) % 100003; };
    switch (type) {
      case LeafType::Bool: {
        std::vector<uint8_t> v(count);
        for (size_t k = 0; k < count; ++k) v[k] = value(k) % 3 == 0;
        return v;
      }
      case LeafType::UInt8: {
        std::vector<uint8_t> v(count);
        for (size_t k = 0; k < count; ++k) v[k] = static_cast<uint8_t>(value(k) % 256);
        return v;
      }
      case LeafType::Int32: {
        std::vector<int32_t> v(count);
        for (size_t k = 0; k < count; ++k) v[k] = static_cast<int32_t>(value(k)) - 50000;
        return v;
      }
      case LeafType::Int64: {
        std::vector<int64_t> v(count);
        // Non-negative: JSROOT 7.11 misreads negative 64-bit integers whose low word is below 2^31.
        // Large enough to need the high word.
        for (size_t k = 0; k < count; ++k) v[k] = static_cast<int64_t>(value(k)) * 1000003;
        return v;
      }
      case LeafType::Float32: {
        std::vector<float> v(count);
        for (size_t k = 0; k < count; ++k) v[k] = static_cast<float>(value(k)) * 0.01f - 400.5f;
        return v;
      }
      case LeafType::Float64: {
        std::vector<double> v(count);
        for (size_t k = 0; k < count; ++k) v[k] = static_cast<double>(value(k)) / 7.0 - 3000.0;
        return v;
      }
    }
    return std::vector<uint8_t>{};
  };

  uint64_t salt = 1;
  for (size_t t = 0; t < 6; ++t)
    b.push_back({names[t], types[t], SampleBranch::Scalar, 1, 0, make_values(types[t], entries, salt++)});
  for (size_t t = 0; t < 6; ++t)
    b.push_back({std::string(names[t]) + "_array", types[t], SampleBranch::Fixed, 3, 0,
                 make_values(types[t], entries * 3, salt++)});

  // Counter with empty entries and long ones, so baskets hold very different entry sizes.
  std::vector<int32_t> counts(entries);
  size_t total = 0;
  for (uint64_t e = 0; e < entries; ++e) {
    counts[e] = static_cast<int32_t>((e * 7919) % 13 == 0 ? 0 : (e * 104729) % 9);
    total += static_cast<size_t>(counts[e]);
  }
  const size_t counter = b.size();
  b.push_back({"Electron_size", LeafType::Int32, SampleBranch::Counter, 1, 0, counts});
  const char* members[] = {"Electron.IsolationFlag",
                           "Electron.Quality",
                           "Electron.Charge",
                           "Electron.Id",
                           "Electron.PT",
                           "Electron.E"};
  for (size_t t = 0; t < 6; ++t)
    b.push_back(
        {members[t], types[t], SampleBranch::Jagged, 1, counter, make_values(types[t], total, salt++)});
  return tree;
}

// Declares the sample's branches on `writer` and fills them in batches of `batch` entries.
inline void write_sample_tree(TreeWriter& writer, const SampleTree& tree, uint64_t batch) {
  std::vector<BranchId> ids;
  for (const SampleBranch& b : tree.branches) {
    switch (b.kind) {
      case SampleBranch::Scalar: ids.push_back(writer.add_scalar(b.name, b.type)); break;
      case SampleBranch::Fixed: ids.push_back(writer.add_fixed_array(b.name, b.type, b.length)); break;
      case SampleBranch::Counter: ids.push_back(writer.add_counter(b.name)); break;
      case SampleBranch::Jagged: ids.push_back(writer.add_jagged(b.name, b.type, ids[b.counter])); break;
    }
  }
  for (uint64_t first = 0; first < tree.entries; first += batch) {
    const uint64_t last = std::min(tree.entries, first + batch);
    for (size_t i = 0; i < tree.branches.size(); ++i) {
      const size_t begin = tree.entry_range(i, first).first;
      const size_t end = last == tree.entries
                             ? std::visit([](const auto& v) { return v.size(); }, tree.branches[i].values)
                             : tree.entry_range(i, last).first;
      std::visit([&](const auto& v) { writer.fill(ids[i], std::span(v).subspan(begin, end - begin)); },
                 tree.branches[i].values);
    }
    writer.end_batch(last - first);
  }
}

}  // namespace trigml::rootio::testing

// Compares what trigml's reader reads from a branch with what the JSROOT reference tool read
// (shared/tools/rootref/makeref.mjs): entry count, element count, per-path count, sum, order-
// weighted sum, min, max, and the first entries.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "rootio/tree.hpp"

namespace trigml::rootio::testing {

using json = nlohmann::json;

struct Stat {
  uint64_t count = 0;
  double sum = 0;
  double wsum = 0;
  double min = INFINITY;
  double max = -INFINITY;
  uint64_t nonfinite = 0;
};

// Mirrors how the reference visits a value: numbers per path, '[]' for list items, '.name' for
// object members, strings counted apart.
struct Visitor {
  std::map<std::string, Stat> stats;
  uint64_t strings = 0;

  void number(const std::string& path, double x) {
    Stat& s = stats[path];
    s.count++;
    if (!std::isfinite(x)) {  // counted, but kept out of sums and extremes (as the reference does)
      s.nonfinite++;
      return;
    }
    s.sum += x;
    s.wsum += static_cast<double>(s.count) * x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  void visit(const Value& v, const std::string& path) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, bool>) {
            number(path, x ? 1.0 : 0.0);
          } else if constexpr (std::is_same_v<T, int64_t> || std::is_same_v<T, uint64_t> ||
                               std::is_same_v<T, double>) {
            number(path, static_cast<double>(x));
          } else if constexpr (std::is_same_v<T, std::string>) {
            ++strings;
          } else if constexpr (std::is_same_v<T, std::shared_ptr<List>>) {
            for (const Value& item : *x) visit(item, path + "[]");
          } else if constexpr (std::is_same_v<T, std::shared_ptr<Record>>) {
            for (const auto& [name, field] : x->fields) visit(field, path + "." + name);
          }
        },
        v.data);
  }
};

inline bool close(double a, double b, double relative) {
  if (a == b) return true;
  return std::fabs(a - b) <= relative * std::max(std::fabs(a), std::fabs(b));
}

inline double as_number(const json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_boolean()) return j.get<bool>() ? 1 : 0;
  if (j.is_object() && j.contains("bigint")) return std::stod(j["bigint"].get<std::string>());
  return NAN;
}

// Compares our value with the reference's JSON of the same entry (which truncates long lists).
inline std::string compare_json(const nlohmann::ordered_json& ours, const json& ref,
                                const std::string& where) {
  if (ref.is_object() && ref.contains("truncated_len")) {
    if (!ours.is_array()) return where + ": expected a list";
    if (ours.size() != ref["truncated_len"].get<size_t>())
      return fmt::format("{}: list length {} vs reference {}", where, ours.size(),
                         ref["truncated_len"].get<size_t>());
    const json& items = ref["items"];
    for (size_t i = 0; i < items.size(); ++i) {
      auto d = compare_json(ours[i], items[i], fmt::format("{}[{}]", where, i));
      if (!d.empty()) return d;
    }
    return {};
  }
  if (ref.is_array()) {
    if (!ours.is_array()) return where + ": expected a list, got " + ours.dump().substr(0, 80);
    if (ours.size() != ref.size())
      return fmt::format("{}: list length {} vs reference {}", where, ours.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) {
      auto d = compare_json(ours[i], ref[i], fmt::format("{}[{}]", where, i));
      if (!d.empty()) return d;
    }
    return {};
  }
  if (ref.is_object() && !ref.contains("bigint")) {
    if (!ours.is_object()) return where + ": expected an object, got " + ours.dump().substr(0, 80);
    for (const auto& [key, value] : ref.items()) {
      if (key == "_typename") continue;
      if (!ours.contains(key)) return where + ": missing member " + key;
      auto d = compare_json(ours[key], value, where + "." + key);
      if (!d.empty()) return d;
    }
    return {};
  }
  // JSROOT's references spell the non-finite numbers "NaN", "Infinity" and "-Infinity"; trigml
  // prints "nan", "inf" and "-inf".
  static const std::map<std::string, std::string> non_finite = {
      {"NaN", "nan"}, {"Infinity", "inf"}, {"-Infinity", "-inf"}};
  if (ref.is_string() && non_finite.contains(ref.get<std::string>())) {
    const std::string& want = non_finite.at(ref.get<std::string>());
    bool same = ours.is_string() && ours.get<std::string>() == want;
    return same ? std::string{} : fmt::format("{}: {} vs reference {}", where, ours.dump(), ref.dump());
  }
  if (ref.is_string()) {
    if (ours.is_string() && ours.get<std::string>() == ref.get<std::string>()) return {};
    return fmt::format("{}: {} vs reference {}", where, ours.dump(), ref.dump());
  }
  double a = ours.is_boolean() ? (ours.get<bool>() ? 1 : 0) : ours.is_number() ? ours.get<double>() : NAN;
  double b = as_number(ref);
  if (!close(a, b, 1e-12) && !(std::isnan(a) && std::isnan(b)))
    return fmt::format("{}: {} vs reference {}", where, ours.dump(), ref.dump());
  return {};
}

// The reference reads fixed-size char arrays as strings (up to the first NUL).
inline nlohmann::ordered_json chars_as_string(const nlohmann::ordered_json& ours) {
  if (!ours.is_array()) return ours;
  std::string s;
  for (const auto& c : ours) {
    int64_t v = c.get<int64_t>();
    if (v == 0) break;
    s += static_cast<char>(v);
  }
  // JSROOT builds the string from char codes, i.e. Latin-1: re-encode as UTF-8 for comparison.
  std::string utf8;
  for (unsigned char ch : s) {
    if (ch < 0x80) {
      utf8 += static_cast<char>(ch);
    } else {
      utf8 += static_cast<char>(0xC0 | (ch >> 6));
      utf8 += static_cast<char>(0x80 | (ch & 0x3F));
    }
  }
  return utf8;
}

// TObject::fBits of a referenced object is followed by a 2-byte process id. JSROOT ignores it and
// reads the counted number of plain 4-byte values, so its numbers for such branches are shifted.
// Check ours by re-serialising them (with process id 0) and reading them back as JSROOT does.
inline bool check_referenced_bits(const Column& column, const std::string& type, const json& ref) {
  if (type.find("TObject bits") == std::string::npos) return false;
  constexpr uint32_t kIsReferenced = 1 << 4;
  if (column.kind != Column::Kind::Numeric || column.type != ElementType::UInt32 ||
      column.offsets.size() != 1)
    return false;
  auto values = column.as<uint32_t>();
  if (std::none_of(values.begin(), values.end(), [](uint32_t b) { return b & kIsReferenced; })) return false;
  EXPECT_EQ(values.size(), ref["stats"]["[]"]["count"].get<uint64_t>());
  const json& firsts = ref["first_entries"];
  for (size_t e = 0; e < firsts.size() && e < column.entries; ++e) {
    std::vector<uint8_t> bytes;
    for (uint64_t i = column.offsets[0][e]; i < column.offsets[0][e + 1]; ++i) {
      for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>(values[i] >> shift));
      if (values[i] & kIsReferenced) bytes.insert(bytes.end(), {0, 0});
    }
    const json& expected = firsts[e].is_object() ? firsts[e]["items"] : firsts[e];
    for (size_t i = 0; i < expected.size(); ++i) {
      uint32_t misread = (uint32_t{bytes[4 * i]} << 24) | (uint32_t{bytes[4 * i + 1]} << 16) |
                         (uint32_t{bytes[4 * i + 2]} << 8) | bytes[4 * i + 3];
      EXPECT_EQ(misread, expected[i].get<uint32_t>()) << "entry " << e << " item " << i;
    }
  }
  return true;
}

inline void check_branch(const Tree& tree, const Branch& branch, const json& ref) {
  Column column = tree.read(branch, 0, tree.entries());
  if (check_referenced_bits(column, tree.type_name(branch), ref)) return;
  ASSERT_EQ(column.entries, ref["entries_read"].get<uint64_t>());
  bool char_string = ref["kind"] == "string" && column.kind == Column::Kind::Numeric;
  Visitor visitor;
  uint64_t len_sum = 0;
  for (uint64_t e = 0; e < column.entries; ++e) {
    Value v = column.entry(e);
    if (const List* l = v.list()) len_sum += l->size();
    if (!char_string) visitor.visit(v, "");
  }
  if (!ref["len_sum"].is_null() && !char_string) {
    EXPECT_EQ(len_sum, ref["len_sum"].get<uint64_t>()) << "element count";
  }
  if (ref.contains("n_strings") && !char_string) {
    EXPECT_EQ(visitor.strings, ref["n_strings"].get<uint64_t>());
  }
  if (!char_string) {
    for (const auto& [path, s] : ref["stats"].items()) {
      SCOPED_TRACE("path '" + path + "'");
      auto it = visitor.stats.find(path);
      uint64_t expected_count = s["count"].get<uint64_t>();
      if (it == visitor.stats.end()) {
        EXPECT_EQ(expected_count, 0u) << "no values at this path";
        continue;
      }
      const Stat& ours = it->second;
      EXPECT_EQ(ours.count, expected_count);
      EXPECT_TRUE(close(ours.sum, as_number(s["sum"]), 1e-12)) << ours.sum << " vs " << s["sum"];
      EXPECT_TRUE(close(ours.wsum, as_number(s["wsum"]), 1e-12)) << ours.wsum << " vs " << s["wsum"];
      if (s.contains("nonfinite")) {
        EXPECT_EQ(ours.nonfinite, s["nonfinite"].get<uint64_t>());
      }
      if (!s["min"].is_null()) {
        EXPECT_EQ(ours.min, as_number(s["min"]));
        EXPECT_EQ(ours.max, as_number(s["max"]));
      }
    }
    for (const auto& [path, s] : visitor.stats)
      EXPECT_TRUE(ref["stats"].contains(path))
          << "values at path '" << path << "' that the reference does not have";
  }
  const json& firsts = ref["first_entries"];
  for (size_t e = 0; e < firsts.size() && e < column.entries; ++e) {
    auto ours = to_json(column.entry(e));
    if (char_string) ours = chars_as_string(ours);
    std::string difference = compare_json(ours, firsts[e], fmt::format("entry {}", e));
    EXPECT_TRUE(difference.empty()) << difference;
  }
}

}  // namespace trigml::rootio::testing

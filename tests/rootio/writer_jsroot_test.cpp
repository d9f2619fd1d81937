// Files written by trigml, read back by an independent reader (JSROOT): every branch of every
// leaf type and shape must come back with exactly the values written, for every compression.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/corpus.hpp"
#include "rootio/writer_sample.hpp"

namespace trigml::rootio {
namespace {

namespace fs = std::filesystem;
using testing::SampleBranch;
using testing::SampleTree;

constexpr uint64_t kEntries = 2500;
constexpr uint64_t kClusterEntries = 1000;
constexpr uint64_t kBatchEntries = 333;  // batches that do not line up with clusters

fs::path scratch_directory(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / fmt::format("trigml-writer-jsroot-{}-{}", ::getpid(), name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Where JSROOT is installed (scripts/test does it before CTest runs; every build tree shares it).
fs::path jsroot_cache() {
  if (const char* cache = std::getenv("TRIGML_JSROOT_CACHE")) return cache;
  return fs::path(TRIGML_SOURCE_DIR) / "build/jsroot";
}

struct Reference {
  bool available = false;
  std::string why_not;
  nlohmann::json json;
};

Reference read_with_jsroot(const fs::path& file, const fs::path& out) {
  fs::create_directories(out);
  const fs::path script = fs::path(TRIGML_SOURCE_DIR) / "tests/rootio/jsroot/makeref.sh";
  const fs::path rootref = fs::path(trigml::testing::corpus_dir()) / "../../tools/rootref";
  const std::string command =
      fmt::format("'{}' '{}' '{}' '{}' '{}' > '{}/log.txt' 2>&1", script.string(), jsroot_cache().string(),
                  rootref.string(), file.string(), out.string(), out.string());
  const int status = std::system(command.c_str());
  Reference reference;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
    reference.why_not =
        "node/npm or the jsroot package could not be installed (see " + out.string() + "/log.txt)";
    return reference;
  }
  std::ifstream log(out / "log.txt");
  const std::string log_text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "makeref.sh failed:\n" << log_text;
  std::ifstream json(out / (file.stem().string() + ".json"));
  EXPECT_TRUE(json.good()) << "no JSON written:\n" << log_text;
  if (!json.good()) return reference;
  reference.available = true;
  reference.json = nlohmann::json::parse(json);
  return reference;
}

struct Stats {
  size_t count = 0;
  double sum = 0, wsum = 0, min = 0, max = 0;
};

Stats stats_of(const std::vector<double>& values) {
  Stats s;
  for (double x : values) {
    if (s.count == 0) s.min = s.max = x;
    ++s.count;
    s.sum += x;
    s.wsum += static_cast<double>(s.count) * x;
    s.min = std::min(s.min, x);
    s.max = std::max(s.max, x);
  }
  return s;
}

// A JSON value as JSROOT reports it: a number, a boolean, or {"bigint": "..."} for 64-bit integers.
double json_number(const nlohmann::json& value) {
  if (value.is_boolean()) return value.get<bool>() ? 1 : 0;
  if (value.is_object() && value.contains("bigint")) return std::stod(value["bigint"].get<std::string>());
  return value.get<double>();
}

void expect_branch(const nlohmann::json& values, const SampleTree& tree, size_t index) {
  const SampleBranch& b = tree.branches[index];
  SCOPED_TRACE("branch " + b.name);
  ASSERT_TRUE(values.contains(b.name));
  const nlohmann::json& v = values[b.name];
  EXPECT_EQ(v["entries_read"].get<uint64_t>(), tree.entries);
  const bool is_array = b.kind == SampleBranch::Fixed || b.kind == SampleBranch::Jagged;
  const std::string path = is_array ? "[]" : "";
  const std::vector<double> doubles = b.as_doubles();
  const Stats expected = stats_of(doubles);
  ASSERT_TRUE(v["stats"].contains(path)) << v.dump();
  const nlohmann::json& s = v["stats"][path];
  EXPECT_EQ(s["count"].get<size_t>(), expected.count);
  EXPECT_EQ(s["sum"].get<double>(), expected.sum);
  EXPECT_EQ(s["wsum"].get<double>(), expected.wsum);
  EXPECT_EQ(s["min"].get<double>(), expected.min);
  EXPECT_EQ(s["max"].get<double>(), expected.max);
  if (is_array) {
    EXPECT_EQ(v["len_sum"].get<size_t>(), expected.count);
  }

  const nlohmann::json& first = v["first_entries"];
  ASSERT_EQ(first.size(), 3u);
  for (uint64_t entry = 0; entry < 3; ++entry) {
    const auto [begin, end] = tree.entry_range(index, entry);
    if (is_array) {
      ASSERT_EQ(first[entry].size(), end - begin) << "entry " << entry;
      for (size_t k = begin; k < end; ++k) {
        EXPECT_EQ(json_number(first[entry][k - begin]), doubles[k]);
      }
    } else {
      EXPECT_EQ(json_number(first[entry]), doubles[begin]) << "entry " << entry;
    }
  }
}

class WriterJsroot : public ::testing::TestWithParam<Compression> {};

TEST_P(WriterJsroot, EveryBranchReadsBackExactly) {
  const Compression compression = GetParam();
  const std::string label = std::to_string(static_cast<int>(compression));
  const fs::path dir = scratch_directory(label);
  const fs::path file = dir / ("sample-" + label + ".root");
  const SampleTree tree = testing::make_sample_tree(kEntries);
  const SampleTree small = testing::make_sample_tree(7);

  WriterOptions options;
  options.compression = compression;
  options.level = compression == Compression::None ? 0 : 4;
  options.basket_bytes = 4000;  // several baskets per cluster for the arrays
  options.cluster_entries = kClusterEntries;
  options.seed = 42;
  auto writer = FileWriter::create(file, options);
  writer->add_named("Process", "p p > t t~ (trigml test)");
  testing::write_sample_tree(writer->add_tree("events", "trigml writer test"), tree, kBatchEntries);
  testing::write_sample_tree(writer->add_tree("small", "a second tree"), small, 7);
  TreeWriter& empty = writer->add_tree("empty", "declared, never filled");
  empty.add_jagged("Jet.PT", LeafType::Float32, empty.add_counter("Jet_size"));
  writer->close();

  const Reference reference = read_with_jsroot(file, dir / "reference");
  if (!reference.available && !reference.why_not.empty()) GTEST_SKIP() << reference.why_not;
  ASSERT_TRUE(reference.available);
  const nlohmann::json& json = reference.json;
  ASSERT_FALSE(json.contains("open_error")) << json["open_error"];

  bool found_named = false;
  for (const auto& key : json["keys"])
    if (key["path"] == "Process") {
      found_named = key["classname"] == "TNamed";
    }
  EXPECT_TRUE(found_named) << json["keys"].dump();

  ASSERT_EQ(json["trees"].size(), 3u);
  for (const auto& t : json["trees"]) {
    if (t["path"] == "empty") {
      EXPECT_FALSE(t.contains("error")) << t["error"];
      EXPECT_EQ(t["entries"].get<uint64_t>(), 0u);
      EXPECT_EQ(t["n_terminal_branches"].get<size_t>(), 2u);
      continue;
    }
    const bool is_events = t["path"] == "events";
    const SampleTree& expected = is_events ? tree : small;
    SCOPED_TRACE("tree " + t["path"].get<std::string>());
    ASSERT_FALSE(t.contains("error")) << t["error"];
    EXPECT_EQ(t["entries"].get<uint64_t>(), expected.entries);
    EXPECT_EQ(t["auto_flush"].get<uint64_t>(), kClusterEntries);
    EXPECT_TRUE(t["errors"].empty()) << t["errors"].dump();
    EXPECT_EQ(t["counter_checks"]["mismatches"].size(), 0u);
    for (size_t i = 0; i < expected.branches.size(); ++i) expect_branch(t["values"], expected, i);
    if (!is_events) continue;
    // Every branch's baskets end at every cluster boundary.
    for (const auto& branch : t["branches"]) {
      ASSERT_TRUE(branch.contains("basket_entry")) << branch.dump();
      std::vector<uint64_t> boundaries = branch["basket_entry"].get<std::vector<uint64_t>>();
      for (uint64_t boundary = 0; boundary <= kEntries; boundary += kClusterEntries)
        EXPECT_NE(std::find(boundaries.begin(), boundaries.end(), boundary), boundaries.end())
            << branch["path"] << " has no basket boundary at " << boundary;
      EXPECT_EQ(boundaries.back(), kEntries);
    }
    EXPECT_EQ(t["branches"][12]["leaves"][0]["count"], nullptr);
    EXPECT_EQ(t["branches"][13]["leaves"][0]["count"], "Electron_size");
    EXPECT_EQ(t["branches"][13]["leaves"][0]["title"], "Electron.IsolationFlag[Electron_size]");
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Compressions, WriterJsroot,
                         ::testing::Values(Compression::None, Compression::Zlib, Compression::LZ4,
                                           Compression::ZSTD),
                         [](const ::testing::TestParamInfo<Compression>& parameter) {
                           switch (parameter.param) {
                             case Compression::None: return std::string("None");
                             case Compression::Zlib: return std::string("Zlib");
                             case Compression::LZ4: return std::string("LZ4");
                             case Compression::ZSTD: return std::string("ZSTD");
                           }
                           return std::string("Unknown");
                         });

}  // namespace
}  // namespace trigml::rootio

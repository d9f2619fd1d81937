// Every file of the ROOT corpus against the values an independent reader (JSROOT) read from it:
// for every branch the reference read without error, entry count, element count, sum, order-
// sensitive weighted sum, min, max and the first entries must agree.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/corpus.hpp"
#include "rootio/file.hpp"
#include "rootio/reference_check.hpp"
#include "rootio/tree.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace trigml::rootio;

namespace {

const fs::path kCorpus = trigml::testing::corpus_dir();
using trigml::rootio::testing::check_branch;

class CorpusReference : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusReference, EveryBranchMatchesTheIndependentReader) {
  fs::path reference_path = kCorpus / "reference" / (GetParam() + ".json");
  std::ifstream in(reference_path);
  json reference = json::parse(in);
  auto file = RootFile::open((kCorpus / "files" / (GetParam() + ".root")).string());
  size_t checked = 0;
  for (const json& tree_ref : reference["trees"]) {
    auto tree = Tree::open(file, tree_ref["path"].get<std::string>(), tree_ref["cycle"].get<int>());
    ASSERT_EQ(tree->entries(), tree_ref["entries"].get<uint64_t>());
    for (const auto& other : tree_ref["other_cycles"]) {
      auto older = Tree::open(file, tree_ref["path"].get<std::string>(), other["cycle"].get<int>());
      EXPECT_EQ(older->entries(), other["entries"].get<uint64_t>());
    }
    // Terminal branches in order, with '#N' for repeated names, as the reference keys them.
    std::map<std::string, int> seen;
    for (const Branch* branch : tree->all_branches()) {
      if (!branch->branches.empty()) continue;
      std::string key = branch->name;
      int n = ++seen[key];
      if (n > 1) key += fmt::format("#{}", n);
      if (tree_ref["errors"].contains(key) || !tree_ref["values"].contains(key)) continue;
      SCOPED_TRACE(fmt::format("{} tree {} branch {}", GetParam(), tree->name(), key));
      try {
        check_branch(*tree, *branch, tree_ref["values"][key]);
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
      }
      ++checked;
    }
  }
  size_t expected = 0;
  for (const json& tree_ref : reference["trees"])
    for (const auto& [key, value] : tree_ref["values"].items())
      if (!tree_ref["errors"].contains(key)) ++expected;
  EXPECT_EQ(checked, expected) << "branches with reference values that were not found in the tree";
}

// Empty without the corpus (a clone without ../shared): CorpusPresence then says where it looked.
std::vector<std::string> corpus_names() {
  std::vector<std::string> names;
  if (!fs::is_directory(kCorpus / "reference")) return names;
  for (const auto& entry : fs::directory_iterator(kCorpus / "reference"))
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllFiles, CorpusReference, ::testing::ValuesIn(corpus_names()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CorpusReference);

// Skips, saying where it looked, without the corpus; with it, every reference file has its test.
TEST(CorpusPresence, EveryReferencedFileIsTested) {
  if (!fs::is_directory(kCorpus / "reference"))
    GTEST_SKIP() << "no ROOT corpus at " << kCorpus << " (set TRIGML_TEST_DATA)";
  EXPECT_GE(corpus_names().size(), 30u);
}

}  // namespace

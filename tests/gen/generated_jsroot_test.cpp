// Files written by `trigml generate` against JSROOT, an independent reader: every branch reads
// the same in both (count, sum, order-weighted sum, min, max, first entries); and the same seed
// gives byte-identical files with 1 and 2 threads.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "common/corpus.hpp"
#include "gen/delphes_output.hpp"
#include "rootio/file.hpp"
#include "rootio/reference_check.hpp"
#include "rootio/tree.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(GeneratedFiles, SameSeedGivesIdenticalBytesWithOneOrTwoThreads) {
  // The file's own name is stored in it, so the copies share a name in different directories.
  fs::path dir = fs::temp_directory_path() / "trigml-generated";
  for (const char* sub : {"one", "two", "other"}) fs::create_directories(dir / sub);
  gen::GeneratorSettings s;
  s.process = gen::Process::WJets;
  s.seed = 99;
  gen::write_delphes_file(dir / "one" / "w.root", s, 2500, 1, rootio::WriterOptions{});
  gen::write_delphes_file(dir / "two" / "w.root", s, 2500, 2, rootio::WriterOptions{});
  EXPECT_TRUE(slurp(dir / "one" / "w.root") == slurp(dir / "two" / "w.root")) << "1 and 2 threads differ";
  s.seed = 100;
  gen::write_delphes_file(dir / "other" / "w.root", s, 2500, 2, rootio::WriterOptions{});
  EXPECT_FALSE(slurp(dir / "one" / "w.root") == slurp(dir / "other" / "w.root"))
      << "another seed, same bytes";
}

class GeneratedVersusJsroot : public ::testing::TestWithParam<rootio::Compression> {};

TEST_P(GeneratedVersusJsroot, EveryBranchReadsTheSameInBothReaders) {
  fs::path dir =
      fs::temp_directory_path() / fmt::format("trigml-generated-jsroot-{}", static_cast<int>(GetParam()));
  fs::remove_all(dir);
  fs::create_directories(dir / "reference");
  fs::path file = dir / "ttbar.root";
  gen::GeneratorSettings s;
  s.process = gen::Process::TopPair;
  s.seed = 3;
  rootio::WriterOptions options;
  options.compression = GetParam();
  options.cluster_entries = 100;  // several clusters and baskets per branch
  gen::write_delphes_file(file, s, 250, 2, options);

  const char* cache_env = std::getenv("TRIGML_JSROOT_CACHE");
  fs::path cache = cache_env ? fs::path(cache_env) : fs::path(TRIGML_SOURCE_DIR) / "build/jsroot";
  fs::path script = fs::path(TRIGML_SOURCE_DIR) / "tests/rootio/jsroot/makeref.sh";
  fs::path rootref = fs::path(trigml::testing::corpus_dir()) / "../../tools/rootref";
  std::string command =
      fmt::format("'{}' '{}' '{}' '{}' '{}' > '{}/log.txt' 2>&1", script.string(), cache.string(),
                  rootref.string(), file.string(), (dir / "reference").string(), dir.string());
  int status = std::system(command.c_str());
  if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
    GTEST_SKIP() << "node/npm or jsroot could not be installed";
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir / "log.txt");
  auto reference = nlohmann::json::parse(slurp(dir / "reference" / "ttbar.json"));
  ASSERT_EQ(reference["trees"].size(), 1u);
  const auto& tree_ref = reference["trees"][0];
  EXPECT_TRUE(tree_ref["errors"].empty()) << tree_ref["errors"].dump();
  auto root = rootio::RootFile::open(file.string());
  auto tree = rootio::Tree::open(root, "Delphes");
  ASSERT_EQ(tree->entries(), tree_ref["entries"].get<uint64_t>());
  size_t checked = 0;
  for (const rootio::Branch* branch : tree->all_branches()) {
    SCOPED_TRACE(branch->name);
    ASSERT_TRUE(tree_ref["values"].contains(branch->name)) << "JSROOT did not read " << branch->name;
    rootio::testing::check_branch(*tree, *branch, tree_ref["values"][branch->name]);
    ++checked;
  }
  EXPECT_EQ(checked, tree_ref["values"].size());
  EXPECT_GE(checked, 30u);
}

INSTANTIATE_TEST_SUITE_P(Compressions, GeneratedVersusJsroot,
                         ::testing::Values(rootio::Compression::Zlib, rootio::Compression::LZ4,
                                           rootio::Compression::ZSTD));

}  // namespace

// TreeReader's read-ahead, on a source that is not in memory (as a remote one): the values are
// those of the mapped file, every basket is fetched exactly once even where a range boundary
// splits it, and after the first range every basket arrives through the background request.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/piecewise_source.hpp"
#include "io/source.hpp"
#include "rootio/file.hpp"
#include "rootio/tree.hpp"
#include "rootio/writer.hpp"
#include "rootio/writer_sample.hpp"

using namespace trigml;
using namespace trigml::rootio;
using trigml::testing::PiecewiseSource;
namespace fs = std::filesystem;

namespace {

struct Sample {
  fs::path path;
  std::vector<std::string> branches;
};

Sample write_sample() {
  fs::path dir = fs::temp_directory_path() / "trigml-read-ahead";
  fs::create_directories(dir);
  Sample sample{dir / "sample.root", {}};
  auto tree_data = rootio::testing::make_sample_tree(25000);
  WriterOptions options;
  options.compression = Compression::LZ4;
  options.cluster_entries = 4000;
  options.basket_bytes = 16 * 1024;
  auto writer = FileWriter::create(sample.path, options);
  rootio::testing::write_sample_tree(writer->add_tree("Delphes", "read ahead"), tree_data, 3333);
  writer->close();
  for (const auto& b : tree_data.branches) sample.branches.push_back(b.name);
  return sample;
}

// Reads the whole tree in ranges that split clusters, announcing each next range, and returns
// what was fetched from the source.
PiecewiseSource::Counts read_announcing(const Sample& sample, uint64_t budget) {
  const uint64_t saved = io::remote_options().read_ahead_bytes;
  io::remote_options().read_ahead_bytes = budget;
  auto piecewise = std::make_unique<PiecewiseSource>(sample.path);
  const PiecewiseSource& source = *piecewise;
  auto tree = Tree::open(RootFile::open(std::move(piecewise)), "Delphes");
  auto mapped = Tree::open(RootFile::open(sample.path.string()), "Delphes");
  TreeReader reader(*tree, sample.branches, 2);
  TreeReader reference(*mapped, sample.branches, 1);
  std::vector<uint64_t> cuts = {0, 1500, 3999, 4000, 9001, 13000, 17777, 25000};
  for (size_t r = 0; r + 1 < cuts.size(); ++r) {
    if (r + 2 < cuts.size()) reader.read_ahead(cuts[r + 1], cuts[r + 2]);
    auto& got = reader.read(cuts[r], cuts[r + 1]);
    auto& want = reference.read(cuts[r], cuts[r + 1]);
    for (size_t b = 0; b < sample.branches.size(); ++b) {
      SCOPED_TRACE(sample.branches[b] + " range " + std::to_string(r));
      EXPECT_EQ(got[b].value_count(), want[b].value_count());
      size_t differing = 0;
      for (size_t k = 0; k < std::min(got[b].value_count(), want[b].value_count()); ++k)
        differing += got[b].number(k) != want[b].number(k);
      EXPECT_EQ(differing, 0u);
      EXPECT_EQ(got[b].offsets, want[b].offsets);
    }
  }
  io::remote_options().read_ahead_bytes = saved;
  // Every written basket of every branch, once.
  auto counts = source.counts();
  size_t baskets = 0, basket_fetches = 0;
  for (const auto& name : sample.branches) baskets += tree->branch(name).basket_count();
  for (auto [offset, times] : counts.fetches) {
    bool is_basket = false;
    for (const auto& name : sample.branches)
      for (uint64_t seek : tree->branch(name).basket_seek) is_basket |= seek == offset;
    if (!is_basket) continue;
    EXPECT_EQ(times, 1) << "basket at " << offset << " fetched " << times << " times";
    ++basket_fetches;
  }
  EXPECT_EQ(basket_fetches, baskets);
  return counts;
}

TEST(ReadAhead, SameValuesEveryBasketOnceAndFetchedWhileTheRangeBeforeDecodes) {
  Sample sample = write_sample();
  auto counts = read_announcing(sample, uint64_t{256} << 20);
  // Only the first range's baskets are asked for by the reading thread.
  auto tree = Tree::open(RootFile::open(sample.path.string()), "Delphes");
  int first_range_baskets = 0;
  for (const auto& name : sample.branches) {
    const Branch& branch = tree->branch(name);
    for (size_t i = 0; i < branch.basket_count(); ++i)
      first_range_baskets += branch.basket_entries(i).first < 1500;
  }
  EXPECT_EQ(counts.on_creating_thread, first_range_baskets);
  EXPECT_GT(counts.elsewhere, 0);
}

TEST(ReadAhead, ABudgetOfZeroFetchesEverythingOnTheReadingThread) {
  auto counts = read_announcing(write_sample(), 0);
  EXPECT_EQ(counts.elsewhere, 0);
  EXPECT_GT(counts.on_creating_thread, 0);
}

}  // namespace

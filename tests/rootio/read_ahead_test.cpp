// TreeReader's read-ahead, on a source that is not in memory (as a remote one): the values are
// those of the mapped file, every basket is fetched exactly once even where a range boundary
// splits it, and after the first range every basket arrives through the background request.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "io/source.hpp"
#include "rootio/file.hpp"
#include "rootio/tree.hpp"
#include "rootio/writer.hpp"
#include "rootio/writer_sample.hpp"

using namespace trigml;
using namespace trigml::rootio;
namespace fs = std::filesystem;

namespace {

// A file's bytes handed out piecewise, recording which thread asked for which range.
class PiecewiseSource final : public io::ByteSource {
 public:
  explicit PiecewiseSource(std::vector<std::byte> bytes) : bytes_(std::move(bytes)) {}
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, std::span<std::byte> out) const override {
    check_range(offset, out.size());
    std::copy_n(bytes_.begin() + static_cast<ptrdiff_t>(offset), out.size(), out.begin());
  }
  void read_many(std::span<const io::ByteRange> ranges, std::span<std::byte* const> outputs) const override {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < ranges.size(); ++i) {
      read(ranges[i].offset, {outputs[i], ranges[i].length});
      ++fetches_[ranges[i].offset];
      (std::this_thread::get_id() == reader_thread_ ? on_reader_thread_ : ahead_) += 1;
    }
  }

  std::thread::id reader_thread_ = std::this_thread::get_id();
  mutable std::mutex mutex_;
  mutable std::map<uint64_t, int> fetches_;  // basket offset -> times fetched
  mutable int on_reader_thread_ = 0, ahead_ = 0;

 private:
  std::string name_ = "piecewise.root";
  std::vector<std::byte> bytes_;
};

std::vector<std::byte> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

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

// Reads the whole tree in ranges that split clusters, announcing each next range.
void read_announcing(const Sample& sample, PiecewiseSource* source_seen, uint64_t budget) {
  const uint64_t saved = io::remote_options().read_ahead_bytes;
  io::remote_options().read_ahead_bytes = budget;
  auto piecewise = std::make_unique<PiecewiseSource>(file_bytes(sample.path));
  PiecewiseSource& source = *piecewise;
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
      ASSERT_EQ(got[b].value_count(), want[b].value_count());
      for (size_t k = 0; k < got[b].value_count(); ++k) ASSERT_EQ(got[b].number(k), want[b].number(k));
      ASSERT_EQ(got[b].offsets, want[b].offsets);
    }
  }
  io::remote_options().read_ahead_bytes = saved;
  // Every written basket of every branch, once.
  size_t baskets = 0;
  for (const auto& name : sample.branches) baskets += tree->branch(name).basket_count();
  std::lock_guard lock(source.mutex_);
  size_t basket_fetches = 0;
  for (auto [offset, times] : source.fetches_) {
    bool is_basket = false;
    for (const auto& name : sample.branches)
      for (uint64_t seek : tree->branch(name).basket_seek) is_basket |= seek == offset;
    if (!is_basket) continue;
    EXPECT_EQ(times, 1) << "basket at " << offset << " fetched " << times << " times";
    ++basket_fetches;
  }
  EXPECT_EQ(basket_fetches, baskets);
  source_seen->on_reader_thread_ = source.on_reader_thread_;
  source_seen->ahead_ = source.ahead_;
}

TEST(ReadAhead, SameValuesEveryBasketOnceAndFetchedWhileTheRangeBeforeDecodes) {
  Sample sample = write_sample();
  PiecewiseSource counts({});
  read_announcing(sample, &counts, uint64_t{256} << 20);
  // Only the first range's baskets (and the file's metadata) are asked for by the reading thread.
  auto tree = Tree::open(RootFile::open(sample.path.string()), "Delphes");
  int first_range_baskets = 0;
  for (const auto& name : sample.branches) {
    const Branch& branch = tree->branch(name);
    for (size_t i = 0; i < branch.basket_count(); ++i)
      first_range_baskets += branch.basket_entries(i).first < 1500;
  }
  EXPECT_EQ(counts.on_reader_thread_, first_range_baskets);
  EXPECT_GT(counts.ahead_, 0);
}

TEST(ReadAhead, ABudgetOfZeroFetchesEverythingOnTheReadingThread) {
  Sample sample = write_sample();
  PiecewiseSource counts({});
  read_announcing(sample, &counts, 0);
  EXPECT_EQ(counts.ahead_, 0);
  EXPECT_GT(counts.on_reader_thread_, 0);
}

}  // namespace

// The batch loader serves every event of its range exactly once per epoch, with the values the
// Parquet reader reads independently, in an order fixed by (seed, epoch), grouped by length.
#include "train/loader.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "parquet/dataset.hpp"
#include "train/fixture.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

struct Row {
  int32_t label;
  std::vector<float> hlf, particles;
};

// The train split read row by row through the dataset reader, without the loader's code.
const std::vector<Row>& reference_rows() {
  static const std::vector<Row> rows = [] {
    std::vector<Row> out;
    parquet::DatasetReader reader(trigml::testing::prepared_dataset() / "train",
                                  {"label", "HLF_input", "GRU_input"});
    std::vector<parquet::ColumnData> columns;
    while (reader.next(columns)) {
      const auto labels = columns[0].as<int32_t>();
      const auto hlf = columns[1].as<float>();
      const auto gru = columns[2].as<float>();
      for (size_t r = 0; r < columns[0].rows; ++r) {
        Row row;
        row.label = labels[r];
        for (auto k = columns[1].offsets[0][r]; k < columns[1].offsets[0][r + 1]; ++k)
          row.hlf.push_back(hlf[k]);
        const auto& events = columns[2].offsets[0];
        const auto& particles = columns[2].offsets[1];
        for (auto p = events[r]; p < events[r + 1]; ++p)
          for (auto k = particles[p]; k < particles[p + 1]; ++k) row.particles.push_back(gru[k]);
        out.push_back(std::move(row));
      }
    }
    return out;
  }();
  return rows;
}

// Every batch of one epoch: the rows served, checked against the reference as they come.
std::vector<std::vector<int64_t>> epoch_batches(train::BatchLoader& loader, uint64_t epoch) {
  std::vector<std::vector<int64_t>> batches;
  model::Batch batch;
  std::vector<int32_t> labels;
  std::vector<int64_t> rows;
  loader.start_epoch(epoch);
  const auto& ref = reference_rows();
  while (loader.next(batch, labels, rows)) {
    size_t offset = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& expected = ref.at(static_cast<size_t>(rows[i]));
      EXPECT_EQ(labels[i], expected.label);
      EXPECT_TRUE(std::equal(expected.hlf.begin(), expected.hlf.end(),
                             batch.hlf.begin() + static_cast<ptrdiff_t>(i * 14)));
      EXPECT_EQ(static_cast<size_t>(batch.lengths[i]) * 19, expected.particles.size());
      EXPECT_TRUE(std::equal(expected.particles.begin(), expected.particles.end(),
                             batch.particles.begin() + static_cast<ptrdiff_t>(offset)));
      offset += expected.particles.size();
    }
    EXPECT_EQ(offset, batch.particles.size());
    batches.push_back(rows);
  }
  return batches;
}

std::vector<int64_t> flatten(const std::vector<std::vector<int64_t>>& batches) {
  std::vector<int64_t> all;
  for (const auto& b : batches) all.insert(all.end(), b.begin(), b.end());
  return all;
}

train::LoaderOptions shuffled(size_t buffer = 600) {
  train::LoaderOptions o;
  o.batch_size = 64;
  o.shuffle_buffer = buffer;
  o.seed = 7;
  return o;
}

}  // namespace

TEST(BatchLoader, ServesEveryEventOnceWithTheReadersValues) {
  train::PreparedData data(trigml::testing::prepared_dataset() / "train");
  const uint64_t n = data.events();
  ASSERT_EQ(n, reference_rows().size());
  ASSERT_GT(n, 500u);
  train::BatchLoader loader(data, 0, n, shuffled());
  const auto all = flatten(epoch_batches(loader, 1));
  ASSERT_EQ(all.size(), n);
  std::set<int64_t> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), n);
  EXPECT_EQ(*unique.begin(), 0);
  EXPECT_EQ(*unique.rbegin(), static_cast<int64_t>(n - 1));
  // Shuffled: far from the dataset order.
  size_t in_place = 0;
  for (size_t i = 0; i < all.size(); ++i) in_place += all[i] == static_cast<int64_t>(i);
  EXPECT_LT(in_place, n / 20);
}

TEST(BatchLoader, OrderDependsOnlyOnSeedAndEpoch) {
  train::PreparedData data(trigml::testing::prepared_dataset() / "train");
  train::BatchLoader a(data, 0, data.events(), shuffled());
  train::BatchLoader b(data, 0, data.events(), shuffled());
  const auto a1 = epoch_batches(a, 1), a2 = epoch_batches(a, 2);
  EXPECT_EQ(epoch_batches(b, 1), a1);
  EXPECT_EQ(epoch_batches(b, 2), a2);
  EXPECT_NE(a1, a2);
  auto other_seed = shuffled();
  other_seed.seed = 8;
  train::BatchLoader c(data, 0, data.events(), other_seed);
  EXPECT_NE(epoch_batches(c, 1), a1);
  // Caching changes where events come from, not the order.
  auto cached = shuffled();
  cached.cache = true;
  train::BatchLoader d(data, 0, data.events(), cached);
  EXPECT_EQ(epoch_batches(d, 1), a1);
  EXPECT_EQ(epoch_batches(d, 2), a2);
  EXPECT_EQ(epoch_batches(d, 1), a1);
}

TEST(BatchLoader, GroupsEventsOfSimilarLength) {
  train::PreparedData data(trigml::testing::prepared_dataset() / "train");
  const auto& ref = reference_rows();
  const auto spread = [&](const std::vector<int64_t>& rows) {
    size_t lo = SIZE_MAX, hi = 0;
    for (auto r : rows) {
      lo = std::min(lo, ref[static_cast<size_t>(r)].particles.size() / 19);
      hi = std::max(hi, ref[static_cast<size_t>(r)].particles.size() / 19);
    }
    return static_cast<double>(hi - lo);
  };
  auto grouped_options = shuffled(100000);  // one buffer: the whole split
  auto mixed_options = grouped_options;
  mixed_options.group_by_length = false;
  train::BatchLoader grouped(data, 0, data.events(), grouped_options);
  train::BatchLoader mixed(data, 0, data.events(), mixed_options);
  double grouped_spread = 0, mixed_spread = 0;
  const auto g = epoch_batches(grouped, 1), m = epoch_batches(mixed, 1);
  for (const auto& b : g) grouped_spread += spread(b) / static_cast<double>(g.size());
  for (const auto& b : m) mixed_spread += spread(b) / static_cast<double>(m.size());
  EXPECT_LT(grouped_spread, mixed_spread / 10) << grouped_spread << " vs " << mixed_spread;
}

TEST(BatchLoader, ServesARangeInOrderWithoutShuffling) {
  train::PreparedData data(trigml::testing::prepared_dataset() / "train");
  train::LoaderOptions o;
  o.batch_size = 50;
  o.shuffle_buffer = 0;
  o.group_by_length = false;
  const uint64_t first = 123, last = data.events() - 77;
  train::BatchLoader loader(data, first, last, o);
  const auto all = flatten(epoch_batches(loader, 3));
  ASSERT_EQ(all.size(), last - first);
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i], static_cast<int64_t>(first + i));
}

TEST(PreparedData, RejectsADatasetThatIsNotPrepared) {
  const fs::path ingested = trigml::testing::prepared_dataset().parent_path() / "ingested";
  try {
    train::PreparedData data(ingested);
    FAIL() << "an ingest output was accepted as prepared data";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not a prepared dataset"), std::string::npos) << e.what();
  }
}

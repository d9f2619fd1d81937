#include "prepare/steps.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "common/error.hpp"
#include "physics/kinematics.hpp"

using namespace trigml;
using namespace trigml::prepare;

namespace {

size_t count(const std::vector<bool>& v) {
  return static_cast<size_t>(std::count(v.begin(), v.end(), true));
}

TEST(Prepare, RandomKeysAreReproducibleAndDistinct) {
  std::set<uint64_t> keys;
  for (uint64_t i = 0; i < 100000; ++i) keys.insert(random_key(42, 3, i));
  EXPECT_EQ(keys.size(), 100000u);
  EXPECT_EQ(random_key(42, 3, 7), random_key(42, 3, 7));
  EXPECT_NE(random_key(42, 3, 7), random_key(43, 3, 7));
  EXPECT_NE(random_key(42, 3, 7), random_key(42, 4, 7));
}

TEST(Prepare, BalancingKeepsTheSmallestClassSizeOfEveryClass) {
  auto kept = balance({1000, 250, 4000}, 7);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(count(kept[0]), 250u);
  EXPECT_EQ(count(kept[1]), 250u);
  EXPECT_EQ(count(kept[2]), 250u);
  EXPECT_EQ(kept, balance({1000, 250, 4000}, 7)) << "same seed, same choice";
  EXPECT_NE(kept[0], balance({1000, 250, 4000}, 8)[0]) << "another seed, another choice";
  auto ratio = balance({1000, 250, 4000}, 7, {2, 1, 1.5});
  EXPECT_EQ(count(ratio[0]), 500u);
  EXPECT_EQ(count(ratio[2]), 375u);
  EXPECT_THROW(balance({1000, 0, 10}, 7), UsageError);
}

TEST(Prepare, SplitIsExactAndStratified) {
  auto test = split_test(1001, 0.2, 5, 1);
  EXPECT_EQ(count(test), 200u);  // round(200.2)
  EXPECT_EQ(test, split_test(1001, 0.2, 5, 1));
  EXPECT_NE(test, split_test(1001, 0.2, 5, 2)) << "each class draws from its own stream";
  EXPECT_THROW(split_test(10, 1.0, 5, 0), UsageError);
}

TEST(Prepare, MinMaxMapsTheTrainingRangeOntoZeroToOne) {
  std::array<std::vector<float>, physics::kHighLevelFeatures> columns;
  std::mt19937 rng(1);
  std::normal_distribution<float> gauss(10, 3);
  for (auto& c : columns)
    for (int i = 0; i < 1000; ++i) c.push_back(gauss(rng));
  columns[4].assign(1000, 3.0f);  // constant
  MinMaxScaler scaler;
  scaler.fit(columns);
  ASSERT_EQ(scaler.constant_features.size(), 1u);
  EXPECT_EQ(scaler.constant_features[0], "nJets");
  for (size_t k = 0; k < physics::kHighLevelFeatures; ++k) {
    float lo = 2, hi = -1;
    for (float x : columns[k]) {
      float y = scaler.transform(k, x);
      lo = std::min(lo, y), hi = std::max(hi, y);
    }
    if (k == 4) {
      EXPECT_EQ(lo, 0.5f);
      EXPECT_EQ(hi, 0.5f);
    } else {
      EXPECT_EQ(lo, 0.0f);
      EXPECT_EQ(hi, 1.0f);
    }
  }
}

TEST(Prepare, ParticleStandardisationGivesMeanZeroVarianceOne) {
  std::mt19937 rng(2);
  std::normal_distribution<float> gauss(5, 2);
  std::vector<float> rows;
  for (int r = 0; r < 5000; ++r)
    for (size_t k = 0; k < physics::kParticleFeatures; ++k)
      rows.push_back(k >= 13 ? float(r % 2) : gauss(rng) * (k + 1));
  ParticleScaler scaler;
  scaler.accumulate(std::span<const float>(rows).first(rows.size() / 2));
  scaler.accumulate(std::span<const float>(rows).subspan(rows.size() / 2));
  scaler.finish();
  std::vector<float> scaled = rows;
  scaler.transform(scaled);
  for (size_t k = 0; k < physics::kParticleFeatures; ++k) {
    double sum = 0, sum2 = 0;
    for (size_t r = 0; r < 5000; ++r) sum += scaled[r * 19 + k];
    double mean = sum / 5000;
    for (size_t r = 0; r < 5000; ++r) sum2 += (scaled[r * 19 + k] - mean) * (scaled[r * 19 + k] - mean);
    if (k >= 13) {
      for (size_t r = 0; r < 5000; ++r)
        EXPECT_EQ(scaled[r * 19 + k], rows[r * 19 + k]) << "flags are not scaled";
      continue;
    }
    EXPECT_NEAR(mean, 0, 1e-5) << k;
    EXPECT_NEAR(sum2 / 5000, 1, 1e-4) << k;
  }
}

TEST(Prepare, ParticlesSortedByDeltaRDescendingWithTheLeptonLast) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> eta(-2.5, 2.5), phi(-3.14159f, 3.14159f);
  std::vector<float> rows;
  for (int r = 0; r < 300; ++r) {
    std::array<float, 19> row{};
    row[5] = eta(rng), row[6] = phi(rng), row[0] = float(r);  // feature 0 tags the original row
    rows.insert(rows.end(), row.begin(), row.end());
  }
  rows[19 * 7 + 5] = rows[5], rows[19 * 7 + 6] = rows[6];  // a particle exactly on the lepton
  rows[19 * 20 + 5] = rows[19 * 10 + 5], rows[19 * 20 + 6] = rows[19 * 10 + 6];  // a tie
  std::vector<float> original = rows;
  std::vector<uint64_t> order;
  sort_by_delta_r(original, rows, order);
  EXPECT_EQ(rows[299 * 19], 0.0f) << "the lepton is last";
  std::set<float> tags;
  float previous = 1e9f;
  for (int r = 0; r < 299; ++r) {
    // The sort's key is ΔR rounded to float, like the features it is computed from.
    float dr =
        static_cast<float>(physics::delta_r(rows[r * 19 + 5], rows[r * 19 + 6], original[5], original[6]));
    EXPECT_LE(dr, previous);
    previous = dr;
    tags.insert(rows[r * 19]);
  }
  tags.insert(rows[299 * 19]);
  EXPECT_EQ(tags.size(), 300u) << "a permutation of the rows";
  EXPECT_EQ(rows[298 * 19], 7.0f) << "the particle on the lepton comes just before it";
  auto position = [&](float tag) {
    for (int r = 0; r < 300; ++r)
      if (rows[r * 19] == tag) return r;
    return -1;
  };
  EXPECT_EQ(position(20.0f), position(10.0f) + 1) << "ties keep their stored order";
}

}  // namespace

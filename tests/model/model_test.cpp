// The classifiers through their torch-free interface: sizes, Keras initialisation, training steps,
// padding independence, save and load.
#include "model/model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>

namespace {

using trigml::model::Architecture;
using trigml::model::Batch;
using trigml::model::Classifier;
using trigml::model::ModelConfig;

ModelConfig config_for(Architecture a, uint64_t seed = 7) {
  ModelConfig c;
  c.architecture = a;
  c.seed = seed;
  return c;
}

Batch random_batch(const std::vector<int64_t>& lengths, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  Batch b;
  b.lengths = lengths;
  b.hlf.resize(lengths.size() * 14);
  for (auto& v : b.hlf) v = normal(rng);
  int64_t rows = 0;
  for (auto l : lengths) rows += l;
  b.particles.resize(static_cast<size_t>(rows) * 19);
  for (auto& v : b.particles) v = normal(rng);
  return b;
}

std::map<std::string, trigml::model::NamedParameter> by_name(const Classifier& c) {
  std::map<std::string, trigml::model::NamedParameter> m;
  for (auto& p : c.parameters()) m[p.name] = p;
  return m;
}

TEST(Model, ParameterCountsMatchTheKerasModels) {
  EXPECT_EQ(Classifier(config_for(Architecture::Hlf)).parameter_count(), 2013);
  EXPECT_EQ(Classifier(config_for(Architecture::Particles)).parameter_count(), 10650 + 153);
  EXPECT_EQ(Classifier(config_for(Architecture::Inclusive)).parameter_count(), 12353);
  EXPECT_EQ(Classifier(config_for(Architecture::InclusiveLstm)).parameter_count(), 15703);
}

// Glorot-uniform: all values within ±sqrt(6 / (fan_in + fan_out)) and filling that range.
void expect_glorot(const trigml::model::NamedParameter& p, int64_t fan_in, int64_t fan_out) {
  const double bound = std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  float lo = 0, hi = 0;
  double sum2 = 0;
  for (float v : p.values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum2 += double(v) * v;
  }
  EXPECT_LE(hi, bound) << p.name;
  EXPECT_GE(lo, -bound) << p.name;
  EXPECT_GT(hi, 0.9 * bound) << p.name;
  EXPECT_LT(lo, -0.9 * bound) << p.name;
  // uniform(−b, b) has variance b²/3
  EXPECT_NEAR(sum2 / double(p.values.size()), bound * bound / 3, 0.15 * bound * bound / 3) << p.name;
}

// Orthogonal [H, G·H] as Keras: orthonormal rows, U Uᵀ = I.
void expect_orthonormal_rows(const trigml::model::NamedParameter& p) {
  const int64_t rows = p.shape[0], cols = p.shape[1];
  double worst = 0;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < rows; ++j) {
      double dot = 0;
      for (int64_t k = 0; k < cols; ++k) dot += double(p.values[i * cols + k]) * p.values[j * cols + k];
      worst = std::max(worst, std::abs(dot - (i == j ? 1.0 : 0.0)));
    }
  EXPECT_LT(worst, 1e-5) << p.name;
}

TEST(Model, KerasInitialisation) {
  auto gru = by_name(Classifier(config_for(Architecture::Inclusive)));
  expect_glorot(gru.at("gru.kernel"), 19, 150);
  expect_orthonormal_rows(gru.at("gru.recurrent_kernel"));
  expect_glorot(gru.at("head.weight"), 64, 25);
  expect_glorot(gru.at("out.weight"), 25, 3);
  for (const char* b : {"gru.bias", "gru.recurrent_bias", "head.bias", "out.bias"})
    for (float v : gru.at(b).values) ASSERT_EQ(v, 0.0F) << b;

  auto lstm = by_name(Classifier(config_for(Architecture::InclusiveLstm)));
  expect_glorot(lstm.at("lstm.kernel"), 19, 200);
  expect_orthonormal_rows(lstm.at("lstm.recurrent_kernel"));
  const auto& bias = lstm.at("lstm.bias").values;  // gates (i, f, c, o): forget gate 1
  for (size_t i = 0; i < bias.size(); ++i) EXPECT_EQ(bias[i], (i >= 50 && i < 100) ? 1.0F : 0.0F);

  auto hlf = by_name(Classifier(config_for(Architecture::Hlf)));
  expect_glorot(hlf.at("dense0.weight"), 14, 50);
}

TEST(Model, SameSeedSameModel) {
  const auto a = Classifier(config_for(Architecture::Inclusive, 3)).parameters();
  const auto b = Classifier(config_for(Architecture::Inclusive, 3)).parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].values, b[i].values) << a[i].name;
}

class Architectures : public ::testing::TestWithParam<Architecture> {};

TEST_P(Architectures, TrainingStepsLowerTheLossOnAFixedBatch) {
  auto c = config_for(GetParam());
  c.dropout = 0;
  Classifier model(c);
  const auto batch = random_batch({4, 9, 2, 7, 7, 1}, 11);
  const std::vector<int32_t> labels{0, 1, 2, 1, 0, 2};
  const double first = model.train_step(batch, labels);
  double last = first;
  for (int i = 0; i < 30; ++i) last = model.train_step(batch, labels);
  EXPECT_TRUE(std::isfinite(first));
  EXPECT_LT(last, 0.7 * first);
}

TEST_P(Architectures, AnEventsLogitsDoNotDependOnItsBatch) {
  Classifier model(config_for(GetParam()));
  const auto batch = random_batch({12, 3, 8}, 5);
  const auto all = model.logits(batch);
  ASSERT_EQ(all.size(), 9U);
  Batch alone;  // the second event (3 particles) on its own
  alone.lengths = {3};
  alone.hlf.assign(batch.hlf.begin() + 14, batch.hlf.begin() + 28);
  alone.particles.assign(batch.particles.begin() + 12 * 19, batch.particles.begin() + 15 * 19);
  const auto one = model.logits(alone);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(one[k], all[3 + k], 1e-5);
}

TEST_P(Architectures, SaveAndLoadRestoreTheLogits) {
  Classifier model(config_for(GetParam(), 1));
  const auto batch = random_batch({5, 2}, 9);
  const auto dir = std::filesystem::temp_directory_path() / ("trigml_model_test_" + to_string(GetParam()));
  model.save(dir);
  Classifier other(config_for(GetParam(), 2));
  EXPECT_NE(other.logits(batch), model.logits(batch));
  other.load(dir);
  EXPECT_EQ(other.logits(batch), model.logits(batch));
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(All, Architectures,
                         ::testing::Values(Architecture::Hlf, Architecture::Particles,
                                           Architecture::Inclusive, Architecture::InclusiveLstm),
                         [](const auto& p) {
                           auto s = to_string(p.param);
                           std::replace(s.begin(), s.end(), '-', '_');
                           return s;
                         });

}  // namespace

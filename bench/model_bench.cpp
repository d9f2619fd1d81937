// One training step (forward, cross-entropy, backward, Adam) of the classifiers on one thread:
// batch 128, ~300 particles per event (lengths 280–320, as a length-grouped batch).
#include "model/model.hpp"

#include <benchmark/benchmark.h>

#include <random>

namespace {

using trigml::model::Architecture;

trigml::model::Batch make_batch(int64_t events, int64_t min_len, int64_t max_len) {
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::uniform_int_distribution<int64_t> length(min_len, max_len);
  trigml::model::Batch b;
  int64_t rows = 0;
  for (int64_t i = 0; i < events; ++i) {
    b.lengths.push_back(length(rng));
    rows += b.lengths.back();
  }
  b.hlf.resize(static_cast<size_t>(events) * 14);
  for (auto& v : b.hlf) v = normal(rng);
  b.particles.resize(static_cast<size_t>(rows) * 19);
  for (auto& v : b.particles) v = normal(rng);
  return b;
}

void BM_TrainStep(benchmark::State& state, Architecture architecture) {
  trigml::model::set_threads(1);
  trigml::model::ModelConfig config;
  config.architecture = architecture;
  trigml::model::Classifier model(config);
  const int64_t events = 128;
  const auto batch = make_batch(events, state.range(0) - 20, state.range(0) + 20);
  std::vector<int32_t> labels(events);
  for (int64_t i = 0; i < events; ++i) labels[i] = static_cast<int32_t>(i % 3);
  model.train_step(batch, labels);  // primitives created, caches warm
  for (auto _ : state) benchmark::DoNotOptimize(model.train_step(batch, labels));
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Inference(benchmark::State& state, Architecture architecture) {
  trigml::model::set_threads(1);
  trigml::model::ModelConfig config;
  config.architecture = architecture;
  trigml::model::Classifier model(config);
  const int64_t events = 128;
  const auto batch = make_batch(events, state.range(0) - 20, state.range(0) + 20);
  for (auto _ : state) benchmark::DoNotOptimize(model.logits(batch));
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_TrainStep, hlf, Architecture::Hlf)->Arg(300)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_TrainStep, inclusive, Architecture::Inclusive)
    ->Arg(300)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_TrainStep, inclusive_lstm, Architecture::InclusiveLstm)
    ->Arg(300)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Inference, inclusive, Architecture::Inclusive)
    ->Arg(300)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();

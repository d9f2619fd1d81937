// The classifiers through trigml::model::Classifier on one thread, batch 128, ~300 particles per
// event (lengths 280–320, as a length-grouped batch): one training step (batch to tensors, forward,
// cross-entropy, backward, Adam) and evaluation-mode logits. The recurrent layer alone (gru.hpp
// forward and backward inside autograd, no head, no optimiser) shows what the rest costs.
// Times are CPU time of the process (per core with one thread); "events/s" is per CPU-second.
// bench/model_torch_peer.py runs the same models in PyTorch.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "model/gru.hpp"
#include "model/model.hpp"

namespace {

using trigml::model::Architecture;

constexpr int64_t kEvents = 128;

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

void count_events(benchmark::State& state) {
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(kEvents), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_TrainStep(benchmark::State& state, Architecture architecture) {
  trigml::model::set_threads(1);
  trigml::model::ModelConfig config;
  config.architecture = architecture;
  trigml::model::Classifier model(config);
  const auto batch = make_batch(kEvents, state.range(0) - 20, state.range(0) + 20);
  std::vector<int32_t> labels(kEvents);
  for (int64_t i = 0; i < kEvents; ++i) labels[i] = static_cast<int32_t>(i % 3);
  model.train_step(batch, labels);  // primitives created, buffers allocated
  for (auto _ : state) benchmark::DoNotOptimize(model.train_step(batch, labels));
  count_events(state);
}

// The inclusive training step on 1 and 2 threads, wall-clock time (the speed-up of one batch shared
// by the threads; the GRU gives each thread its share of the events through all steps).
void BM_TrainStepThreads(benchmark::State& state) {
  trigml::model::set_threads(static_cast<int>(state.range(0)));
  trigml::model::Classifier model(trigml::model::ModelConfig{});  // inclusive
  const auto batch = make_batch(kEvents, 280, 320);
  std::vector<int32_t> labels(kEvents);
  for (int64_t i = 0; i < kEvents; ++i) labels[i] = static_cast<int32_t>(i % 3);
  model.train_step(batch, labels);  // buffers allocated
  for (auto _ : state) benchmark::DoNotOptimize(model.train_step(batch, labels));
  count_events(state);
  trigml::model::set_threads(1);
}

// Length-grouped batches as a trainer hands them out: each of a cycle of batches has its own
// length (100 … 800 particles, ±20 within a batch; 450 on average), so T changes from step to step.
// Shows that primitives and buffers are reused across T: a step costs in proportion to its T.
void BM_TrainStepMixedLengths(benchmark::State& state) {
  trigml::model::set_threads(1);
  trigml::model::Classifier model(trigml::model::ModelConfig{});  // inclusive
  std::vector<trigml::model::Batch> batches;
  for (int64_t center : {300, 700, 100, 500, 800, 200, 600, 400})
    batches.push_back(make_batch(kEvents, center - 20, center + 20));
  std::vector<int32_t> labels(kEvents);
  for (int64_t i = 0; i < kEvents; ++i) labels[i] = static_cast<int32_t>(i % 3);
  for (const auto& batch : batches) model.train_step(batch, labels);  // primitives, buffers
  for (auto _ : state)
    for (const auto& batch : batches) benchmark::DoNotOptimize(model.train_step(batch, labels));
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(kEvents * static_cast<int64_t>(batches.size())),
                         benchmark::Counter::kIsIterationInvariantRate);
}

void BM_Inference(benchmark::State& state, Architecture architecture) {
  trigml::model::set_threads(1);
  trigml::model::ModelConfig config;
  config.architecture = architecture;
  trigml::model::Classifier model(config);
  const auto batch = make_batch(kEvents, state.range(0) - 20, state.range(0) + 20);
  benchmark::DoNotOptimize(model.logits(batch));  // primitives created, buffers allocated
  for (auto _ : state) benchmark::DoNotOptimize(model.logits(batch));
  count_events(state);
}

// Inference on a batch in arrival order, as score and serve see one: lengths as in the demo's test
// split (DuckDB over prepared/test: 59 … 501 particles, median 252, mean 256), drawn from a normal
// distribution of that mean and spread. The packed GRU costs the batch's particles, not 128 times
// its longest event.
void BM_InferenceArrivalOrder(benchmark::State& state) {
  trigml::model::set_threads(1);
  trigml::model::Classifier model(trigml::model::ModelConfig{});  // inclusive
  auto batch = make_batch(kEvents, 1, 1);
  std::mt19937 rng(2);
  std::normal_distribution<double> length(256, 65);
  int64_t rows = 0;
  for (auto& l : batch.lengths) rows += l = std::clamp<int64_t>(std::llround(length(rng)), 59, 501);
  batch.particles.assign(static_cast<size_t>(rows) * 19, 0.5F);
  benchmark::DoNotOptimize(model.logits(batch));
  for (auto _ : state) benchmark::DoNotOptimize(model.logits(batch));
  count_events(state);
}

// GRU(50) over the batch's particles to each event's last state, forward and backward.
void BM_GruLayer(benchmark::State& state) {
  namespace detail = trigml::model::detail;
  trigml::model::set_threads(1);
  torch::manual_seed(1);
  const auto batch = make_batch(kEvents, state.range(0) - 20, state.range(0) + 20);
  const auto rows = torch::from_blob(const_cast<float*>(batch.particles.data()),
                                     {static_cast<int64_t>(batch.particles.size()) / 19, 19});
  const int64_t h = 50;
  const auto w = (torch::rand({19, 3 * h}) - 0.5).requires_grad_();
  const auto u = (torch::rand({h, 3 * h}) - 0.5).requires_grad_();
  const auto b_in = torch::zeros({3 * h}).requires_grad_();
  const auto b_rec = torch::zeros({3 * h}).requires_grad_();
  const auto coef = torch::randn({kEvents, h});
  auto step = [&] {
    const auto last = detail::gru_last(rows, batch.lengths, w, u, b_in, b_rec);
    (last * coef).sum().backward();
  };
  step();
  for (auto _ : state) step();
  count_events(state);
}

}  // namespace

#define TRIGML_MODEL_BENCH(fn, name, architecture) \
  BENCHMARK_CAPTURE(fn, name, architecture)->Arg(300)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()

TRIGML_MODEL_BENCH(BM_TrainStep, hlf, Architecture::Hlf);
TRIGML_MODEL_BENCH(BM_TrainStep, inclusive, Architecture::Inclusive);
TRIGML_MODEL_BENCH(BM_TrainStep, inclusive_lstm, Architecture::InclusiveLstm);
TRIGML_MODEL_BENCH(BM_Inference, hlf, Architecture::Hlf);
TRIGML_MODEL_BENCH(BM_Inference, inclusive, Architecture::Inclusive);
TRIGML_MODEL_BENCH(BM_Inference, inclusive_lstm, Architecture::InclusiveLstm);
BENCHMARK(BM_InferenceArrivalOrder)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_TrainStepThreads)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TrainStepMixedLengths)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();
BENCHMARK(BM_GruLayer)->Arg(300)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

BENCHMARK_MAIN();

// Evaluation of a test set the size the original used (about a million events): ROC curve and
// AUC of one class, the full metrics of three classes, and scores.parquet.
#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "eval/metrics.hpp"
#include "eval/roc.hpp"
#include "eval/scores.hpp"

namespace {

using namespace trigml::eval;

constexpr size_t kEvents = 1'000'000;

struct Sample {
  std::vector<int32_t> labels;
  std::vector<float> probabilities;
};

const Sample& sample() {
  static const Sample s = [] {
    Sample out;
    std::mt19937_64 random(1);
    std::normal_distribution<double> gauss;
    for (size_t i = 0; i < kEvents; ++i) {
      auto label = static_cast<int32_t>(i % 3);
      double e[3], sum = 0;
      for (int k = 0; k < 3; ++k) sum += e[k] = std::exp(gauss(random) + (k == label ? 1.5 : 0));
      out.labels.push_back(label);
      for (double v : e) out.probabilities.push_back(static_cast<float>(v / sum));
    }
    return out;
  }();
  return s;
}

void BM_RocCurve(benchmark::State& state) {
  const Sample& s = sample();
  std::vector<float> scores(kEvents);
  std::vector<uint8_t> positive(kEvents);
  for (size_t i = 0; i < kEvents; ++i) scores[i] = s.probabilities[3 * i], positive[i] = s.labels[i] == 0;
  for (auto _ : state) benchmark::DoNotOptimize(roc_curve(scores, positive));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}
BENCHMARK(BM_RocCurve)->Unit(benchmark::kMillisecond);

void BM_Evaluate(benchmark::State& state) {
  const Sample& s = sample();
  for (auto _ : state)
    benchmark::DoNotOptimize(evaluate(s.labels, s.probabilities, {"qcd", "ttbar", "wjets"}));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}
BENCHMARK(BM_Evaluate)->Unit(benchmark::kMillisecond);

void BM_WriteScores(benchmark::State& state) {
  const Sample& s = sample();
  std::vector<std::string> sources(kEvents, "/data/test/part-00000.parquet");
  std::vector<int64_t> entries(kEvents);
  for (size_t i = 0; i < kEvents; ++i) entries[i] = static_cast<int64_t>(i);
  auto path = std::filesystem::temp_directory_path() / "trigml-eval-bench-scores.parquet";
  for (auto _ : state)
    write_scores(path, s.labels, s.probabilities, {"qcd", "ttbar", "wjets"}, sources, entries);
  std::filesystem::remove(path);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}
BENCHMARK(BM_WriteScores)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

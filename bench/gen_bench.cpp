// Generation speed: events per second on one core, into reused column batches (no file writing).
#include <benchmark/benchmark.h>

#include "gen/generator.hpp"

namespace {

using trigml::gen::EventBatch;
using trigml::gen::EventGenerator;
using trigml::gen::GeneratorSettings;
using trigml::gen::Process;

constexpr uint64_t kEventsPerIteration = 200;

void generate(benchmark::State& state, Process process, double pileup) {
  GeneratorSettings settings;
  settings.process = process;
  settings.seed = 1;
  settings.pileup = pileup;
  EventGenerator generator(settings);
  EventBatch batch;
  uint64_t chunk = 0;
  for (auto _ : state) {
    generator.generate_chunk(chunk++, kEventsPerIteration, batch);
    benchmark::DoNotOptimize(batch.tracks.pt.data());
  }
  state.counters["events_per_second"] = benchmark::Counter(
      static_cast<double>(state.iterations() * kEventsPerIteration), benchmark::Counter::kIsRate);
}

void BM_GenerateTopPairPileup20(benchmark::State& state) {
  generate(state, Process::TopPair, 20.0);
}
void BM_GenerateWJetsPileup20(benchmark::State& state) {
  generate(state, Process::WJets, 20.0);
}
void BM_GenerateQcdPileup20(benchmark::State& state) {
  generate(state, Process::Qcd, 20.0);
}
void BM_GenerateTopPairNoPileup(benchmark::State& state) {
  generate(state, Process::TopPair, 0.0);
}

BENCHMARK(BM_GenerateTopPairPileup20)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_GenerateWJetsPileup20)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_GenerateQcdPileup20)->Unit(benchmark::kMillisecond)->MinTime(3.0);
BENCHMARK(BM_GenerateTopPairNoPileup)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();

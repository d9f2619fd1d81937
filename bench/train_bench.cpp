// Training throughput with data loading included: the batch loader streams a prepared dataset of
// generated events (tt̄, W+jets and QCD at pileup 30, about 300 particles per event) and each
// iteration trains on its next batch of 128 (the network on one thread, the loader's decoding on
// its own thread). The dataset is made once (generate → ingest → prepare) under the temporary
// directory and reused by later runs.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "gen/delphes_output.hpp"
#include "ingest/ingest.hpp"
#include "prepare/prepare.hpp"
#include "train/loader.hpp"

namespace {

namespace fs = std::filesystem;
using namespace trigml;

const fs::path& dataset() {
  static const fs::path prepared = [] {
    const fs::path dir = fs::temp_directory_path() / "trigml-train-bench";
    const fs::path out = dir / "prepared";
    if (fs::exists(out)) return out;
    fs::create_directories(dir);
    ingest::IngestOptions ingest_options;
    ingest_options.out = dir / "ingested";
    fs::remove_all(ingest_options.out);
    ingest_options.progress = false;
    for (const auto& name : ingest::class_names()) {
      const fs::path file = dir / (name + ".root");
      gen::GeneratorSettings settings;
      settings.process = gen::parse_process(name);
      settings.seed = 77;
      settings.pileup = 30;
      gen::write_delphes_file(file, settings, 6000, 2, rootio::WriterOptions{});
      ingest_options.classes.push_back({name, ingest::class_label(name), {file.string()}});
    }
    ingest::run_ingest(ingest_options);
    prepare::PrepareOptions prepare_options;
    prepare_options.input = ingest_options.out;
    prepare_options.out = out;
    prepare_options.progress = false;
    prepare::run_prepare(prepare_options);
    return out;
  }();
  return prepared;
}

void BM_TrainWithLoading(benchmark::State& state, model::Architecture architecture) {
  model::set_threads(1);
  train::PreparedData data(dataset() / "train");
  train::LoaderOptions loading;
  loading.batch_size = 128;
  loading.need_hlf = architecture != model::Architecture::Particles;
  loading.need_particles = architecture != model::Architecture::Hlf;
  train::BatchLoader loader(data, 0, data.events(), loading);
  model::ModelConfig config;
  config.architecture = architecture;
  model::Classifier classifier(config);
  model::Batch batch;
  std::vector<int32_t> labels;
  std::vector<int64_t> rows;
  uint64_t epoch = 1, events = 0, particles = 0;
  loader.start_epoch(epoch);
  loader.next(batch, labels, rows);  // the first row group decoded, the primitives created
  classifier.train_batch(batch, labels);
  for (auto _ : state) {
    if (!loader.next(batch, labels, rows)) {
      loader.start_epoch(++epoch);
      loader.next(batch, labels, rows);
    }
    benchmark::DoNotOptimize(classifier.train_batch(batch, labels));
    events += labels.size();
    for (auto l : batch.lengths) particles += static_cast<uint64_t>(l);
  }
  state.counters["events/s"] = benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  if (!batch.lengths.empty())
    state.counters["particles/event"] = static_cast<double>(particles) / static_cast<double>(events);
}

// CPU time is the whole process's: the network's thread and the loader's.
BENCHMARK_CAPTURE(BM_TrainWithLoading, hlf, model::Architecture::Hlf)
    ->MinTime(3)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(BM_TrainWithLoading, inclusive, model::Architecture::Inclusive)
    ->MinTime(10)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();

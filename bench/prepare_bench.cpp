// `trigml prepare` per core on an ingested dataset of generated events (pileup 24: about 300
// particles per selected event), in input events per second, memory limit default and tight.
#include <benchmark/benchmark.h>

#include <filesystem>

#include "common/allocator.hpp"
#include "gen/delphes_output.hpp"
#include "ingest/ingest.hpp"
#include "parquet/dataset.hpp"
#include "prepare/prepare.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

constexpr double kPileup = 24;

// The ingested input, its pages compressed with `codec` (made once per codec and kept).
fs::path ingested(parquet::Codec codec) {
  fs::path base = fs::temp_directory_path() / "trigml-bench" / fmt::format("prepare-pileup{}", kPileup);
  fs::path out = base / ("ingested-" + parquet::codec_name(codec));
  if (fs::exists(out / "_manifest.json")) return out;
  fs::create_directories(base);
  ingest::IngestOptions o;
  o.out = out;
  o.progress = false;
  o.codec = codec;
  for (auto [name, process] : {std::pair{"qcd", gen::Process::Qcd},
                               {"ttbar", gen::Process::TopPair},
                               {"wjets", gen::Process::WJets}}) {
    fs::path f = base / fmt::format("{}.root", name);  // written atomically: complete if present
    if (!fs::exists(f)) {
      gen::GeneratorSettings s;
      s.process = process;
      s.seed = 21;
      s.pileup = kPileup;
      gen::write_delphes_file(f, s, 8000, 2, rootio::WriterOptions{});
    }
    o.classes.push_back({name, ingest::class_label(name), {f.string()}});
  }
  ingest::run_ingest(o);
  return out;
}

// Particles per event of an ingested dataset.
double particles_per_event(const fs::path& dataset) {
  parquet::DatasetReader reader(dataset, {"particles"});
  std::vector<parquet::ColumnData> data;
  uint64_t events = 0, particles = 0;
  while (reader.next(data)) {
    events += data[0].rows;
    particles += static_cast<uint64_t>(data[0].offsets[0].back() - data[0].offsets[0].front());
  }
  return static_cast<double>(particles) / static_cast<double>(events);
}

void prepare_events(benchmark::State& state, uint64_t memory_limit, parquet::Codec codec) {
  fs::path out = fs::temp_directory_path() / "trigml-bench" / "prepare" / "prepared";
  uint64_t events = 0;
  const fs::path input = ingested(codec);  // made once, outside the timing
  state.counters["particles"] = particles_per_event(input);
  for (auto _ : state) {
    state.PauseTiming();  // deleting the last iteration's output (page cache, inodes) is not prepare's work
    fs::remove_all(out);
    state.ResumeTiming();
    prepare::PrepareOptions o;
    o.input = input;
    o.out = out;
    o.progress = false;
    o.threads = 1;
    o.memory_limit = memory_limit;
    o.codec = codec;
    auto s = prepare::run_prepare(o);
    events = s.available[0] + s.available[1] + s.available[2];
    state.counters["buckets"] = static_cast<double>(s.shuffle_buckets);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * events));
}

}  // namespace

// As the command line runs it (see common/allocator.hpp).
int main(int argc, char** argv) {
  trigml::keep_freed_memory_for_reuse();
  // Input and output compressed alike: the default (LZ4_RAW) under several memory limits, then
  // the other codecs `--compression` selects.
  struct Case {
    const char* name;
    uint64_t memory_limit;
    parquet::Codec codec;
  };
  for (const Case& c : {Case{"memory_2GB", 2ull << 30, parquet::kDatasetCodec},
                        Case{"memory_256MB", 256ull << 20, parquet::kDatasetCodec},
                        Case{"memory_64MB", 64ull << 20, parquet::kDatasetCodec},
                        Case{"memory_16MB", 16ull << 20, parquet::kDatasetCodec},
                        Case{"memory_2GB_snappy", 2ull << 30, parquet::Codec::Snappy},
                        Case{"memory_2GB_zstd", 2ull << 30, parquet::Codec::Zstd},
                        Case{"memory_2GB_uncompressed", 2ull << 30, parquet::Codec::Uncompressed}})
    benchmark::RegisterBenchmark((std::string("prepare_events/") + c.name).c_str(), prepare_events,
                                 c.memory_limit, c.codec)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(3);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

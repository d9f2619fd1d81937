// Reading and ingesting generated Delphes-like tt̄ events (default pileup 20), per core:
//  - the Delphes branches the ingestion needs, read into columns, next to decompressing the same
//    baskets alone, for every compression the writer makes;
//  - the whole ingestion (read + selection + features) in input events per second.
// The input files are generated once into $TMPDIR/trigml-bench (10,000 events each).
#include <benchmark/benchmark.h>

#include <filesystem>

#include "common/allocator.hpp"
#include "decompress_baseline.hpp"
#include "gen/delphes_output.hpp"
#include "ingest/event_reader.hpp"
#include "rootio/tree.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kEvents = 10000;

std::string generated(rootio::Compression compression) {
  static const char* names[] = {"none", "zlib", "lz4", "zstd"};
  fs::path dir = fs::temp_directory_path() / "trigml-bench";
  fs::create_directories(dir);
  fs::path path = dir / fmt::format("ttbar-{}-{}.root", kEvents, names[static_cast<int>(compression)]);
  if (!fs::exists(path)) {
    gen::GeneratorSettings settings;
    settings.process = gen::Process::TopPair;
    settings.seed = 1;
    rootio::WriterOptions options;
    options.compression = compression;
    gen::write_delphes_file(path, settings, kEvents, 2, options);
  }
  return path.string();
}

std::vector<const rootio::Branch*> ingestion_branches(const rootio::Tree& tree) {
  std::vector<const rootio::Branch*> out;
  for (const auto& name : ingest::resolve_schema(ingest::delphes_schema(), tree).branches())
    out.push_back(&tree.branch(name));
  return out;
}

void read_ingestion_branches(benchmark::State& state, rootio::Compression compression) {
  auto file = rootio::RootFile::open(generated(compression));
  auto tree = rootio::Tree::open(file, "Delphes");
  const uint64_t bytes = bench::DecompressBaseline(*file, ingestion_branches(*tree)).payload_bytes();
  rootio::TreeReader reader(*tree, ingestion_branches(*tree), 1);
  auto clusters = tree->cluster_boundaries();
  for (size_t c = 0; c + 1 < clusters.size(); ++c) reader.read(clusters[c], clusters[c + 1]);  // warm buffers
  for (auto _ : state) {
    for (size_t c = 0; c + 1 < clusters.size(); ++c) {
      auto& columns = reader.read(clusters[c], clusters[c + 1]);
      benchmark::DoNotOptimize(columns.data());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * tree->entries()));
}

void decompress_ingestion_branches(benchmark::State& state, rootio::Compression compression) {
  auto file = rootio::RootFile::open(generated(compression));
  auto tree = rootio::Tree::open(file, "Delphes");
  bench::DecompressBaseline baseline(*file, ingestion_branches(*tree));
  for (auto _ : state) {
    baseline.run();
    benchmark::DoNotOptimize(baseline.output());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * baseline.payload_bytes()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * tree->entries()));
}

void ingest_events(benchmark::State& state, rootio::Compression compression) {
  ingest::EventReader reader(generated(compression), ingest::delphes_schema());
  ingest::FeatureBatch batch;
  ingest::SelectionCounts counts;
  reader.read(0, std::min<uint64_t>(5000, reader.entries()), batch, counts);  // warm buffers
  counts = {};
  for (auto _ : state) {
    for (uint64_t start = 0; start < reader.entries(); start += 5000) {
      batch.clear();
      reader.read(start, std::min<uint64_t>(start + 5000, reader.entries()), batch, counts);
      benchmark::DoNotOptimize(batch.particle_values.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * reader.entries()));
  state.counters["selected_fraction"] =
      static_cast<double>(counts.selected) / static_cast<double>(counts.read);
}

// One jagged branch of the whole file, read into a column as trigml's Python module reads it
// (Tree::read of the branch over every entry): the C++ baseline of bench/python_read_bench.py,
// with glibc's allocator as it comes or, `reuse`, set as the command line sets it (registered
// last, since the setting stays for the rest of the process).
void read_jagged_branch(benchmark::State& state, bool reuse) {
  if (reuse) keep_freed_memory_for_reuse();
  auto file = rootio::RootFile::open(generated(rootio::Compression::Zlib));
  auto tree = rootio::Tree::open(file, "Delphes");
  const rootio::Branch& branch = tree->branch("EFlowTrack.PT");
  for (auto _ : state) {
    rootio::Column column = tree->read(branch, 0, tree->entries());
    benchmark::DoNotOptimize(column.values.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * tree->entries()));
}

}  // namespace

BENCHMARK_CAPTURE(read_ingestion_branches, zlib, rootio::Compression::Zlib)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decompress_ingestion_branches, zlib, rootio::Compression::Zlib)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read_ingestion_branches, lz4, rootio::Compression::LZ4)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decompress_ingestion_branches, lz4, rootio::Compression::LZ4)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read_ingestion_branches, zstd, rootio::Compression::ZSTD)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decompress_ingestion_branches, zstd, rootio::Compression::ZSTD)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read_ingestion_branches, uncompressed, rootio::Compression::None)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ingest_events, zlib, rootio::Compression::Zlib)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(ingest_events, lz4, rootio::Compression::LZ4)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read_jagged_branch, zlib_default_allocator, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read_jagged_branch, zlib_reuse_freed_memory, true)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

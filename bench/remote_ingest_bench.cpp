// Ingestion (read + selection + features, one thread) of the ingestion benchmark's four generated
// tt̄ files, each read from the local disk, from xrootd (root://) and from nginx (https://), both on
// 127.0.0.1. Reports input events/s, the requests per file and the bytes read over the network as
// a fraction of the file. Run it as root through tests/io/loopback_only, which gives the servers
// a network namespace of their own:
//   tests/io/loopback_only build/bench/remote_ingest_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "gen/delphes_output.hpp"
#include "ingest/event_reader.hpp"
#include "io/servers.hpp"
#include "io/source.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kEvents = 10000;
constexpr uint64_t kRangeEntries = 5000;  // ingest's default chunk
const char* kCompressions[] = {"none", "zlib", "lz4", "zstd"};

// The same files as ingest_bench (generated once into $TMPDIR/trigml-bench).
fs::path generated(int compression) {
  fs::path dir = fs::temp_directory_path() / "trigml-bench";
  fs::create_directories(dir);
  fs::path path = dir / fmt::format("ttbar-{}-{}.root", kEvents, kCompressions[compression]);
  if (!fs::exists(path)) {
    gen::GeneratorSettings settings;
    settings.process = gen::Process::TopPair;
    settings.seed = 1;
    rootio::WriterOptions options;
    options.compression = static_cast<rootio::Compression>(compression);
    gen::write_delphes_file(path, settings, kEvents, 2, options);
  }
  return path;
}

testing::LocalServers& servers() {
  static testing::LocalServers instance;
  return instance;
}

enum class Where { Local, XRootD, Https };

std::string location(Where where, int compression) {
  fs::path file = generated(compression);
  if (where == Where::Local) return file.string();
  fs::path served = servers().data() / file.filename();
  if (!fs::exists(served)) fs::copy_file(file, served);
  return where == Where::XRootD ? servers().root_url(file.filename()) : servers().https_url(file.filename());
}

void ingest_from(benchmark::State& state, Where where) {
  const int compression = static_cast<int>(state.range(0));
  if (where != Where::Local && !std::getenv("TRIGML_LOOPBACK_ONLY")) {
    state.SkipWithError("run through tests/io/loopback_only (as root) for the remote cases");
    return;
  }
  if (where != Where::Local) io::remote_options().ca_bundle = servers().certificate().string();
  const std::string path = location(where, compression);
  ingest::FeatureBatch batch;
  ingest::SelectionCounts counts;
  io::SourceStats stats;
  uint64_t entries = 0, file_bytes = 0;
  for (auto _ : state) {
    // A new reader each time: the remote bytes are fetched anew, as in a real ingest.
    ingest::EventReader reader(path, ingest::delphes_schema());
    entries = reader.entries();
    // As ingest reads: each range announces the next, fetched while this one is decoded.
    for (uint64_t start = 0; start < reader.entries(); start += kRangeEntries) {
      uint64_t stop = std::min<uint64_t>(start + kRangeEntries, reader.entries());
      batch.clear();
      reader.read_ahead(stop, std::min<uint64_t>(stop + kRangeEntries, reader.entries()));
      reader.read(start, stop, batch, counts);
      benchmark::DoNotOptimize(batch.particle_values.data());
    }
    stats = reader.file().source().stats();
    file_bytes = reader.file().source().size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * entries));
  state.SetLabel(kCompressions[compression]);
  state.counters["requests_per_file"] = static_cast<double>(stats.requests);
  state.counters["vector_reads"] = static_cast<double>(stats.vector_reads);
  state.counters["bytes_fraction"] = static_cast<double>(stats.bytes) / static_cast<double>(file_bytes);
}

}  // namespace

BENCHMARK_CAPTURE(ingest_from, local, Where::Local)
    ->DenseRange(0, 3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(ingest_from, xrootd, Where::XRootD)
    ->DenseRange(0, 3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(ingest_from, https, Where::Https)
    ->DenseRange(0, 3)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();

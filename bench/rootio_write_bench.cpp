// Throughput of the ROOT writer on a Delphes-like tree: jagged float branches with ~300 tracks per
// event, a few jets, scalars. Reports uncompressed MB/s on one core (bytes_per_second) and the
// compression ratio; the file is written to the temporary directory and committed each time.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "rootio/writer.hpp"

namespace {

using trigml::rootio::BranchId;
using trigml::rootio::Compression;
using trigml::rootio::FileWriter;
using trigml::rootio::LeafType;
using trigml::rootio::TreeWriter;
using trigml::rootio::WriterOptions;

constexpr size_t kEventsPerBatch = 1000;
constexpr size_t kBatches = 5;

// One batch of events, reused for every batch: the writer's cost does not depend on the values
// repeating, and compression sees realistic (poorly compressible) float mantissas within a batch.
struct DelphesBatch {
  std::vector<int32_t> track_size, jet_size;
  std::vector<float> track_pt, track_eta, track_phi, track_d0;
  std::vector<float> jet_pt, jet_eta, jet_phi, jet_mass;
  std::vector<int64_t> event_number;
  std::vector<float> missing_et;
  size_t bytes = 0;  // uncompressed value bytes

  DelphesBatch() {
    std::mt19937 random(12345);
    std::poisson_distribution<int32_t> tracks(300), jets(8);
    std::exponential_distribution<float> pt(0.2f);
    std::uniform_real_distribution<float> eta(-2.5f, 2.5f), phi(-3.14159f, 3.14159f);
    std::normal_distribution<float> d0(0.f, 0.05f);
    for (size_t e = 0; e < kEventsPerBatch; ++e) {
      track_size.push_back(tracks(random));
      for (int32_t t = 0; t < track_size.back(); ++t) {
        track_pt.push_back(0.5f + pt(random));
        track_eta.push_back(eta(random));
        track_phi.push_back(phi(random));
        track_d0.push_back(d0(random));
      }
      jet_size.push_back(jets(random));
      for (int32_t j = 0; j < jet_size.back(); ++j) {
        jet_pt.push_back(20.f + 5.f * pt(random));
        jet_eta.push_back(eta(random));
        jet_phi.push_back(phi(random));
        jet_mass.push_back(std::abs(d0(random)) * 200.f);
      }
      event_number.push_back(static_cast<int64_t>(e));
      missing_et.push_back(pt(random) * 10.f);
    }
    bytes = 4 * (track_size.size() + jet_size.size() + track_pt.size() * 4 + jet_pt.size() * 4 +
                 missing_et.size()) +
            8 * event_number.size();
  }
};

void write_file(const std::filesystem::path& path, const WriterOptions& options, const DelphesBatch& batch) {
  auto writer = FileWriter::create(path, options);
  TreeWriter& tree = writer->add_tree("Delphes", "Analysis tree");
  const BranchId event = tree.add_scalar("Event.Number", LeafType::Int64);
  const BranchId track_size = tree.add_counter("Track_size");
  const BranchId track_columns[] = {tree.add_jagged("Track.PT", LeafType::Float32, track_size),
                                    tree.add_jagged("Track.Eta", LeafType::Float32, track_size),
                                    tree.add_jagged("Track.Phi", LeafType::Float32, track_size),
                                    tree.add_jagged("Track.D0", LeafType::Float32, track_size)};
  const BranchId jet_size = tree.add_counter("Jet_size");
  const BranchId jet_columns[] = {tree.add_jagged("Jet.PT", LeafType::Float32, jet_size),
                                  tree.add_jagged("Jet.Eta", LeafType::Float32, jet_size),
                                  tree.add_jagged("Jet.Phi", LeafType::Float32, jet_size),
                                  tree.add_jagged("Jet.Mass", LeafType::Float32, jet_size)};
  const BranchId met = tree.add_scalar("MissingET.MET", LeafType::Float32);
  const std::vector<float>* tracks[] = {&batch.track_pt, &batch.track_eta, &batch.track_phi, &batch.track_d0};
  const std::vector<float>* jets[] = {&batch.jet_pt, &batch.jet_eta, &batch.jet_phi, &batch.jet_mass};
  for (size_t b = 0; b < kBatches; ++b) {
    tree.fill(event, std::span(batch.event_number));
    tree.fill(track_size, std::span(batch.track_size));
    for (size_t c = 0; c < 4; ++c) tree.fill(track_columns[c], std::span(*tracks[c]));
    tree.fill(jet_size, std::span(batch.jet_size));
    for (size_t c = 0; c < 4; ++c) tree.fill(jet_columns[c], std::span(*jets[c]));
    tree.fill(met, std::span(batch.missing_et));
    tree.end_batch(kEventsPerBatch);
  }
  writer->close();
}

void BM_WriteDelphesLike(benchmark::State& state, Compression compression, int level) {
  static const DelphesBatch batch;
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("trigml-write-bench-" + std::to_string(::getpid()) + ".root");
  WriterOptions options;
  options.compression = compression;
  options.level = level;
  options.cluster_entries = 1000;
  options.basket_bytes = 64 * 1024;
  for (auto _ : state) write_file(path, options, batch);
  const auto file_bytes = static_cast<double>(std::filesystem::file_size(path));
  std::filesystem::remove(path);
  const auto bytes = static_cast<double>(batch.bytes * kBatches);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
  state.counters["ratio"] = bytes / file_bytes;
  state.counters["events"] = static_cast<double>(kEventsPerBatch * kBatches);
}

BENCHMARK_CAPTURE(BM_WriteDelphesLike, none, Compression::None, 0)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_WriteDelphesLike, zlib_1, Compression::Zlib, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_WriteDelphesLike, zlib_6, Compression::Zlib, 6)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_WriteDelphesLike, lz4_1, Compression::LZ4, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_WriteDelphesLike, lz4_4, Compression::LZ4, 4)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_WriteDelphesLike, zstd_1, Compression::ZSTD, 1)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_WriteDelphesLike, zstd_5, Compression::ZSTD, 5)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

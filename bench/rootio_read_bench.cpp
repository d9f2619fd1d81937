// Read throughput of the ROOT reader per core, next to the speed of only decompressing the same
// baskets (the limit the reader can approach). Run: build/bench/rootio_read_bench
// Counters: bytes_per_second = uncompressed basket payload bytes; items_per_second = entries.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "decompress_baseline.hpp"
#include "rootio/file.hpp"
#include "rootio/interpretation.hpp"
#include "rootio/tree.hpp"

using namespace trigml::rootio;

namespace {

std::string corpus(const std::string& name) {
  return std::string(TRIGML_CORPUS_DIR) + "/files/" + name;
}

struct Workload {
  std::shared_ptr<RootFile> file;
  std::shared_ptr<Tree> tree;
  std::vector<const Branch*> branches;
};

// Every terminal branch that holds plain numbers (optionally only those named).
Workload load(const std::string& file_name, const std::string& tree_name,
              const std::vector<std::string>& only = {}) {
  Workload w;
  w.file = RootFile::open(corpus(file_name));
  w.tree = Tree::open(w.file, tree_name);
  for (const Branch* b : w.tree->all_branches()) {
    if (!b->branches.empty()) continue;
    if (!only.empty() && std::find(only.begin(), only.end(), b->name) == only.end()) continue;
    try {
      if (w.tree->interpretation(*b).make_column().kind != Column::Kind::Numeric) continue;
    } catch (const trigml::Error&) {
      continue;
    }
    w.branches.push_back(b);
  }
  return w;
}

void read_branches(benchmark::State& state, const std::string& file, const std::string& tree,
                   std::vector<std::string> only = {}) {
  Workload w = load(file, tree, only);
  const uint64_t bytes = trigml::bench::DecompressBaseline(*w.file, w.branches).payload_bytes();
  TreeReader reader(*w.tree, w.branches, 1);
  reader.read(0, w.tree->entries());  // warm buffers
  for (auto _ : state) {
    auto& columns = reader.read(0, w.tree->entries());
    benchmark::DoNotOptimize(columns.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.tree->entries()));
  state.counters["branches"] = static_cast<double>(w.branches.size());
}

// The same baskets, already in memory, only decompressed.
void decompress_only(benchmark::State& state, const std::string& file, const std::string& tree,
                     std::vector<std::string> only = {}) {
  Workload w = load(file, tree, only);
  trigml::bench::DecompressBaseline baseline(*w.file, w.branches);
  for (auto _ : state) {
    baseline.run();
    benchmark::DoNotOptimize(baseline.output());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * baseline.payload_bytes()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * w.tree->entries()));
}

// clang-format off
const std::vector<std::string> kDelphesIngestion = {
    "Electron.PT",   "Electron.Eta",   "Electron.Phi",   "Electron.Charge", "Muon.PT",         "Muon.Eta",
    "Muon.Phi",      "Muon.Charge",    "Jet.PT",         "Jet.Eta",         "Jet.Phi",         "Jet.Mass",
    "Jet.BTag",      "MissingET.MET",  "MissingET.Phi",  "EFlowTrack.PT",   "EFlowTrack.Eta",  "EFlowTrack.Phi",
    "EFlowTrack.PID", "EFlowTrack.Charge", "EFlowTrack.X", "EFlowTrack.Y",  "EFlowTrack.Z",    "EFlowPhoton.ET",
    "EFlowPhoton.Eta", "EFlowPhoton.Phi", "EFlowNeutralHadron.ET", "EFlowNeutralHadron.Eta",
    "EFlowNeutralHadron.Phi", "Electron_size", "Muon_size", "Jet_size"};
// clang-format on

}  // namespace

#define TRIGML_READ_BENCH(label, file, tree)                                      \
  BENCHMARK_CAPTURE(read_branches, label, std::string(file), std::string(tree))   \
      ->Unit(benchmark::kMillisecond);                                            \
  BENCHMARK_CAPTURE(decompress_only, label, std::string(file), std::string(tree)) \
      ->Unit(benchmark::kMillisecond);

TRIGML_READ_BENCH(zlib_hzz, "uproot-HZZ-zlib.root", "events")
TRIGML_READ_BENCH(lz4_hzz, "uproot-HZZ-lz4.root", "events")
TRIGML_READ_BENCH(zstd_hzz, "uproot-HZZ-zstd.root", "events")
TRIGML_READ_BENCH(lzma_hzz, "uproot-HZZ-lzma.root", "events")
TRIGML_READ_BENCH(uncompressed_hzz, "uproot-HZZ-uncompressed.root", "events")
TRIGML_READ_BENCH(zlib_1M_entries, "uproot-issue412.root", "test")
TRIGML_READ_BENCH(zlib_hepdata_75k, "uproot-hepdata-example.root", "ntuple")
TRIGML_READ_BENCH(zlib_nanoaod, "nanoAOD_2015_CMS_Open_Data_ttbar.root", "Events")
TRIGML_READ_BENCH(zlib_delphes_all, "delphes_CMScard_D3.4.2_R6.18_10ev.root", "Delphes")
BENCHMARK_CAPTURE(read_branches, delphes_ingestion_branches,
                  std::string("delphes_CMScard_D3.4.2_R6.18_10ev.root"), std::string("Delphes"),
                  kDelphesIngestion)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(decompress_only, delphes_ingestion_branches,
                  std::string("delphes_CMScard_D3.4.2_R6.18_10ev.root"), std::string("Delphes"),
                  kDelphesIngestion)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

// Parquet writing and reading per core for data shaped like the training set: per event a label,
// 14 high-level floats (list<float>) and ~300 particles × 19 floats (list<list<float>>).
// The DuckDB peer (bench/parquet_duckdb_peer.mjs) scans the file this benchmark leaves in
// $TMPDIR/trigml-bench/training-shaped-*.parquet.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

using namespace trigml::parquet;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kEvents = 4000;

struct Data {
  std::vector<int32_t> labels;
  std::vector<float> hlf, particles;
  std::vector<int64_t> hlf_offsets{0}, particle_offsets{0};
  uint64_t bytes = 0;  // uncompressed value bytes
};

const Data& data() {
  static Data d = [] {
    Data x;
    std::mt19937 rng(1);
    std::normal_distribution<float> value(0, 1);
    std::poisson_distribution<int> count(300);
    for (uint64_t e = 0; e < kEvents; ++e) {
      x.labels.push_back(static_cast<int32_t>(e % 3));
      for (int k = 0; k < 14; ++k) x.hlf.push_back(value(rng));
      x.hlf_offsets.push_back(static_cast<int64_t>(x.hlf.size()));
      int n = std::min(801, count(rng));
      for (int p = 0; p < n * 19; ++p) x.particles.push_back(value(rng));
      x.particle_offsets.push_back(x.particle_offsets.back() + n);
    }
    x.bytes = 4 * (x.labels.size() + x.hlf.size() + x.particles.size());
    return x;
  }();
  return d;
}

fs::path bench_file(Codec codec) {
  fs::path dir = fs::temp_directory_path() / "trigml-bench";
  fs::create_directories(dir);
  return dir / ("training-shaped-" + codec_name(codec) + ".parquet");
}

void write_file(Codec codec) {
  const Data& d = data();
  WriterOptions options;
  options.codec = codec;
  Writer writer(bench_file(codec),
                {{"label", ColumnType::Int32},
                 {"HLF_input", ColumnType::FloatList},
                 {"GRU_input", ColumnType::FloatListList}},
                options);
  std::vector<ColumnValues> v(3);
  v[0].int32s = d.labels;
  v[1].floats = d.hlf, v[1].offsets = d.hlf_offsets;
  v[2].floats = d.particles, v[2].offsets = d.particle_offsets, v[2].inner_width = 19;
  writer.write(kEvents, v);
  writer.close();
}

void write(benchmark::State& state, Codec codec) {
  data();  // generated once, outside the timed loop
  for (auto _ : state) write_file(codec);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data().bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}

void read(benchmark::State& state, Codec codec) {
  write_file(codec);
  auto reader = FileReader::open(bench_file(codec).string());
  std::vector<ColumnData> columns(3);
  for (auto _ : state) {
    for (size_t c = 0; c < 3; ++c) {
      columns[c].clear(reader->columns()[c]);
      for (size_t g = 0; g < reader->row_groups(); ++g) reader->read(g, c, columns[c]);
    }
    benchmark::DoNotOptimize(columns[2].values.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data().bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}

}  // namespace

BENCHMARK_CAPTURE(write, uncompressed, Codec::Uncompressed)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(write, snappy, Codec::Snappy)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(write, zstd, Codec::Zstd)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(write, lz4_raw, Codec::Lz4Raw)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read, uncompressed, Codec::Uncompressed)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read, snappy, Codec::Snappy)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read, zstd, Codec::Zstd)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(read, lz4_raw, Codec::Lz4Raw)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

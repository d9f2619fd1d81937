// `trigml prepare` on an ingested dataset of generated events: reproducible to the byte with any
// thread count and memory limit, bounded in memory, and correct by independent computation.
#include "prepare/prepare.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "common/error.hpp"
#include "common/run_command.hpp"
#include "gen/delphes_output.hpp"
#include "ingest/ingest.hpp"
#include "parquet/dataset.hpp"
#include "physics/kinematics.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

fs::path work() {
  fs::path dir = fs::temp_directory_path() / "trigml-prepare-test";
  fs::create_directories(dir);
  return dir;
}

// An ingested dataset of the three classes (built once per test binary run).
fs::path ingested() {
  static fs::path out = [] {
    // CTest runs each test in its own process, in parallel: each process ingests into its own place.
    fs::path dir = work() / fmt::format("ingested-{}", ::getpid());
    fs::remove_all(dir);
    ingest::IngestOptions o;
    o.out = dir;
    o.progress = false;
    o.threads = 2;
    for (auto [name, process] : {std::pair{"qcd", gen::Process::Qcd},
                                 {"ttbar", gen::Process::TopPair},
                                 {"wjets", gen::Process::WJets}}) {
      std::vector<std::string> files;
      for (uint64_t seed : {11, 12}) {
        fs::path f = work() / fmt::format("{}-{}.root", name, seed);
        if (!fs::exists(f)) {
          gen::GeneratorSettings s;
          s.process = process;
          s.seed = seed;
          gen::write_delphes_file(f, s, 700, 2, rootio::WriterOptions{});
        }
        files.push_back(f.string());
      }
      o.classes.push_back({name, ingest::class_label(name), files});
    }
    ingest::run_ingest(o);
    return dir;
  }();
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::map<std::string, std::string> all_files(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = slurp(e.path());
  return out;
}

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& command) {
  auto r = trigml::testing::run_command(command);
  return {r.status, r.output};
}

TEST(Prepare, SameInputsAndSeedGiveIdenticalBytesWithAnyThreadsAndMemoryLimit) {
  fs::path a = work() / "a", b = work() / "b", c = work() / "c";
  for (const auto& d : {a, b, c}) fs::remove_all(d);
  std::string cli = TRIGML_CLI;
  auto ra = run(cli + " prepare " + ingested().string() + " --out " + a.string() + " --threads 1");
  ASSERT_EQ(ra.status, 0) << ra.out;
  auto rb = run(cli + " prepare " + ingested().string() + " --out " + b.string() + " --threads 2");
  ASSERT_EQ(rb.status, 0) << rb.out;
  // A limit far below the dataset: the shuffle goes through many buckets, the bytes do not change.
  auto rc = run("/usr/bin/time -v " + cli + " prepare " + ingested().string() + " --out " + c.string() +
                " --memory-limit 2MB");
  ASSERT_EQ(rc.status, 0) << rc.out;
  EXPECT_NE(rc.out.find("bucket(s)"), std::string::npos);
  EXPECT_EQ(rc.out.find("in 1 bucket(s)"), std::string::npos) << "the small limit must force several buckets";
  auto files_a = all_files(a);
  EXPECT_EQ(files_a, all_files(b));
  EXPECT_EQ(files_a, all_files(c));
  EXPECT_GE(files_a.size(), 5u);
  // Peak memory stays within the limit plus a fixed overhead: the program itself (measured: the
  // libraries it loads) and the buffers of one input row group and one output batch (64 MB).
  auto peak_rss_kb = [](const std::string& output) {
    auto at = output.find("Maximum resident set size (kbytes): ");
    return at == std::string::npos ? -1L : std::stol(output.substr(at + 36));
  };
  long rss_kb = peak_rss_kb(rc.out);
  ASSERT_GT(rss_kb, 0) << rc.out;
  long program_kb = peak_rss_kb(run("/usr/bin/time -v " + cli + " --version").out);
  ASSERT_GT(program_kb, 0);
#if !defined(TRIGML_SANITIZED)  // AddressSanitizer's shadow memory makes RSS meaningless
  EXPECT_LT(rss_kb - program_kb, 2 * 1024 + 64 * 1024)
      << "peak RSS " << rss_kb << " kB, the program alone " << program_kb;
#endif
  std::printf("peak RSS with a 2 MB limit: %ld kB, of which the program alone %ld kB\n", rss_kb, program_kb);
  // Another seed, other bytes.
  fs::path d = work() / "d";
  fs::remove_all(d);
  ASSERT_EQ(run(cli + " prepare " + ingested().string() + " --out " + d.string() + " --seed 7").status, 0);
  EXPECT_NE(slurp(a / "train" / "part-00000.parquet"), slurp(d / "train" / "part-00000.parquet"));
  // Another codec: other bytes, the same values.
  fs::path e = work() / "e";
  fs::remove_all(e);
  ASSERT_EQ(
      run(cli + " prepare " + ingested().string() + " --out " + e.string() + " --compression snappy").status,
      0);
  auto default_codec = parquet::FileReader::open((a / "train" / "part-00000.parquet").string());
  auto snappy = parquet::FileReader::open((e / "train" / "part-00000.parquet").string());
  EXPECT_EQ(default_codec->metadata().row_groups[0].columns[0].codec, parquet::Codec::Lz4Raw);
  EXPECT_EQ(snappy->metadata().row_groups[0].columns[0].codec, parquet::Codec::Snappy);
  for (const char* name : {"GRU_input", "HLF_input", "label"}) {
    parquet::ColumnData x, y;
    x.clear(default_codec->columns()[default_codec->column(name)]);
    y.clear(snappy->columns()[snappy->column(name)]);
    default_codec->read(0, default_codec->column(name), x);
    snappy->read(0, snappy->column(name), y);
    EXPECT_EQ(x.values, y.values) << name;
    EXPECT_EQ(x.offsets, y.offsets) << name;
  }
  auto bad = run(cli + " prepare " + ingested().string() + " --out " + (work() / "f").string() +
                 " --compression lzo");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find("compression 'lzo'"), std::string::npos) << bad.out;
  EXPECT_FALSE(fs::exists(work() / "f"));
}

struct Split {
  std::vector<int32_t> labels;
  std::vector<std::array<float, 14>> hlf;
  std::vector<std::vector<float>> particles;
  std::vector<std::pair<std::string, int64_t>> origin;
};

Split load(const fs::path& dir) {
  Split s;
  parquet::DatasetReader reader(
      dir, {"label", "HLF_input", "GRU_input", "n_particles", "source_file", "entry", "encoded_label"});
  std::vector<parquet::ColumnData> d;
  while (reader.next(d)) {
    for (uint64_t r = 0; r < d[0].rows; ++r) {
      int32_t label = d[0].as<int32_t>()[r];
      s.labels.push_back(label);
      std::array<float, 14> h{};
      EXPECT_EQ(d[1].offsets[0][r + 1] - d[1].offsets[0][r], 14);
      for (int k = 0; k < 14; ++k)
        h[static_cast<size_t>(k)] = d[1].as<float>()[static_cast<size_t>(d[1].offsets[0][r] + k)];
      s.hlf.push_back(h);
      int64_t first = d[2].offsets[0][r], last = d[2].offsets[0][r + 1];
      EXPECT_EQ(last - first, d[3].as<int32_t>()[r]) << "n_particles";
      auto begin = d[2].offsets[1][static_cast<size_t>(first)],
           end = d[2].offsets[1][static_cast<size_t>(last)];
      s.particles.emplace_back(d[2].as<float>().begin() + begin, d[2].as<float>().begin() + end);
      s.origin.emplace_back(
          std::string(reinterpret_cast<const char*>(d[4].values.data()) + d[4].string_offsets[r],
                      static_cast<size_t>(d[4].string_offsets[r + 1] - d[4].string_offsets[r])),
          d[5].as<int64_t>()[r]);
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(d[6].as<float>()[static_cast<size_t>(d[6].offsets[0][r] + c)], c == label ? 1.0f : 0.0f);
    }
  }
  return s;
}

TEST(Prepare, SplitsAreBalancedDisjointScaledSortedAndShuffled) {
  fs::path out = work() / "checked";
  fs::remove_all(out);
  prepare::PrepareOptions o;
  o.input = ingested();
  o.out = out;
  o.progress = false;
  auto summary = prepare::run_prepare(o);
  Split train = load(out / "train"), test = load(out / "test");
  // Balanced: every class has the smallest class's number of events, split 80/20.
  uint64_t smallest = *std::min_element(summary.available.begin(), summary.available.end());
  std::array<uint64_t, 3> train_counts{}, test_counts{};
  for (int32_t l : train.labels) ++train_counts[static_cast<size_t>(l)];
  for (int32_t l : test.labels) ++test_counts[static_cast<size_t>(l)];
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(train_counts[c] + test_counts[c], smallest);
    EXPECT_EQ(test_counts[c], static_cast<uint64_t>(std::llround(0.2 * static_cast<double>(smallest))));
  }
  // Disjoint, each surviving event once, all from the input.
  std::set<std::pair<std::string, int64_t>> seen;
  for (const auto& e : train.origin) EXPECT_TRUE(seen.insert(e).second) << "duplicate in train";
  for (const auto& e : test.origin) EXPECT_TRUE(seen.insert(e).second) << "in both splits or twice in test";
  std::set<std::pair<std::string, int64_t>> input;
  {
    parquet::DatasetReader reader(ingested(), {"source_file", "entry"});
    std::vector<parquet::ColumnData> d;
    while (reader.next(d))
      for (uint64_t r = 0; r < d[0].rows; ++r)
        input.emplace(std::string(reinterpret_cast<const char*>(d[0].values.data()) + d[0].string_offsets[r],
                                  static_cast<size_t>(d[0].string_offsets[r + 1] - d[0].string_offsets[r])),
                      d[1].as<int64_t>()[r]);
  }
  for (const auto& e : seen) EXPECT_TRUE(input.count(e));
  // Scaled high-level training columns span exactly [0, 1] (constant ones sit at 0.5).
  auto pre = nlohmann::json::parse(slurp(out / "preprocessing.json"));
  for (size_t k = 0; k < 14; ++k) {
    float lo = 2, hi = -1;
    for (const auto& h : train.hlf) lo = std::min(lo, h[k]), hi = std::max(hi, h[k]);
    bool constant = pre["high_level_features"][k]["min"] == pre["high_level_features"][k]["max"];
    EXPECT_EQ(lo, constant ? 0.5f : 0.0f) << k;
    EXPECT_EQ(hi, constant ? 0.5f : 1.0f) << k;
  }
  // Standardised particle features of the training split: mean 0, variance 1 over real particles.
  for (size_t k = 0; k < 19; ++k) {
    if (!pre["particle_features"][k]["scaled"].get<bool>()) continue;
    double sum = 0, sum2 = 0, n = 0;
    for (const auto& p : train.particles)
      for (size_t r = 0; r < p.size() / 19; ++r)
        sum += p[r * 19 + k], sum2 += double(p[r * 19 + k]) * p[r * 19 + k], ++n;
    double mean = sum / n;
    EXPECT_NEAR(mean, 0, 1e-3) << k;
    EXPECT_NEAR(sum2 / n - mean * mean, 1, 2e-3) << k;
  }
  // Particles in non-increasing ΔR to the lepton, the lepton last (η, φ unscaled with the file's own
  // parameters).
  auto unscale = [&](float v, size_t k) {
    return v * pre["particle_features"][k]["std"].get<double>() +
           pre["particle_features"][k]["mean"].get<double>();
  };
  for (const auto* split : {&train, &test}) {
    for (const auto& p : split->particles) {
      size_t n = p.size() / 19;
      ASSERT_GE(n, 1u);
      double lep_eta = unscale(p[(n - 1) * 19 + 5], 5), lep_phi = unscale(p[(n - 1) * 19 + 6], 6);
      EXPECT_TRUE(p[(n - 1) * 19 + 16] > 0.5f || p[(n - 1) * 19 + 17] > 0.5f) << "the last row is the lepton";
      double previous = 1e9;
      for (size_t r = 0; r + 1 < n; ++r) {
        double dr = physics::delta_r(unscale(p[r * 19 + 5], 5), unscale(p[r * 19 + 6], 6), lep_eta, lep_phi);
        EXPECT_LE(dr, previous + 1e-4);
        previous = dr;
      }
    }
  }
  // The shuffle does not keep the input order, across files and classes.
  size_t in_order = 0;
  for (size_t i = 0; i + 1 < train.origin.size(); ++i) in_order += train.origin[i] < train.origin[i + 1];
  EXPECT_LT(in_order, train.origin.size() * 3 / 4);
  // The test split keeps the input order.
  EXPECT_TRUE(std::is_sorted(test.origin.begin(), test.origin.end()) ||
              std::is_sorted(test.labels.begin(), test.labels.end()));
}

TEST(Prepare, BadInputLeavesNoOutput) {
  ingested();  // makes the generated input files
  fs::path out = work() / "bad";
  fs::remove_all(out);
  prepare::PrepareOptions o;
  o.progress = false;
  o.out = out;
  o.input = work() / "not-an-ingest";
  fs::create_directories(o.input);
  {
    parquet::Writer w(o.input / "part-00000.parquet", {{"x", parquet::ColumnType::Float}});
    std::vector<float> x = {1};
    parquet::ColumnValues v;
    v.floats = x;
    w.write(1, std::span(&v, 1));
    w.close();
  }
  try {
    prepare::run_prepare(o);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("not an ingest output"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  // A class with no events.
  fs::path one_class = work() / "one-class";
  fs::remove_all(one_class);
  ingest::IngestOptions i;
  i.out = one_class;
  i.progress = false;
  i.classes = {{"ttbar", 1, {(work() / "ttbar-11.root").string()}}};
  ingest::run_ingest(i);
  o.input = one_class;
  try {
    prepare::run_prepare(o);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("class 'qcd' has no events"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
  for (const auto& e : fs::directory_iterator(work()))
    EXPECT_EQ(e.path().filename().string().find("bad.tmp-"), std::string::npos)
        << "no staging directory left";
}

}  // namespace

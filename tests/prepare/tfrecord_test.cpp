// TFRecord export against an independent reader (Debian's python3-protobuf with a descriptor built
// at run time, and a CRC32C of its own): record lengths, both CRCs of every record, and the values.
#include "parquet/tfrecord.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/run_command.hpp"
#include "gen/delphes_output.hpp"
#include "ingest/ingest.hpp"
#include "parquet/dataset.hpp"
#include "prepare/export.hpp"
#include "prepare/prepare.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

std::string run(const std::string& command, int& status) {
  auto r = trigml::testing::run_command(command);
  status = r.status;
  return r.output;
}

TEST(TfRecord, Crc32cMatchesTheStandardCheckValue) {
  std::string check = "123456789";
  EXPECT_EQ(parquet::crc32c(std::as_bytes(std::span(check.data(), check.size()))), 0xE3069283u);
}

TEST(TfRecord, ExportReadsBackWithAnIndependentReader) {
  int status = 0;
  run("/usr/bin/python3 -c 'import google.protobuf'", status);
  if (status != 0) GTEST_SKIP() << "Debian's python3-protobuf is not installed";
  fs::path dir = fs::temp_directory_path() / "trigml-tfrecord-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ingest::IngestOptions in;
  in.out = dir / "ingested";
  in.progress = false;
  for (auto [name, process] : {std::pair{"qcd", gen::Process::Qcd},
                               {"ttbar", gen::Process::TopPair},
                               {"wjets", gen::Process::WJets}}) {
    fs::path f = dir / fmt::format("{}.root", name);
    gen::GeneratorSettings s;
    s.process = process;
    s.seed = 5;
    gen::write_delphes_file(f, s, 150, 1, rootio::WriterOptions{});
    in.classes.push_back({name, ingest::class_label(name), {f.string()}});
  }
  ingest::run_ingest(in);
  prepare::PrepareOptions p;
  p.input = in.out;
  p.out = dir / "prepared";
  p.progress = false;
  prepare::run_prepare(p);
  auto summary = prepare::export_tfrecord(p.out, dir / "tfrecord");
  EXPECT_EQ(summary.files, 2u);
  for (const char* split : {"train", "test"}) {
    SCOPED_TRACE(split);
    // trigml's own view of the prepared events.
    std::vector<double> hlf_sums, particle_sums;
    std::vector<int> labels;
    parquet::DatasetReader reader(p.out / split, {"HLF_input", "GRU_input", "label"});
    std::vector<parquet::ColumnData> d;
    while (reader.next(d)) {
      for (uint64_t r = 0; r < d[0].rows; ++r) {
        double h = 0, g = 0;
        for (int64_t i = d[0].offsets[0][r]; i < d[0].offsets[0][r + 1]; ++i)
          h += d[0].as<float>()[static_cast<size_t>(i)];
        auto begin = d[1].offsets[1][static_cast<size_t>(d[1].offsets[0][r])];
        auto end = d[1].offsets[1][static_cast<size_t>(d[1].offsets[0][r + 1])];
        for (int64_t i = begin; i < end; ++i) g += d[1].as<float>()[static_cast<size_t>(i)];
        hlf_sums.push_back(h), particle_sums.push_back(g), labels.push_back(d[2].as<int32_t>()[r]);
      }
    }
    std::string script = (fs::path(TRIGML_SOURCE_DIR) / "tests/prepare/read_tfrecord.py").string();
    std::string out = run("/usr/bin/python3 " + script + " " +
                              (dir / "tfrecord" / split / "part-00000.tfrecord").string() + " 1000000",
                          status);
    ASSERT_EQ(status, 0) << out;
    auto j = nlohmann::json::parse(out);
    ASSERT_EQ(j["records"].get<size_t>(), labels.size());
    for (size_t r = 0; r < labels.size(); ++r) {
      const auto& e = j["examples"][r];
      EXPECT_EQ(e["HLF_input"][0], 14);
      EXPECT_EQ(e["GRU_input"][0], 801 * 19) << "padded to 801 particles";
      EXPECT_EQ(e["encoded_label"][0], 3);
      EXPECT_NEAR(e["HLF_input"][1].get<double>(), hlf_sums[r], 1e-4);
      EXPECT_NEAR(e["GRU_input"][1].get<double>(), particle_sums[r],
                  1e-3 * (1 + std::fabs(particle_sums[r])));
      EXPECT_EQ(e["encoded_label"][1], 1.0);
    }
  }
}

}  // namespace

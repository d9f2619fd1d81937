// The ingestion run end to end on small generated files: the dataset DuckDB reads holds exactly
// the events trigml reports; bad inputs fail or are skipped; an interrupted run resumes.
#include "ingest/ingest.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/corpus.hpp"
#include "common/error.hpp"
#include "common/run_command.hpp"
#include "gen/delphes_output.hpp"
#include "parquet/dataset.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

fs::path work_dir() {
  fs::path dir = fs::temp_directory_path() / "trigml-ingest-test";
  fs::create_directories(dir);
  return dir;
}

std::string generated(gen::Process process, uint64_t seed, int64_t events = 400) {
  fs::path path = work_dir() / fmt::format("{}-{}-{}.root", gen::process_name(process), seed, events);
  if (!fs::exists(path)) {
    gen::GeneratorSettings settings;
    settings.process = process;
    settings.seed = seed;
    gen::write_delphes_file(path, settings, events, 1, rootio::WriterOptions{});
  }
  return path.string();
}

ingest::IngestOptions options_for(const fs::path& out) {
  ingest::IngestOptions o;
  o.out = out;
  o.threads = 2;
  o.progress = false;
  o.chunk_events = 150;
  o.classes = {{"qcd", 0, {generated(gen::Process::Qcd, 1)}},
               {"ttbar", 1, {generated(gen::Process::TopPair, 1), generated(gen::Process::TopPair, 2)}},
               {"wjets", 2, {generated(gen::Process::WJets, 1)}}};
  return o;
}

nlohmann::json duckdb(const std::string& sql) {
  fs::path interop = fs::path(TRIGML_SOURCE_DIR) / "tests" / "interop";
  auto r =
      trigml::testing::run_command("node '" + (interop / "duckdb_query.mjs").string() + "' \"" + sql + "\"");
  return nlohmann::json::parse(r.output);
}

TEST(Ingest, DuckDbCountsPerClassEqualTheSummary) {
  fs::path out = work_dir() / "dataset";
  fs::remove_all(out);
  auto summary = ingest::run_ingest(options_for(out));
  ASSERT_EQ(summary.classes.size(), 3u);
  EXPECT_EQ(summary.parts, 4u);
  uint64_t total = 0;
  for (const auto& c : summary.classes) {
    EXPECT_EQ(c.counts.read, c.name == "ttbar" ? 800u : 400u);
    EXPECT_GT(c.counts.selected, 0u) << c.name;
    total += c.counts.selected;
  }
  auto manifest = parquet::read_manifest(out);
  EXPECT_EQ(manifest.rows(), total);
  if (!fs::exists(fs::path(TRIGML_SOURCE_DIR) / "tests/interop/node_modules/@duckdb/node-api"))
    GTEST_SKIP() << "DuckDB's Node.js package is not installed (tests/interop/install)";
  auto rows = duckdb(
      "SELECT label, class, count(*) AS n, min(len(particles)) AS least, max(len(particles)) AS most "
      "FROM read_parquet('" +
      (out / "*.parquet").string() + "') GROUP BY label, class ORDER BY label");
  ASSERT_EQ(rows.size(), 3u);
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(rows[k]["class"], summary.classes[k].name);
    EXPECT_EQ(std::stoull(rows[k]["n"].get<std::string>()), summary.classes[k].counts.selected);
    EXPECT_GE(std::stoll(rows[k]["least"].get<std::string>()), 1) << "the lepton is always there";
    EXPECT_LE(std::stoll(rows[k]["most"].get<std::string>()), 801);
  }
}

TEST(Ingest, ACorruptInputFailsTheRunOrIsSkipped) {
  fs::path bad = work_dir() / "corrupt.root";
  {
    std::ifstream in(generated(gen::Process::WJets, 1), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes.resize(bytes.size() / 2);  // truncated
    std::ofstream(bad, std::ios::binary) << bytes;
  }
  fs::path out = work_dir() / "with-bad";
  fs::remove_all(out);
  auto options = options_for(out);
  options.classes[2].inputs.push_back(bad.string());
  try {
    ingest::run_ingest(options);
    FAIL() << "a truncated input must stop the run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt.root"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out / parquet::kManifestName)) << "a failed run writes no manifest";
  for (const auto& entry : fs::directory_iterator(out))
    EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
        << "no temporary file is left";

  fs::remove_all(out);
  options.on_error = ingest::OnError::Skip;
  auto summary = ingest::run_ingest(options);
  ASSERT_EQ(summary.skipped.size(), 1u);
  EXPECT_EQ(summary.skipped[0].first, bad.string());
  EXPECT_EQ(summary.parts, 4u);
}

TEST(Ingest, AMissingBranchNamesTheBranchAndTheFile) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  fs::path out = work_dir() / "missing-branch";
  fs::remove_all(out);
  auto options = options_for(out);
  options.classes[0].inputs = {trigml::testing::corpus_dir() +
                               "/files/delphes_EICcard-d2eic_R6.32_1000ev.root"};
  try {
    ingest::run_ingest(options);
    FAIL();
  } catch (const NotFoundError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("delphes_EICcard"), std::string::npos) << message;
    EXPECT_NE(message.find("branch '"), std::string::npos) << message;
  }
}

TEST(Ingest, AnInterruptedRunResumesOnlyTheMissingInputs) {
  fs::path out = work_dir() / "resume";
  fs::remove_all(out);
  auto options = options_for(out);
  auto complete = ingest::run_ingest(options);
  // Simulate an interruption: one part lost, a temporary file of the killed run left behind, no manifest.
  fs::remove(out / parquet::part_name(2));
  fs::remove(out / parquet::kManifestName);
  std::ofstream(out / (parquet::part_name(2) + ".tmp-12345")) << "partial";
  auto before = fs::last_write_time(out / parquet::part_name(0));
  options.resume = true;
  auto resumed = ingest::run_ingest(options);
  EXPECT_EQ(fs::last_write_time(out / parquet::part_name(0)), before) << "complete parts are not rewritten";
  EXPECT_TRUE(fs::exists(out / parquet::part_name(2)));
  EXPECT_FALSE(fs::exists(out / (parquet::part_name(2) + ".tmp-12345")));
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(resumed.classes[k].counts.selected, complete.classes[k].counts.selected);
    EXPECT_EQ(resumed.classes[k].counts.read, complete.classes[k].counts.read);
  }
  EXPECT_EQ(resumed.classes[1].resumed_files, 1u);
  // Without --resume an existing dataset is not overwritten.
  options.resume = false;
  EXPECT_THROW(ingest::run_ingest(options), UsageError);
}

}  // namespace

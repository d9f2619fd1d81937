// `trigml ingest` and `trigml prepare` under mpirun with 2 and 3 ranks (over loopback TCP): the
// outputs are the bytes of one process's, a failing rank fails the job with its message printed
// once, and --resume under another number of ranks finishes an interrupted ingest.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "common/files.hpp"
#include "common/mpi.hpp"
#include "common/run_command.hpp"
#include "gen/delphes_output.hpp"
#include "parquet/dataset.hpp"
#include "physics/features.hpp"

namespace fs = std::filesystem;
using trigml::testing::mpirun;
using trigml::testing::run_command;

using trigml::testing::all_files;

namespace {

const std::string kCli = TRIGML_CLI;

fs::path work() {
  const fs::path dir = fs::temp_directory_path() / fmt::format("trigml-distributed-test-{}", ::getpid());
  fs::create_directories(dir);
  return dir;
}

// Two small generated files per class: six inputs of unequal size to share out, in clusters of 100
// entries (so that a small part_entries cuts them into ranges).
std::vector<std::pair<std::string, fs::path>> inputs() {
  static const std::vector<std::pair<std::string, fs::path>> files = [] {
    std::vector<std::pair<std::string, fs::path>> out;
    for (auto [name, process] : {std::pair{"qcd", trigml::gen::Process::Qcd},
                                 {"ttbar", trigml::gen::Process::TopPair},
                                 {"wjets", trigml::gen::Process::WJets}})
      for (uint64_t seed : {31, 32}) {
        const fs::path file = work() / fmt::format("{}-{}.root", name, seed);
        trigml::gen::GeneratorSettings settings;
        settings.process = process;
        settings.seed = seed;
        trigml::rootio::WriterOptions writer;
        writer.cluster_entries = 100;
        trigml::gen::write_delphes_file(file, settings, seed == 31 ? 500 : 300, 2, writer);
        out.emplace_back(name, file);
      }
    return out;
  }();
  return files;
}

std::string class_arguments() {
  std::string out;
  for (const auto& [name, file] : inputs()) out += fmt::format(" --class {}={}", name, file.string());
  return out;
}

// Every row of a dataset (in manifest order) as text: label, source file, entry, the first feature.
std::vector<std::string> rows_of(const fs::path& dataset) {
  const std::string feature(trigml::physics::kHighLevelNames[0]);
  trigml::parquet::DatasetReader reader(dataset, {"label", "source_file", "entry", feature});
  std::vector<trigml::parquet::ColumnData> data;
  std::vector<std::string> out;
  while (reader.next(data))
    for (uint64_t r = 0; r < data[0].rows; ++r) {
      const auto& s = data[1];
      out.push_back(
          fmt::format("{} {} {} {}", data[0].as<int32_t>()[r],
                      std::string_view(reinterpret_cast<const char*>(s.values.data()) + s.string_offsets[r],
                                       static_cast<size_t>(s.string_offsets[r + 1] - s.string_offsets[r])),
                      data[2].as<int64_t>()[r], data[3].as<float>()[r]));
    }
  return out;
}

// Runs `arguments` with `ranks` processes (1: without mpirun).
trigml::testing::CommandResult trigml_with(int ranks, const std::string& arguments) {
  const std::string command = kCli + " " + arguments;
  return run_command(ranks == 1 ? "timeout 300 " + command : mpirun(ranks, command));
}

// One process's ingest of the inputs, made once.
fs::path single_ingest() {
  static const fs::path out = [] {
    const fs::path dir = work() / "ingest-1";
    fs::remove_all(dir);
    const auto result = trigml_with(1, "ingest --threads 1 --out " + dir.string() + class_arguments());
    if (result.status != 0) ADD_FAILURE() << result.output;
    return dir;
  }();
  return out;
}

TEST(DistributedIngest, WritesTheBytesOfOneProcessWithTwoAndThreeRanks) {
  TRIGML_SKIP_WITHOUT_MPI();
  const auto expected = all_files(single_ingest());
  ASSERT_EQ(expected.size(), 7u) << "six parts and the manifest";
  for (int ranks : {2, 3}) {
    SCOPED_TRACE(fmt::format("{} ranks", ranks));
    const fs::path out = work() / fmt::format("ingest-{}", ranks);
    fs::remove_all(out);
    const auto result = trigml_with(ranks, "ingest --threads 1 --out " + out.string() + class_arguments());
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_EQ(all_files(out), expected);
    // The summary is printed once, by rank 0.
    size_t summaries = 0;
    for (size_t at = 0; (at = result.output.find("parts written", at)) != std::string::npos; ++at)
      ++summaries;
    EXPECT_EQ(summaries, 1u) << result.output;
  }
}

TEST(DistributedIngest, SplitsLargeFilesIntoClusterRangesTheSameForAnyNumberOfRanks) {
  TRIGML_SKIP_WITHOUT_MPI();
  // Files of more than 150 entries become ranges of whole 100-entry clusters: 500 → 200 + 200 + 100,
  // 300 → 200 + 100.
  const fs::path config = work() / "split.toml";
  {
    std::ofstream toml(config);
    toml << "part_entries = 150\n[classes]\n";
    for (const char* name : {"qcd", "ttbar", "wjets"}) {
      toml << name << " = [";
      for (const auto& [class_name, file] : inputs())
        if (class_name == name) toml << '"' << file.string() << "\", ";
      toml << "]\n";
    }
  }
  std::map<std::string, std::string> first;
  for (int ranks : {1, 2, 3}) {
    SCOPED_TRACE(fmt::format("{} ranks", ranks));
    const fs::path out = work() / fmt::format("ingest-split-{}", ranks);
    fs::remove_all(out);
    const auto result = trigml_with(
        ranks, fmt::format("ingest --threads 1 --config {} --out {}", config.string(), out.string()));
    ASSERT_EQ(result.status, 0) << result.output;
    const auto files = all_files(out);
    EXPECT_EQ(files.size(), 16u) << "3 × (3 + 2) parts and the manifest";
    EXPECT_TRUE(files.contains("part-00000-0002.parquet"));
    if (ranks == 1)
      first = files;
    else
      EXPECT_EQ(files, first);
    // The rows, in the manifest's order, are those of the dataset with one part per file.
    EXPECT_EQ(rows_of(out), rows_of(single_ingest()));
  }
}

TEST(DistributedIngest, ResumesWithAnotherNumberOfRanks) {
  TRIGML_SKIP_WITHOUT_MPI();
  const fs::path out = work() / "ingest-resumed";
  fs::remove_all(out);
  fs::copy(single_ingest(), out);
  // An interrupted run: two parts and the manifest missing, a temporary file left behind.
  fs::remove(out / trigml::parquet::kManifestName);
  fs::remove(out / trigml::parquet::part_name(1));
  fs::remove(out / trigml::parquet::part_name(4));
  std::ofstream(out / "part-00004.parquet.tmp-123") << "half a part";
  const auto result = trigml_with(3, "ingest --threads 1 --resume --out " + out.string() + class_arguments());
  ASSERT_EQ(result.status, 0) << result.output;
  EXPECT_EQ(all_files(out), all_files(single_ingest()));
}

TEST(DistributedIngest, AFailingRankFailsTheJobWithItsMessageOnce) {
  TRIGML_SKIP_WITHOUT_MPI();
  const fs::path corrupt = work() / "corrupt.root";
  std::ofstream(corrupt) << "this is not a ROOT file, but long enough to be read as one's header....";
  const fs::path out = work() / "ingest-failed";
  fs::remove_all(out);
  const auto result = trigml_with(2, "ingest --threads 1 --out " + out.string() + class_arguments() +
                                         " --class wjets=" + corrupt.string());
  EXPECT_NE(result.status, 0) << result.output;
  size_t messages = 0;
  for (size_t at = 0; (at = result.output.find("trigml: error", at)) != std::string::npos; ++at) ++messages;
  EXPECT_EQ(messages, 1u) << result.output;
  EXPECT_NE(result.output.find("corrupt.root"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(out / trigml::parquet::kManifestName));
}

TEST(DistributedPrepare, WritesTheBytesOfOneProcessWithTwoAndThreeRanks) {
  TRIGML_SKIP_WITHOUT_MPI();
  // Parts of 150 rows: each split has several, so that every rank writes some of them.
  const std::string options = " --threads 1 --rows-per-part 150 --seed 5 " + single_ingest().string();
  const fs::path one = work() / "prepare-1";
  fs::remove_all(one);
  const auto single = trigml_with(1, "prepare --out " + one.string() + options);
  ASSERT_EQ(single.status, 0) << single.output;
  const auto expected = all_files(one);
  ASSERT_GE(expected.size(), 7u) << "preprocessing.json, two manifests and several parts";
  for (auto [ranks, memory] : {std::pair{2, "2GB"}, {3, "2GB"}, {2, "1MB"}}) {
    SCOPED_TRACE(fmt::format("{} ranks, memory limit {}", ranks, memory));
    const fs::path out = work() / fmt::format("prepare-{}-{}", ranks, memory);
    fs::remove_all(out);
    const auto result = trigml_with(
        ranks, fmt::format("prepare --memory-limit {} --out {}{}", memory, out.string(), options));
    ASSERT_EQ(result.status, 0) << result.output;
    EXPECT_EQ(all_files(out), expected);
    for (const auto& entry : fs::directory_iterator(work()))
      EXPECT_FALSE(entry.path().filename().string().starts_with(out.filename().string() + ".tmp-"))
          << "staging directory left: " << entry.path();
  }
}

// The largest "Maximum resident set size" that /usr/bin/time -v printed, in kB (-1: none).
long peak_rss_kb(const std::string& output) {
  long peak = -1;
  const std::string key = "Maximum resident set size (kbytes): ";
  for (size_t at = output.find(key); at != std::string::npos; at = output.find(key, at + 1))
    peak = std::max(peak, std::stol(output.substr(at + key.size())));
  return peak;
}

TEST(DistributedPrepare, EveryRankStaysWithinTheMemoryLimit) {
  TRIGML_SKIP_WITHOUT_MPI();
  if (!fs::exists("/usr/bin/time")) GTEST_SKIP() << "no /usr/bin/time (Debian's time package)";
  const fs::path out = work() / "prepare-memory";
  fs::remove_all(out);
  const auto result =
      run_command(mpirun(2, "/usr/bin/time -v " + kCli + " prepare --threads 1 --memory-limit 1MB --out " +
                                out.string() + " " + single_ingest().string()));
  ASSERT_EQ(result.status, 0) << result.output;
  // Against a rank that only joins the job: the program, its libraries and MPI's own buffers.
  const long program_kb =
      peak_rss_kb(run_command(mpirun(2, "/usr/bin/time -v " + kCli + " --version")).output);
  const long rss_kb = peak_rss_kb(result.output);
  ASSERT_GT(program_kb, 0);
  ASSERT_GT(rss_kb, 0) << result.output;
#if !defined(TRIGML_SANITIZED)
  // As for one process (tests/prepare): the limit, plus one input row group and one output batch.
  EXPECT_LT(rss_kb - program_kb, 1024 + 64 * 1024)
      << "peak RSS " << rss_kb << " kB, a rank alone " << program_kb;
#endif
  std::printf("peak RSS of a rank with a 1 MB limit: %ld kB, of a rank alone %ld kB\n", rss_kb, program_kb);
}

TEST(DistributedPrepare, AnExistingOutputIsRefusedOnceByEveryRank) {
  TRIGML_SKIP_WITHOUT_MPI();
  const fs::path out = work() / "prepare-exists";
  fs::create_directories(out);
  const auto result = trigml_with(3, "prepare --out " + out.string() + " " + single_ingest().string());
  EXPECT_EQ(result.status, 2) << result.output;
  size_t messages = 0;
  for (size_t at = 0; (at = result.output.find("output directory exists already", at)) != std::string::npos;
       ++at)
    ++messages;
  EXPECT_EQ(messages, 1u) << result.output;
}

}  // namespace

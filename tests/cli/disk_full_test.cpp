// A full disk, made by a file size limit (setrlimit(RLIMIT_FSIZE) through the shell's ulimit, with
// SIGXFSZ ignored so that a write fails with EFBIG as on a full disk): every command that writes
// ends with a clear error naming the file, exits without crashing, and leaves no output that looks
// complete. `ingest --on-error skip` does not skip an input because its output could not be written.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "common/files.hpp"
#include "common/run_command.hpp"

using trigml::testing::CommandResult;
using trigml::testing::run_command;
namespace fs = std::filesystem;

namespace {

const std::string kCli = TRIGML_CLI;

class DiskFull : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = fs::temp_directory_path() / ("trigml-disk-full-" + std::to_string(::getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_);
    ASSERT_EQ(trigml::testing::generate_inputs(work_, 600), "");
    ASSERT_EQ(run_command(kCli + " ingest " + classes() + " --out " + (work_ / "ingested").string()).status,
              0);
    ASSERT_EQ(run_command(kCli + " prepare " + (work_ / "ingested").string() + " --out " +
                          (work_ / "prepared").string())
                  .status,
              0);
  }
  static void TearDownTestSuite() { fs::remove_all(work_); }

  static std::string classes() { return trigml::testing::generated_classes(work_); }
  // Runs a trigml command where no file may grow beyond `kilobytes`.
  static CommandResult with_file_limit(int kilobytes, const std::string& arguments) {
    return run_command("bash -c \"trap '' XFSZ; ulimit -f " + std::to_string(kilobytes) + "; exec " + kCli +
                       " " + arguments + "\"");
  }
  // The program lists `train` among its subcommands only when built with the networks (libtorch).
  static bool has_training() {
    return run_command(kCli + " --help").output.find("\n  train ") != std::string::npos;
  }

  static void expect_clear_failure(const CommandResult& r, const std::string& names) {
    EXPECT_EQ(r.status, 1) << "an error, not a crash:\n" << r.output;
    EXPECT_NE(r.output.find("File too large"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(names), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
  }

  static inline fs::path work_;
};

TEST_F(DiskFull, Generate) {
  fs::path out = work_ / "big.root";
  expect_clear_failure(
      with_file_limit(200, "generate --process ttbar --events 3000 --seed 1 --out " + out.string()),
      out.filename().string());
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(DiskFull, IngestFailsAndSkipsNothing) {
  for (const char* on_error : {"fail", "skip"}) {
    SCOPED_TRACE(on_error);
    fs::path out = work_ / (std::string("ingest-") + on_error);
    expect_clear_failure(with_file_limit(100, "ingest " + classes() + " --threads 1 --on-error " + on_error +
                                                  " --out " + out.string()),
                         "part-0000");
    EXPECT_FALSE(fs::exists(out / "_manifest.json")) << "the dataset looks finished";
  }
}

TEST_F(DiskFull, Prepare) {
  fs::path out = work_ / "prepare-full";
  expect_clear_failure(
      with_file_limit(20, "prepare " + (work_ / "ingested").string() + " --threads 1 --out " + out.string()),
      "part-0000");
  EXPECT_FALSE(fs::exists(out / "preprocessing.json"));
}

TEST_F(DiskFull, TrainAndEvaluate) {
  if (!has_training()) GTEST_SKIP() << "built without the networks (libtorch)";
  const std::string prepared = (work_ / "prepared").string();
  fs::path model = work_ / "model-full";
  expect_clear_failure(
      with_file_limit(8, "train " + prepared + " --model hlf --epochs 1 --out " + model.string()), ".pt");
  EXPECT_FALSE(fs::exists(model)) << "the model directory looks finished";

  fs::path trained = work_ / "model";
  ASSERT_EQ(
      run_command(kCli + " train " + prepared + " --model hlf --epochs 1 --out " + trained.string()).status,
      0);
  fs::path report = work_ / "report-full";
  expect_clear_failure(
      with_file_limit(30, "evaluate " + trained.string() + " " + prepared + " --out " + report.string()),
      "report-full");
  EXPECT_FALSE(fs::exists(report)) << "the report looks finished";
}

}  // namespace

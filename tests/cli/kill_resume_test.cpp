// `kill -9` at several points of generate, ingest, prepare and run, then the same command with
// --resume (run resumes by itself: it redoes the stage it was killed in, and training from its
// checkpoint): the outputs are byte for byte those of a run never interrupted, and no killed run
// leaves an output that looks finished. (train's kill and resume: tests/train/trainer_test.cpp.)
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/files.hpp"
#include "common/run_command.hpp"

using trigml::testing::all_files;
using trigml::testing::run_command;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kCli = TRIGML_CLI;

// Runs `arguments`, kills it with SIGKILL after `delay`; true if it was killed (not finished).
bool run_and_kill(const std::string& arguments, std::chrono::milliseconds delay) {
  const pid_t child = fork();
  if (child == 0) {
    const std::string command = "exec " + kCli + " " + arguments + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(delay);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  return WIFSIGNALED(status);
}

struct Case {
  std::string name;
  std::string arguments;  // without --resume
  fs::path output;        // a file or directory
  // What marks the output finished: after a kill, either absent or the output is whole.
  fs::path finished_marker;
  std::string resume = " --resume";
};

// The output's files: those that record the wall clock (the report's date, the epochs' durations) by
// name only, and of run's summary.json the results, not which stages this invocation ran.
std::map<std::string, std::string> comparable_files(const fs::path& output) {
  auto files = all_files(output);
  for (auto& [name, contents] : files) {
    if (name.ends_with("report.html") || name.ends_with("history.jsonl")) contents.clear();
    if (name == "summary.json") contents = nlohmann::json::parse(contents).at("models").dump();
  }
  return files;
}

class KillResume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = fs::temp_directory_path() / ("trigml-kill-" + std::to_string(::getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_);
  }
  static void TearDownTestSuite() { fs::remove_all(work_); }

  // The inputs are made when a test first asks for them: CTest runs each test in a process of its
  // own, and generate and run need none.
  static std::string classes() {
    if (!fs::exists(work_ / "qcd.root")) {
      EXPECT_EQ(trigml::testing::generate_inputs(work_, 2000), "");
    }
    return trigml::testing::generated_classes(work_);
  }
  static fs::path ingested() {
    const fs::path out = work_ / "ingested";
    if (!fs::exists(out)) {
      EXPECT_EQ(run_command(kCli + " ingest " + classes() + " --threads 1 --out " + out.string()).status, 0);
    }
    return out;
  }

  // The uninterrupted run, then for kill points at 15 %, 45 % and 75 % of its duration: kill,
  // check nothing looks finished, resume, compare.
  static void check(const Case& c) {
    fs::remove_all(c.output);
    auto t0 = Clock::now();
    auto whole = run_command(kCli + " " + c.arguments);
    auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    ASSERT_EQ(whole.status, 0) << whole.output;
    const auto expected = comparable_files(c.output);
    ASSERT_FALSE(expected.empty());
    fs::path reference = c.output;
    reference += ".whole";
    fs::remove_all(reference);
    fs::rename(c.output, reference);
    int killed = 0;
    for (double fraction : {0.15, 0.45, 0.75}) {
      SCOPED_TRACE(c.name + " killed at " + std::to_string(fraction));
      fs::remove_all(c.output);
      bool was_killed = run_and_kill(
          c.arguments,
          std::chrono::milliseconds(static_cast<int64_t>(fraction * static_cast<double>(duration.count()))));
      killed += was_killed;
      // A kill after the last rename may find the output finished: then it must be whole.
      if (was_killed && fs::exists(c.finished_marker)) {
        EXPECT_TRUE(comparable_files(c.output) == expected)
            << "a killed run left an output that looks finished";
      }
      auto resumed = run_command(kCli + " " + c.arguments + c.resume);
      ASSERT_EQ(resumed.status, 0) << resumed.output;
      EXPECT_TRUE(comparable_files(c.output) == expected)
          << "the resumed output differs from the uninterrupted one";
      // Nothing of the killed run is left beside the output.
      for (const auto& entry : fs::directory_iterator(c.output.parent_path()))
        EXPECT_EQ(entry.path().filename().string().find(c.output.filename().string() + ".tmp-"),
                  std::string::npos)
            << entry.path();
    }
    EXPECT_GT(killed, 0) << "every run finished before its kill: the kill points test nothing";
    fs::remove_all(reference);
  }

  static inline fs::path work_;
};

TEST_F(KillResume, Generate) {
  fs::path out = work_ / "generated.root";
  check({"generate", "generate --process ttbar --events 2500 --seed 9 --threads 1 --out " + out.string(), out,
         out});
}

TEST_F(KillResume, Ingest) {
  fs::path out = work_ / "ingest-out";
  check(
      {"ingest", "ingest " + classes() + " --threads 1 --out " + out.string(), out, out / "_manifest.json"});
}

TEST_F(KillResume, Prepare) {
  fs::path out = work_ / "prepared";
  check({"prepare", "prepare " + ingested().string() + " --threads 1 --seed 5 --out " + out.string(), out,
         out});
}

TEST_F(KillResume, Run) {
  if (run_command(kCli + " --help").output.find("\n  train ") == std::string::npos)
    GTEST_SKIP() << "trigml is built without training (TRIGML_WITH_TORCH=OFF)";
  const fs::path config = work_ / "run.toml", out = work_ / "run-out";
  std::ofstream(config) << "threads = 1\n[generate]\nevents = 1000\nseed = 5\n[prepare]\nseed = 9\n"
                           "[train]\nmodels = [\"hlf\", \"inclusive\"]\nepochs = 1\nbatch_size = 64\n";
  check({"run", "run " + config.string() + " --out " + out.string(), out, out / "summary.json", ""});
}

}  // namespace

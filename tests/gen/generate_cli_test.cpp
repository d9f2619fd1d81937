// The trigml generate command: clear errors and exit codes for bad arguments, and no output file.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;

class GenerateCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() /
                 ("trigml_generate_cli_" +
                  std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(directory_);
    fs::create_directories(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  // Runs `trigml generate ARGS`, returns the exit code; stderr goes to a file read by error().
  int run(const std::string& arguments) {
    const std::string command = std::string(TRIGML_CLI) + " generate " + arguments + " 2>" +
                                (directory_ / "stderr.txt").string() + " >/dev/null";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string error() const {
    std::string text;
    if (FILE* f = std::fopen((directory_ / "stderr.txt").c_str(), "r")) {
      char buffer[4096];
      size_t n;
      while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
      std::fclose(f);
    }
    return text;
  }
  // Nothing but the captured stderr may be left in the directory.
  bool no_output() const {
    for (const auto& entry : fs::directory_iterator(directory_)) {
      if (entry.path().filename() != "stderr.txt") return false;
    }
    return true;
  }
  std::string out() const { return (directory_ / "events.root").string(); }

  fs::path directory_;
};

TEST_F(GenerateCommand, UnknownProcessIsAUsageError) {
  EXPECT_EQ(run("--process foo --events 10 --seed 1 --out " + out()), 2);
  EXPECT_NE(error().find("unknown process 'foo' (expected ttbar, wjets or qcd)"), std::string::npos)
      << error();
  EXPECT_TRUE(no_output());
}

TEST_F(GenerateCommand, NegativeCountsAreUsageErrors) {
  EXPECT_EQ(run("--process ttbar --events -5 --seed 1 --out " + out()), 2);
  EXPECT_NE(error().find("number of events must not be negative"), std::string::npos) << error();
  EXPECT_EQ(run("--process ttbar --events 5 --seed -1 --out " + out()), 2);
  EXPECT_EQ(run("--process ttbar --events 5 --seed 1 --pileup -3 --out " + out()), 2);
  EXPECT_EQ(run("--process ttbar --events 5 --seed 1 --threads 0 --out " + out()), 2);
  EXPECT_NE(error().find("number of threads must be between 1 and"), std::string::npos) << error();
  EXPECT_TRUE(no_output());
}

TEST_F(GenerateCommand, UnwritableOutputIsAnIoError) {
  EXPECT_EQ(
      run("--process wjets --events 5 --seed 1 --out " + (directory_ / "missing" / "events.root").string()),
      1);
  EXPECT_NE(error().find("does not exist"), std::string::npos) << error();
  fs::create_directory(directory_ / "a_directory");
  EXPECT_EQ(run("--process wjets --events 5 --seed 1 --out " + (directory_ / "a_directory").string()), 1);
  EXPECT_FALSE(fs::exists(directory_ / "missing"));
  EXPECT_TRUE(fs::is_empty(directory_ / "a_directory"));
}

TEST_F(GenerateCommand, WritesTheRequestedFile) {
  EXPECT_EQ(run("--process qcd --events 20 --seed 3 --pileup 0 --threads 2 --out " + out()), 0) << error();
  EXPECT_TRUE(fs::exists(out()));
}

}  // namespace

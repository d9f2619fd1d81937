// The program's two halves (apps/trigml/command_table.hpp): a command without the models starts
// without loading libtorch, a model command loads the models module, the help lists every command
// of the build, and a program whose module is missing says where it looked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/run_command.hpp"

using trigml::testing::run_command;
namespace fs = std::filesystem;

namespace {

const std::string kCli = TRIGML_CLI;
constexpr auto npos = std::string::npos;

// LD_DEBUG=libs makes the dynamic loader name every library it loads, on stderr.
bool loads_libtorch(const std::string& program, const std::string& arguments) {
  auto result = run_command("LD_DEBUG=libs " + program + " " + arguments);
  EXPECT_EQ(result.status, 0) << result.output.substr(0, 2000);
  return result.output.find("libtorch_cpu") != npos;
}

TEST(Program, CommandsWithoutTheModelsDoNotLoadLibtorch) {
  for (const std::string command : {"inspect", "dump", "generate", "ingest", "prepare", "export-tfrecord"})
    EXPECT_FALSE(loads_libtorch(kCli, command + " --help")) << command;
  if (!TRIGML_MODELS_MODULE_BUILT) GTEST_SKIP() << "built without the models (TRIGML_WITH_TORCH=OFF)";
  // Options before the command do not hide it.
  EXPECT_TRUE(loads_libtorch(kCli, "--io-retries 2 train --help"));
  EXPECT_FALSE(loads_libtorch(kCli, "--io-retries 2 dump --help"));
}

TEST(Program, HelpListsEveryCommandOfTheBuild) {
  auto help = run_command(kCli + " --help");
  ASSERT_EQ(help.status, 0) << help.output;
  for (const std::string command : {"inspect", "dump", "generate", "ingest", "prepare", "export-tfrecord"})
    EXPECT_NE(help.output.find("\n  " + command + " "), npos) << command << " missing from:\n" << help.output;
  if (!TRIGML_MODELS_MODULE_BUILT) return;
  for (const std::string command : {"train", "evaluate", "run", "tune", "export", "score"})
    EXPECT_NE(help.output.find("\n  " + command + " "), npos) << command << " missing from:\n" << help.output;
}

TEST(Program, WithoutItsModulesTheModelCommandsNameWhereTheyLooked) {
  if (!TRIGML_MODELS_MODULE_BUILT) GTEST_SKIP() << "built without the models (TRIGML_WITH_TORCH=OFF)";
  const fs::path work = fs::temp_directory_path() / ("trigml-program-" + std::to_string(::getpid()));
  fs::remove_all(work);
  fs::create_directories(work / "bin");
  fs::copy_file(kCli, work / "bin" / "trigml");
  const std::string alone = (work / "bin" / "trigml").string();
  auto train = run_command(alone + " train --help");
  EXPECT_EQ(train.status, 2) << train.output;
  EXPECT_NE(train.output.find((work / "bin" / "../lib/trigml/trigml-models.so").string()), npos)
      << train.output;
  EXPECT_NE(train.output.find("could not be loaded"), npos) << train.output;
  auto dump = run_command(alone + " dump --help");
  EXPECT_EQ(dump.status, 0) << dump.output;
  fs::remove_all(work);
}

}  // namespace

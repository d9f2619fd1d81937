// `trigml run`: the whole chain from one configuration, skipping the stages whose outputs are
// complete and current, and redoing exactly those downstream of a change.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/run_command.hpp"
#include "train/fixture.hpp"
#include "train/model_dir.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

void write_config(const fs::path& path, int inclusive_epochs) {
  std::ofstream(path) << fmt::format(R"(threads = 2
[generate]
events = 1500
seed = 5
[prepare]
seed = 9
[train]
models = ["hlf", "particles", "inclusive"]
epochs = 1
batch_size = 64
[train.hlf]
epochs = 4
[train.inclusive]
epochs = {}
)",
                                     inclusive_epochs);
}

std::vector<std::string> stages_run(const fs::path& out) {
  return nlohmann::json::parse(train::read_text_file(out / "summary.json"))
      .at("stages_run")
      .get<std::vector<std::string>>();
}

}  // namespace

TEST(Pipeline, RunsEveryStageThenOnlyWhatChanged) {
  const fs::path dir = trigml::testing::train_work_dir() / "pipeline";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path config = dir / "run.toml", out = dir / "out";
  write_config(config, 1);
  const std::string command = fmt::format("{} run {} --out {}", TRIGML_CLI, config.string(), out.string());

  const auto first = trigml::testing::run_command(command);
  ASSERT_EQ(first.status, 0) << first.output;
  EXPECT_EQ(stages_run(out).size(), 9u) << first.output;  // generate, ingest, prepare, 3 × (train, evaluate)
  const auto summary = nlohmann::json::parse(train::read_text_file(out / "summary.json"));
  for (const char* model : {"hlf", "particles", "inclusive"}) {
    const fs::path report = out / "eval" / model;
    EXPECT_TRUE(fs::exists(report / "report.html")) << model;
    EXPECT_TRUE(fs::exists(report / "scores.parquet")) << model;
    for (const char* c : {"qcd", "ttbar", "wjets"}) {
      const double auc = summary.at("models").at(model).at("auc").at(c).get<double>();
      // A few training steps: only the high-level-feature model is far above chance this soon.
      EXPECT_GT(auc, std::string(model) == "hlf" ? 0.7 : 0.3) << model << " " << c;
      // The table printed is the metrics written.
      EXPECT_NE(first.output.find(fmt::format("{:.4f}", auc)), std::string::npos) << model << " " << c;
    }
  }

  const auto again = trigml::testing::run_command(command);
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_TRUE(stages_run(out).empty()) << again.output;

  write_config(config, 2);
  const auto changed = trigml::testing::run_command(command);
  ASSERT_EQ(changed.status, 0) << changed.output;
  EXPECT_EQ(stages_run(out), (std::vector<std::string>{"train-inclusive", "evaluate-inclusive"}));
  EXPECT_EQ(train::read_model_directory(out / "models" / "inclusive").info.at("training").at("epochs"), 2);
}

TEST(Pipeline, RefusesABadConfiguration) {
  const fs::path dir = trigml::testing::train_work_dir() / "pipeline-bad";
  fs::create_directories(dir);
  const fs::path config = dir / "bad.toml";
  std::ofstream(config) << "[train]\nmodels = [\"hlf\", \"transformer\"]\n";
  const auto result = trigml::testing::run_command(
      fmt::format("{} run {} --out {}", TRIGML_CLI, config.string(), (dir / "out").string()));
  EXPECT_EQ(result.status, 2) << result.output;
  EXPECT_NE(result.output.find("transformer"), std::string::npos) << result.output;
  EXPECT_FALSE(fs::exists(dir / "out"));
  std::ofstream(config) << "[generate]\nevents = -5\n";
  const auto negative = trigml::testing::run_command(
      fmt::format("{} run {} --out {}", TRIGML_CLI, config.string(), (dir / "out").string()));
  EXPECT_EQ(negative.status, 2) << negative.output;
  EXPECT_NE(negative.output.find("generate.events"), std::string::npos) << negative.output;
}

// scripts/demo's story: `trigml run` with its built-in default configuration (the demo's) trains
// the inclusive model long enough that it beats the high-level-feature model on every class, as in
// the original (SparkDLTrigger section 4) and in trigml's full-size run (docs/results.md). It runs
// the whole demo pipeline, minutes on 2 cores: CTest label `long` (`ctest -LE long` leaves it out).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/run_command.hpp"
#include "train/fixture.hpp"
#include "train/model_dir.hpp"

using namespace trigml;
namespace fs = std::filesystem;

TEST(Demo, InclusiveBeatsTheHighLevelFeatureModelOnEveryClass) {
  const fs::path out = trigml::testing::train_work_dir() / "demo";
  fs::remove_all(out);
  const auto run = trigml::testing::run_command(fmt::format("{} run --out {}", TRIGML_CLI, out.string()));
  ASSERT_EQ(run.status, 0) << run.output;
  const auto models = nlohmann::json::parse(train::read_text_file(out / "summary.json")).at("models");
  for (const char* c : {"qcd", "ttbar", "wjets"}) {
    const double inclusive = models.at("inclusive").at("auc").at(c).get<double>();
    const double hlf = models.at("hlf").at("auc").at(c).get<double>();
    EXPECT_GT(inclusive, hlf) << c << ": inclusive " << inclusive << ", hlf " << hlf;
  }
  fs::remove_all(out);
}

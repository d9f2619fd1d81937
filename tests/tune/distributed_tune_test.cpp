// `trigml tune` under mpirun -np 2: rank 0 schedules, rank 1 trains the trials one after the other
// (each in a group of one), and the search's results are those of one process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../train/fixture.hpp"
#include "common/mpi.hpp"
#include "train/model_dir.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kCli = TRIGML_CLI;

TEST(DistributedTune, RankZeroSchedulesAndTheTrialsMatchOneProcess) {
  TRIGML_SKIP_WITHOUT_MPI();
  const fs::path work = trigml::testing::train_work_dir() / "distributed-tune";
  fs::remove_all(work);
  fs::create_directories(work);
  const fs::path space = work / "space.toml";
  std::ofstream(space) << "[params]\nlearning_rate = { log_uniform = [1e-3, 3e-2] }\n";
  const auto arguments = [&](const fs::path& out) {
    return fmt::format(
        "{} tune {} --model hlf --space {} --strategy asha --trials 4 --seed 7 --max-epochs 3 --max-events "
        "400 "
        "--validation-fraction 0.25 --patience 0 --out {}",
        kCli, trigml::testing::prepared_dataset(300).string(), space.string(), out.string());
  };
  const auto one = trigml::testing::run_command("timeout 300 " + arguments(work / "one"));
  ASSERT_EQ(one.status, 0) << one.output;
  const auto two = trigml::testing::run_command(trigml::testing::mpirun(2, arguments(work / "two")));
  ASSERT_EQ(two.status, 0) << two.output;
  // One worker rank runs the trials in order, so ASHA sees them arrive as in one process: the same
  // decisions, statuses and losses.
  const json expected = json::parse(trigml::train::read_text_file(work / "one" / "tune.json"));
  const json got = json::parse(trigml::train::read_text_file(work / "two" / "tune.json"));
  EXPECT_EQ(got.at("decisions"), expected.at("decisions"));
  ASSERT_EQ(got.at("trials").size(), 4u);
  for (size_t t = 0; t < 4; ++t) {
    EXPECT_EQ(got.at("trials")[t].at("status"), expected.at("trials")[t].at("status")) << "trial " << t;
    const auto& a = got.at("trials")[t].at("history");
    const auto& b = expected.at("trials")[t].at("history");
    ASSERT_EQ(a.size(), b.size()) << "trial " << t;
    for (size_t e = 0; e < a.size(); ++e)
      EXPECT_EQ(a[e].at("val_loss"), b[e].at("val_loss")) << "trial " << t;
  }
  EXPECT_TRUE(fs::exists(work / "two" / "best" / "model.json"));
}

}  // namespace

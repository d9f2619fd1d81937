// Data-parallel `trigml train` under mpirun: 2 ranks follow one process's training (losses to
// 1e-4 relative), every rank ends with the same weights, and a run whose rank is killed (SIGKILL)
// ends with an error within a minute and resumes to the weights of an uninterrupted run; `trigml
// run` under mpirun runs every stage, with the ingest and prepare outputs of one process.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/files.hpp"
#include "common/mpi.hpp"
#include "fixture.hpp"
#include "train/model_dir.hpp"

namespace fs = std::filesystem;
using trigml::testing::mpirun;
using trigml::testing::run_command;

using trigml::testing::all_files;

namespace {

const std::string kCli = TRIGML_CLI;

std::string train_arguments(const fs::path& out, int epochs) {
  return fmt::format(
      "train {} --model inclusive --out {} --epochs {} --batch-size 64 --dropout 0 --validation-fraction 0.2 "
      "--patience 0 --seed 3 --max-events 2400 --threads 1",
      trigml::testing::prepared_dataset().string(), out.string(), epochs);
}

fs::path fresh(const std::string& name) {
  const fs::path out = trigml::testing::train_work_dir() / name;
  fs::remove_all(out);
  fs::remove_all(out.string() + ".partial");
  return out;
}

std::vector<nlohmann::json> history(const fs::path& model) {
  std::vector<nlohmann::json> out;
  std::ifstream in(model / "history.jsonl");
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

nlohmann::json training_record(const fs::path& model) {
  return nlohmann::json::parse(trigml::train::read_text_file(model / "model.json")).at("training");
}

TEST(DistributedTraining, TwoRanksFollowOneProcessAndKeepTheSameWeights) {
  TRIGML_SKIP_WITHOUT_MPI();
  const fs::path one = fresh("one"), two = fresh("two");
  const auto single = run_command("timeout 300 " + kCli + " " + train_arguments(one, 2));
  ASSERT_EQ(single.status, 0) << single.output;
  const auto pair = run_command(mpirun(2, kCli + " " + train_arguments(two, 2)));
  ASSERT_EQ(pair.status, 0) << pair.output;
  const auto expected = history(one), got = history(two);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t e = 0; e < got.size(); ++e)
    for (const char* key : {"loss", "val_loss"}) {
      const double a = expected[e].at(key).get<double>(), b = got[e].at(key).get<double>();
      EXPECT_NEAR(b, a, 1e-4 * std::abs(a)) << key << " of epoch " << e + 1;
    }
  EXPECT_EQ(got[0].at("ranks"), 2);
  EXPECT_GT(got[0].at("steps").get<uint64_t>(), 0u);
  // Each rank's digest of its own weights, gathered at the end: all the same.
  const auto record = training_record(two);
  EXPECT_EQ(record.at("ranks"), 2);
  ASSERT_EQ(record.at("weight_digests").size(), 2u);
  EXPECT_EQ(record.at("weight_digests")[0], record.at("weight_digests")[1]);
  EXPECT_EQ(training_record(one).at("weight_digests").size(), 1u);
}

TEST(DistributedTraining, AKilledRankEndsTheJobAndResumeFinishesIt) {
  TRIGML_SKIP_WITHOUT_MPI();
  const fs::path whole = fresh("whole"), killed = fresh("killed");
  const auto uninterrupted = run_command(mpirun(2, kCli + " " + train_arguments(whole, 4)));
  ASSERT_EQ(uninterrupted.status, 0) << uninterrupted.output;

  trigml::testing::Background job(mpirun(2, kCli + " " + train_arguments(killed, 4)),
                                  trigml::testing::train_work_dir() / "killed.log");
  ASSERT_GT(job.pid(), 0);
  // Once the first epoch's checkpoint is recorded, rank 1 dies without a word.
  const fs::path state = killed.string() + ".partial/checkpoint/state.json";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!fs::exists(state) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ASSERT_TRUE(fs::exists(state)) << job.output();
  pid_t rank_one = 0;
  // The job's process is `timeout` (env and the shell exec it), whose child is mpirun, whose
  // children are the ranks.
  for (pid_t launcher : trigml::testing::children_named(job.pid(), "mpirun"))
    for (pid_t rank : trigml::testing::children_named(launcher, "trigml")) {
      std::ifstream environment(fmt::format("/proc/{}/environ", rank));
      std::string text((std::istreambuf_iterator<char>(environment)), std::istreambuf_iterator<char>());
      if (text.find(std::string("OMPI_COMM_WORLD_RANK=1") + '\0') != std::string::npos) rank_one = rank;
    }
  ASSERT_GT(rank_one, 0) << "rank 1's process not found";
  ASSERT_EQ(::kill(rank_one, SIGKILL), 0);
  const auto killed_at = std::chrono::steady_clock::now();
  const int status = job.wait(std::chrono::seconds(60));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  ASSERT_NE(status, -1) << "the job did not end within 60 s of the kill:\n" << job.output();
  EXPECT_NE(status, 0) << job.output();
  EXPECT_NE(job.output().find("signal 9"), std::string::npos) << job.output();
  std::printf("the job ended %.1f s after its rank 1 was killed\n", seconds);
  ASSERT_FALSE(fs::exists(killed / "model.json"));

  const auto resumed = run_command(mpirun(2, kCli + " " + train_arguments(killed, 4) + " --resume"));
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_EQ(training_record(killed).at("weight_digests"), training_record(whole).at("weight_digests"));
  const auto expected = history(whole), got = history(killed);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t e = 0; e < got.size(); ++e) {
    EXPECT_EQ(got[e].at("loss"), expected[e].at("loss")) << "epoch " << e + 1;
    EXPECT_EQ(got[e].at("val_loss"), expected[e].at("val_loss")) << "epoch " << e + 1;
  }
}

}  // namespace

TEST(DistributedPipeline, RunsEveryStageOnTwoRanksThenSkipsWhatIsCurrent) {
  TRIGML_SKIP_WITHOUT_MPI();
  const fs::path dir = trigml::testing::train_work_dir() / "distributed-run";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "run.toml") << R"(threads = 1
[generate]
events = 600
seed = 5
[train]
models = ["hlf"]
epochs = 2
batch_size = 64
)";
  auto run = [&](int ranks, const fs::path& out) {
    const std::string command =
        fmt::format("{} run {} --out {}", kCli, (dir / "run.toml").string(), out.string());
    return run_command(ranks == 1 ? "timeout 300 " + command : mpirun(ranks, command));
  };
  // Both runs write to the same place: the datasets name their absolute input paths.
  const fs::path out = dir / "out";
  const auto single = run(1, out);
  ASSERT_EQ(single.status, 0) << single.output;
  std::map<std::string, std::map<std::string, std::string>> expected;
  for (const char* stage : {"generated", "ingested", "prepared"}) expected[stage] = all_files(out / stage);
  fs::remove_all(out);
  const auto pair = run(2, out);
  ASSERT_EQ(pair.status, 0) << pair.output;
  const auto summary = nlohmann::json::parse(trigml::train::read_text_file(out / "summary.json"));
  EXPECT_EQ(summary.at("stages_run").size(), 5u) << summary.dump();
  for (const auto& [stage, files] : expected) EXPECT_TRUE(all_files(out / stage) == files) << stage;
  EXPECT_EQ(training_record(out / "models" / "hlf").at("weight_digests").size(), 2u);
  // Once more: every stage is current, on every rank alike.
  const auto again = run(2, out);
  ASSERT_EQ(again.status, 0) << again.output;
  const auto skipped = nlohmann::json::parse(trigml::train::read_text_file(out / "summary.json"));
  EXPECT_TRUE(skipped.at("stages_run").empty()) << skipped.dump();
}

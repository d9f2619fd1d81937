// Training: the model directory it leaves, reproducibility, resuming a killed run to the same
// weights, and options or data that are refused before any training starts.
#include "train/trainer.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include "common/error.hpp"
#include "common/run_command.hpp"
#include "train/fixture.hpp"
#include "train/model_dir.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

train::TrainOptions options(const std::string& name, const std::string& architecture, int epochs) {
  train::TrainOptions o;
  o.data = trigml::testing::prepared_dataset();
  o.out = trigml::testing::train_work_dir() / name;
  fs::remove_all(o.out);
  fs::remove_all(o.out.string() + ".partial");
  o.model.architecture = model::parse_architecture(architecture);
  o.model.seed = 3;
  o.epochs = epochs;
  o.batch_size = 64;
  o.validation_fraction = 0.2;
  o.patience = 0;
  o.progress = false;
  return o;
}

std::vector<model::NamedParameter> weights_of(const fs::path& dir) {
  return train::load_classifier(train::read_model_directory(dir)).parameters();
}

bool same_weights(const std::vector<model::NamedParameter>& a, const std::vector<model::NamedParameter>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].name != b[i].name || a[i].shape != b[i].shape || a[i].values != b[i].values) return false;
  return true;
}

}  // namespace

TEST(Trainer, LeavesACompleteModelDirectory) {
  auto o = options("hlf", "hlf", 4);
  const auto summary = train::train_model(o);
  ASSERT_EQ(summary.history.size(), 4u);
  for (const char* file : {"model.json", "weights.pt", "preprocessing.json", "history.jsonl"})
    EXPECT_TRUE(fs::exists(o.out / file)) << file;
  EXPECT_FALSE(fs::exists(o.out.string() + ".partial"));
  EXPECT_FALSE(fs::exists(o.out / "checkpoint"));
  // history.jsonl: one line per epoch, as the summary says.
  std::ifstream history(o.out / "history.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(history, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("epoch").get<int>(), ++lines);
    EXPECT_DOUBLE_EQ(j.at("loss").get<double>(), summary.history[static_cast<size_t>(lines - 1)].loss);
    EXPECT_TRUE(j.contains("val_loss"));
  }
  EXPECT_EQ(lines, 4);
  // It learns: the loss falls and the classes separate far better than chance (1/3).
  EXPECT_LT(summary.history.back().loss, summary.history.front().loss);
  EXPECT_GT(summary.history.back().val_accuracy, 0.6);
  // The kept weights are the best validation epoch's.
  int best = 1;
  for (const auto& r : summary.history)
    if (r.val_loss < summary.history[static_cast<size_t>(best - 1)].val_loss) best = r.epoch;
  EXPECT_EQ(summary.best_epoch, best);
  const auto dir = train::read_model_directory(o.out);
  EXPECT_EQ(dir.config.architecture, model::Architecture::Hlf);
  EXPECT_EQ(dir.preprocessing, nlohmann::json::parse(train::read_text_file(
                                   trigml::testing::prepared_dataset() / "preprocessing.json")));
}

TEST(Trainer, SameSeedSameWeights) {
  auto a = options("same-a", "inclusive", 1);
  auto b = options("same-b", "inclusive", 1);
  a.max_events = b.max_events = 600;
  train::train_model(a);
  train::train_model(b);
  EXPECT_TRUE(same_weights(weights_of(a.out), weights_of(b.out)));
  auto c = options("same-c", "inclusive", 1);
  c.max_events = 600;
  c.model.seed = 4;
  train::train_model(c);
  EXPECT_FALSE(same_weights(weights_of(a.out), weights_of(c.out)));
}

TEST(Trainer, StepLearningRateSchedule) {
  auto o = options("schedule", "hlf", 5);
  o.lr_step_epochs = 2;
  o.lr_gamma = 0.1;
  const auto s = train::train_model(o);
  const double expected[] = {1e-3, 1e-3, 1e-4, 1e-4, 1e-5};
  for (size_t e = 0; e < 5; ++e) EXPECT_NEAR(s.history[e].learning_rate, expected[e], 1e-12);
}

TEST(Trainer, EarlyStoppingKeepsTheBestEpoch) {
  auto o = options("early", "hlf", 60);
  o.patience = 2;
  o.model.learning_rate = 0.05;  // large steps: the validation loss soon stops improving
  const auto s = train::train_model(o);
  ASSERT_TRUE(s.stopped_early);
  ASSERT_EQ(s.history.size(), static_cast<size_t>(s.best_epoch + 2));
  for (const auto& r : s.history)
    EXPECT_GE(r.val_loss, s.history[static_cast<size_t>(s.best_epoch - 1)].val_loss);
}

// A run killed (SIGKILL) after a checkpoint and resumed ends with the weights of a run never
// interrupted.
TEST(Trainer, ResumedRunReachesTheWeightsOfAnUninterruptedOne) {
  auto whole = options("whole", "particles", 3);
  whole.max_events = 2400;
  whole.batch_size = 32;
  train::train_model(whole);

  const fs::path out = trigml::testing::train_work_dir() / "killed";
  fs::remove_all(out);
  fs::remove_all(out.string() + ".partial");
  const std::string args = fmt::format(
      "train {} --model particles --out {} --epochs 3 --batch-size 32 --validation-fraction 0.2 --patience 0 "
      "--seed 3 --max-events 2400",
      trigml::testing::prepared_dataset().string(), out.string());
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string command = std::string(TRIGML_CLI) + " " + args + " >/dev/null 2>&1";
    execl("/bin/sh", "sh", "-c", ("exec " + command).c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Kill it as soon as the first epoch's checkpoint is recorded.
  const fs::path state = out.string() + ".partial/checkpoint/state.json";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!fs::exists(state) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  ASSERT_FALSE(fs::exists(out / "model.json"));

  const auto resumed = trigml::testing::run_command(std::string(TRIGML_CLI) + " " + args + " --resume");
  ASSERT_EQ(resumed.status, 0) << resumed.output;
  EXPECT_TRUE(same_weights(weights_of(whole.out), weights_of(out)));
  // The history of the resumed run is the whole run's.
  EXPECT_EQ(train::read_text_file(whole.out / "history.jsonl").size() > 0, true);
  std::ifstream a(whole.out / "history.jsonl"), b(out / "history.jsonl");
  std::string la, lb;
  while (std::getline(a, la)) {
    ASSERT_TRUE(std::getline(b, lb));
    auto ja = nlohmann::json::parse(la), jb = nlohmann::json::parse(lb);
    EXPECT_EQ(ja.at("loss"), jb.at("loss"));
    EXPECT_EQ(ja.at("val_loss"), jb.at("val_loss"));
  }
}

TEST(Trainer, RefusesImpossibleOptionsAndWrongDataBeforeTraining) {
  const auto refused = [](train::TrainOptions o, const std::string& expected) {
    try {
      train::train_model(o);
      ADD_FAILURE() << "accepted: expected an error about " << expected;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(o.out));
    EXPECT_FALSE(fs::exists(o.out.string() + ".partial"));
  };
  auto o = options("refused", "inclusive", 2);
  auto bad = o;
  bad.epochs = 0;
  refused(bad, "--epochs");
  bad = o;
  bad.validation_fraction = 1.5;
  refused(bad, "--validation-fraction");
  bad = o;
  bad.model.learning_rate = -1;
  refused(bad, "--learning-rate");
  bad = o;
  bad.model.dropout = 1;
  refused(bad, "--dropout");
  bad = o;
  bad.data = trigml::testing::prepared_dataset().parent_path() / "ingested";
  refused(bad, "not a prepared dataset");
  bad = o;
  bad.resume = true;
  refused(bad, "nothing to resume");
  const auto cli = trigml::testing::run_command(std::string(TRIGML_CLI) + " train " +
                                                trigml::testing::prepared_dataset().string() +
                                                " --model gru3000 --out " + o.out.string());
  EXPECT_EQ(cli.status, 2) << cli.output;
  EXPECT_NE(cli.output.find("unknown architecture"), std::string::npos) << cli.output;
}

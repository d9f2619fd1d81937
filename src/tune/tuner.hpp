// `trigml tune`: a hyper-parameter search over `trigml train`'s options. Each trial is an ordinary
// training (its own seed, its own model directory under TUNE_DIR/trials/), scored on the validation
// fraction of the training rows only; the test split is never read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "train/trainer.hpp"
#include "tune/asha.hpp"
#include "tune/space.hpp"

namespace trigml::tune {

enum class Strategy { Grid, Random, Asha };
Strategy parse_strategy(const std::string& name);
std::string to_string(Strategy strategy);

// Where random and asha take their trials' points (drawn with the sampler's seed). Random: trial
// i's point drawn from the space (its own stream of that seed), trained with seed + i. Grid: the
// grid's points, each at most once, in an order the sampler's seed shuffles (Optuna's GridSampler),
// point k trained with seed + k as the grid search trains it; so ASHA over the grid stops some of
// the grid search's own trainings early and runs the others exactly as the grid does.
enum class Sampler { Random, Grid };
Sampler parse_sampler(const std::string& name);
std::string to_string(Sampler sampler);

enum class TrialStatus { Running, Completed, Pruned, Failed };
std::string to_string(TrialStatus status);
TrialStatus parse_trial_status(const std::string& name);

struct TuneOptions {
  std::filesystem::path out;         // TUNE_DIR
  std::filesystem::path space_file;  // the space's TOML file
  // Every trial's options before the space's point is applied: data, architecture, validation
  // fraction, threads, ... (out, seed, epochs and resume are the tuner's).
  train::TrainOptions base;
  Strategy strategy = Strategy::Random;
  Sampler sampler = Sampler::Random;  // random and asha
  int trials = 0;                     // trials to run; 0 with grid or --sampler grid: every point
  int max_epochs = 10;
  uint64_t seed = 1;                         // trial i trains with seed + i (grid point k: seed + k)
  std::optional<uint64_t> sampler_seed;      // random and asha's draws; seed when not set
  int min_epochs = 1, reduction_factor = 3;  // asha
  bool resume = false;
  bool progress = true;
  // Trials at once: more than 1 runs each trial in a child process, started as worker_command
  // (`trigml tune-trial`, which serves one trial over its stdin and stdout: worker.hpp).
  int workers = 1;
  std::vector<std::string> worker_command;
};

struct TrialResult {
  int trial = 0;
  Assignment params;
  uint64_t seed = 0;
  TrialStatus status = TrialStatus::Running;
  std::vector<train::EpochRecord> history;
  std::string error;  // Failed: why
  // The lowest validation loss of the history (the kept weights'), +inf without one.
  double best_val_loss() const;
};

struct TuneSummary {
  std::vector<TrialResult> trials;  // in trial order
  int best_trial = -1;
  uint64_t epochs_trained = 0;  // over every trial
  double seconds = 0;
};

// Checks everything (the space, every trial's options, the data, TUNE_DIR) before the first trial
// trains (UsageError), then runs the trials one after the other and writes TUNE_DIR/trials.parquet,
// TUNE_DIR/tune.json (the state --resume continues from) and TUNE_DIR/best/ (the model directory of
// the trial with the lowest validation loss).
TuneSummary run_tune(const TuneOptions& options);

// The files of a tune directory.
std::filesystem::path trial_dir(const std::filesystem::path& out, int trial);

}  // namespace trigml::tune

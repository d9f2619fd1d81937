#include <cstdio>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "common/error.hpp"
#include "dist/dist.hpp"
#include "tune/tuner.hpp"
#include "tune/worker.hpp"

namespace trigml::cli {

namespace {

void print_tuning(const tune::TuneSummary& s, const tune::TuneOptions& o) {
  std::printf("%-6s %-10s %7s %10s %10s  %s\n", "trial", "status", "epochs", "val_loss", "val_acc", "params");
  std::vector<const tune::TrialResult*> ranked;
  for (const auto& t : s.trials) ranked.push_back(&t);
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto* a, const auto* b) { return a->best_val_loss() < b->best_val_loss(); });
  for (const auto* t : ranked) {
    double accuracy = 0;
    for (const auto& r : t->history)
      if (r.has_validation && r.val_loss == t->best_val_loss()) accuracy = r.val_accuracy;
    std::printf("%-6d %-10s %7zu %10.4f %10.4f  %s\n", t->trial, tune::to_string(t->status).c_str(),
                t->history.size(), t->best_val_loss(), accuracy, t->params.dump().c_str());
  }
  std::printf(
      "best: trial %d; %zu trials, %llu epochs trained in %.0f s; results in %s/trials.parquet, model in "
      "%s/best\n",
      s.best_trial, s.trials.size(), static_cast<unsigned long long>(s.epochs_trained), s.seconds,
      o.out.string().c_str(), o.out.string().c_str());
}

}  // namespace

void register_tune(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "tune", "Search hyper-parameters: many trainings, scored on the validation fraction");
  struct Options {
    std::string data, architecture = "hlf", strategy = "random", sampler = "random";
    tune::TuneOptions tune;
  };
  auto o = std::make_shared<Options>();
  auto& t = o->tune;
  cmd->add_option("data", o->data, "Prepared dataset (trigml prepare's output directory, or its train/)")
      ->required();
  cmd->add_option("--model", o->architecture, "hlf, particles, inclusive or inclusive-lstm (default hlf)");
  cmd->add_option("--space", t.space_file,
                  "The search space (TOML: [params] name = { choice | uniform | log_uniform })")
      ->required();
  cmd->add_option("--out", t.out, "Tune directory to create (trials.parquet, trials/, best/)")->required();
  cmd->add_option(
      "--trials", t.trials,
      "Trials to run (random and asha: required; grid and --sampler grid: every point by default)");
  cmd->add_option("--strategy", o->strategy, "grid, random or asha (default random)");
  cmd->add_option("--sampler", o->sampler,
                  "random and asha: random (each trial's point drawn from the space; default) or grid (the "
                  "grid's points once each, in a seeded order, trained as the grid search trains them)");
  cmd->add_option("--max-epochs", t.max_epochs, "Epochs of a trial that is not stopped (default 10)");
  cmd->add_option("--min-epochs", t.min_epochs, "asha: epochs of the first rung (default 1)");
  cmd->add_option("--reduction-factor", t.reduction_factor,
                  "asha: rungs at min·η^k epochs; the best 1/η of a rung go on (default 3)");
  cmd->add_option("--seed", t.seed,
                  "Trial i trains with seed + i, the grid's point k with seed + k (default 1)");
  cmd->add_option("--sampler-seed", t.sampler_seed, "Seed of the sampler's draws (default: --seed)");
  cmd->add_flag("--resume", t.resume, "Continue an interrupted search in --out");
  cmd->add_option(
      "--workers", t.workers,
      "Trials at once, each in its own process (default 1: in this one; under mpirun, one per rank but 0)");
  auto& b = t.base;
  cmd->add_option("--batch-size", b.batch_size,
                  "Events per batch where the space does not set it (default 128)");
  cmd->add_option("--validation-fraction", b.validation_fraction,
                  "Fraction of the training rows that scores the trials (default 0.1)");
  cmd->add_option("--patience", b.patience,
                  "Epochs without a better validation loss before a trial stops (default 3)");
  cmd->add_option("--max-events", b.max_events, "Use only the first N rows of the dataset");
  cmd->add_flag("--cache", b.cache, "Keep the decoded dataset in memory after a trial's first epoch");
  cmd->add_option("--threads", b.threads, "Threads for the network (default 1)");
  add_model_options(*cmd, b.model);
  cmd->callback([o] {
    if (dist::size() > 1 && o->tune.workers > 1)
      throw UsageError(
          "--workers starts processes on this machine; under mpirun every rank but 0 is a worker");
    try {
      o->tune.base.model.architecture = model::parse_architecture(o->architecture);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    o->tune.strategy = tune::parse_strategy(o->strategy);
    o->tune.sampler = tune::parse_sampler(o->sampler);
    o->tune.base.data = o->data;
    o->tune.worker_command = {std::filesystem::read_symlink("/proc/self/exe").string(), "tune-trial"};
    const tune::TuneSummary summary = tune::run_tune(o->tune);
    if (dist::is_root()) print_tuning(summary, o->tune);
  });

  // One trial for `tune --workers`: options in and results out as JSON lines (tune/worker.hpp).
  auto* trial = app.add_subcommand("tune-trial", "Serve one trial of trigml tune --workers (internal)");
  trial->group("");
  trial->callback([] { tune::serve_trial(std::cin, std::cout); });
}

}  // namespace trigml::cli

#include <cstdio>

#include "commands.hpp"
#include "common/error.hpp"
#include "dist/dist.hpp"
#include "train/trainer.hpp"

namespace trigml::cli {

void add_model_options(CLI::App& cmd, model::ModelConfig& config) {
  cmd.add_option("--hlf-layers", config.hlf_hidden, "hlf: sizes of the ReLU layers (default 50 20 10)");
  cmd.add_option("--recurrent-units", config.recurrent_units, "GRU/LSTM units (default 50)");
  cmd.add_option("--head-units", config.head_units,
                 "inclusive: units of the ReLU layer after the join (default 25)");
  cmd.add_option("--dropout", config.dropout, "Dropout rate (default 0.2)");
  cmd.add_option("--learning-rate", config.learning_rate, "Adam's learning rate (default 1e-3)");
  cmd.add_option("--clip-norm", config.gradient_clip_norm,
                 "Clip the gradient norm to this (default: no clipping)");
}

void print_training(const train::TrainSummary& s, const std::string& out) {
  const auto& last = s.history.back();
  std::printf("%-6s %10s %10s %10s %10s %12s\n", "epoch", "loss", "accuracy", "val_loss", "val_acc",
              "events/s");
  for (const auto& r : s.history) {
    if (r.has_validation)
      std::printf("%-6d %10.4f %10.4f %10.4f %10.4f %12.0f%s\n", r.epoch, r.loss, r.accuracy, r.val_loss,
                  r.val_accuracy, r.events_per_second, r.epoch == s.best_epoch ? "  (kept)" : "");
    else
      std::printf("%-6d %10.4f %10.4f %10s %10s %12.0f\n", r.epoch, r.loss, r.accuracy, "-", "-",
                  r.events_per_second);
  }
  std::printf("%s: %lld parameters, %llu training and %llu validation events, %d epoch(s)%s; model in %s\n",
              s.stopped_early ? "stopped early" : "done", static_cast<long long>(s.parameters),
              static_cast<unsigned long long>(s.train_events),
              static_cast<unsigned long long>(s.validation_events), last.epoch,
              s.stopped_early ? " (no better validation loss)" : "", out.c_str());
}

void register_train(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "Train a classifier on a prepared dataset");
  struct Options {
    std::string data, architecture = "inclusive";
    train::TrainOptions train;
  };
  auto o = std::make_shared<Options>();
  auto& t = o->train;
  cmd->add_option("data", o->data, "Prepared dataset (trigml prepare's output directory, or its train/)")
      ->required();
  cmd->add_option("--model", o->architecture,
                  "hlf, particles, inclusive or inclusive-lstm (default inclusive)");
  cmd->add_option("--out", t.out, "Model directory to create")->required();
  cmd->add_option("--epochs", t.epochs, "Epochs (default 10)");
  cmd->add_option("--batch-size", t.batch_size, "Events per batch (default 128)");
  cmd->add_option("--validation-fraction", t.validation_fraction,
                  "Fraction of the training rows held out for early stopping (default 0.1; 0: none)");
  cmd->add_option("--patience", t.patience,
                  "Epochs without a better validation loss before stopping (default 3; 0: never)");
  cmd->add_option("--lr-step", t.lr_step_epochs,
                  "Multiply the learning rate by --lr-gamma every this many epochs");
  cmd->add_option("--lr-gamma", t.lr_gamma, "Learning-rate decay factor of --lr-step (default 0.5)");
  cmd->add_option("--seed", t.model.seed, "Seed of the initialisation, shuffling and dropout (default 1)");
  cmd->add_option("--shuffle-buffer", t.shuffle_buffer, "Events shuffled together (default 8192)");
  cmd->add_flag("--cache", t.cache, "Keep the decoded dataset in memory after the first epoch");
  cmd->add_option("--max-events", t.max_events, "Use only the first N rows of the dataset");
  cmd->add_option("--threads", t.threads, "Threads for the network (default 1; one more decodes data)");
  cmd->add_flag("--resume", t.resume, "Continue an interrupted run from <out>.partial");
  add_model_options(*cmd, t.model);
  cmd->callback([o] {
    try {
      o->train.model.architecture = model::parse_architecture(o->architecture);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
    o->train.data = o->data;
    const train::TrainSummary summary = train::train_model(o->train);
    if (dist::is_root()) print_training(summary, o->train.out.string());
  });
}

}  // namespace trigml::cli

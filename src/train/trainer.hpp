// `trigml train`: one classifier trained on a prepared dataset with Adam and categorical
// cross-entropy, validated on a held-out fraction of the training rows, checkpointed after every
// epoch so that a killed run resumes to exactly the weights of an uninterrupted one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "model/model.hpp"

namespace trigml::train {

struct EpochRecord;

struct TrainOptions {
  std::filesystem::path data;  // a prepare output directory, or its train/ dataset
  std::filesystem::path out;   // the model directory to create
  model::ModelConfig model;
  int epochs = 10;
  size_t batch_size = 128;
  // The last fraction of the (already shuffled) training rows validates: early stopping and the
  // choice of the best epoch's weights. 0 trains on every row and keeps the last epoch.
  double validation_fraction = 0.1;
  int patience = 3;        // stop after this many epochs without a better validation loss; 0 = never
  int lr_step_epochs = 0;  // multiply the learning rate by lr_gamma every this many epochs; 0 = constant
  double lr_gamma = 0.5;
  size_t shuffle_buffer = 8192;
  bool cache = false;       // hold the decoded dataset in memory after the first epoch
  uint64_t max_events = 0;  // use only the first rows of the dataset (0 = all)
  int threads = 1;          // libtorch and oneDNN threads; one more thread decodes the data
  bool resume = false;      // continue <out>.partial from its last checkpoint
  bool progress = true;
  // Called after each epoch's validation, before its checkpoint; returning false ends the training
  // there as early stopping does (the best epoch's weights are kept). `trigml tune` stops the trials
  // that fall behind. Not part of what a resumed run must share.
  std::function<bool(const EpochRecord&)> after_epoch;
};

struct EpochRecord {
  int epoch = 0;
  double loss = 0, accuracy = 0;
  double val_loss = 0, val_accuracy = 0;  // meaningful when has_validation
  bool has_validation = false;
  double learning_rate = 0;
  double seconds = 0;            // training and validation of the epoch
  double events_per_second = 0;  // training events over training time (data loading included)
  uint64_t events = 0;
  // Data-parallel training (more than one rank): the ranks, and the time this rank spent adding the
  // gradients across them (all-reduce) in the epoch's steps.
  int ranks = 1;
  uint64_t steps = 0;
  double allreduce_seconds = 0;
};

nlohmann::json to_json(const EpochRecord& record);
EpochRecord epoch_record_from_json(const nlohmann::json& json);

struct TrainSummary {
  std::vector<EpochRecord> history;
  int best_epoch = 0;  // whose weights the model keeps
  bool stopped_early = false;
  uint64_t train_events = 0, validation_events = 0;
  int64_t parameters = 0;
};

// The checks train_model makes of the options alone (not the data): UsageError naming the option.
void check_options(const TrainOptions& options);

// Validates every option and the dataset before training starts (UsageError), then trains and
// leaves the model directory at options.out, built in <out>.partial and renamed when complete.
// Under mpirun every rank holds the model and trains on its share of every batch; the gradients are
// summed across the ranks before each step, so all ranks keep the same weights, and rank 0 writes
// the checkpoints, the history and the model directory.
TrainSummary train_model(const TrainOptions& options);

}  // namespace trigml::train

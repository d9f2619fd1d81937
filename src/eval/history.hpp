// The trainer's history file (history.jsonl): one JSON object per line, one line per epoch.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace trigml::eval {

struct HistoryRow {
  int epoch = 0;
  double loss = 0;
  double accuracy = 0;
  std::optional<double> val_loss;  // absent when the trainer had no validation data
  std::optional<double> val_accuracy;
  std::optional<double> learning_rate;
  std::optional<double> seconds;
  std::optional<double> events_per_second;
};

// Reads {"epoch":1,"loss":…,"accuracy":…,"val_loss":…,"val_accuracy":…,"learning_rate":…,
// "seconds":…,"events_per_second":…} per line; epoch, loss and accuracy are required, blank
// lines are skipped and unknown keys ignored; a null loss or accuracy (how JSON writers spell
// NaN) reads as NaN. IoError when the file cannot be read, FormatError naming the file, line and
// byte offset for a line that is not such an object.
std::vector<HistoryRow> read_history(const std::filesystem::path& path);

}  // namespace trigml::eval

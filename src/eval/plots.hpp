// The evaluation's figures as PNG images drawn with cairo: ROC curves, the confusion matrix and
// the training curves. Each function returns the encoded PNG, so the report can both write it
// and embed it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "eval/history.hpp"
#include "eval/metrics.hpp"

namespace trigml::eval {

enum class FprAxis { Linear, Log };

// Signal efficiency against false-positive rate for every class, the AUC in the legend. On the
// log axis the FPR starts at the decade below the smallest nonzero FPR of any curve (at least
// 1e-6), and the straight segments between ROC points are drawn as the curves they become there.
std::vector<std::byte> plot_roc(const Metrics& metrics, FprAxis axis);

// A heat map of the confusion matrix normalised by the true class, each cell with its fraction
// and its count.
std::vector<std::byte> plot_confusion_matrix(const Metrics& metrics);

enum class HistoryQuantity { Loss, Accuracy };

// The quantity per epoch for the training data and, where the history has it, the validation
// data. UsageError for an empty history.
std::vector<std::byte> plot_history(const std::vector<HistoryRow>& history, HistoryQuantity quantity);

// Several runs' curves on one plot (tune's learning curves: validation loss per epoch of the best
// trials), one colour and legend entry each. UsageError when no curve has a point.
struct Curve {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (epoch, value)
};
std::vector<std::byte> plot_curves(const std::vector<Curve>& curves, const std::string& title,
                                   const std::string& y_label);

// Parallel coordinates: one vertical axis per parameter and the score last, one line per run
// through its values, coloured by its score (the lowest, the best, dark and drawn on top). An axis
// with labels is categorical: its values are indices into the labels. UsageError without runs.
struct ParallelAxis {
  std::string name;
  std::vector<double> values;  // one per run
  bool log = false;
  std::vector<std::string> labels;
};
std::vector<std::byte> plot_parallel_coordinates(const std::vector<ParallelAxis>& parameters,
                                                 const ParallelAxis& score);

// Writes bytes to path under a temporary name, renamed when complete.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);

}  // namespace trigml::eval

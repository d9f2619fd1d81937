// The evaluation's figures as PNG images drawn with cairo: ROC curves, the confusion matrix and
// the training curves. Each function returns the encoded PNG, so the report can both write it
// and embed it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
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

// Writes bytes to path under a temporary name, renamed when complete.
void write_file_atomically(const std::filesystem::path& path, std::span<const std::byte> bytes);

}  // namespace trigml::eval

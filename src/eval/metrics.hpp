// The numbers of an evaluation: per class (one against the rest) the ROC curve, its area and the
// working points a trigger designer asks for; overall the accuracy and the confusion matrix.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "eval/roc.hpp"

namespace trigml::eval {

// Signal efficiency is reported at these false-positive rates ...
inline constexpr std::array<double, 3> kFalsePositiveTargets = {0.1, 0.01, 0.001};
// ... and the false-positive rate at this signal efficiency.
inline constexpr double kSignalEfficiencyTarget = 0.99;

struct ClassMetrics {
  std::string name;
  uint64_t events = 0;  // events of this true class: the positives of its ROC curve
  double auc = 0;
  RocCurve roc;                       // scikit-learn's points (RocPoints::Corners)
  std::vector<WorkingPoint> at_fpr;   // one per kFalsePositiveTargets, see at_false_positive_rate
  WorkingPoint at_signal_efficiency;  // at kSignalEfficiencyTarget, see at_true_positive_rate
};

struct Metrics {
  std::vector<std::string> class_names;
  uint64_t events = 0;
  double accuracy = 0;  // fraction of events whose highest probability is their true class
  // [true class][predicted class]; the prediction is the class of highest probability (the first
  // of equal ones). normalized divides each row by the events of its true class.
  std::vector<std::vector<uint64_t>> confusion;
  std::vector<std::vector<double>> confusion_normalized;
  std::vector<ClassMetrics> classes;  // in class_names order
};

// labels[i] in [0, K); probabilities is N×K, row-major (event i's probability of class k at
// i*K + k). UsageError when the sizes disagree, a label is out of range, a probability is not
// finite, or a class has no events (or all of them).
Metrics evaluate(std::span<const int32_t> labels, std::span<const float> probabilities,
                 std::vector<std::string> class_names);

// metrics.json: {"events", "accuracy", "auc": {class: area}, "classes": {class: {"events", "auc",
// "signal_efficiency_at_fpr": [{"fpr", "signal_efficiency", "threshold"}...],
// "fpr_at_signal_efficiency": {"signal_efficiency", "fpr", "threshold"}}},
// "confusion_matrix": {"classes", "counts", "normalized_by_true_class"}}. No curve points (they
// follow from scores.parquet).
nlohmann::json to_json(const Metrics& metrics);

}  // namespace trigml::eval

// ROC curves and their areas for one class against the rest, with the same points as
// scikit-learn 1.2's roc_curve and the same area as its roc_auc_score, ties included.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace trigml::eval {

// Points of a ROC curve, from (0, 0) to (1, 1). Point i selects the events with
// score >= thresholds[i]; thresholds decrease. thresholds[0] selects nothing: it is the highest
// score + 1, computed in float as scikit-learn 1.2 does for float32 scores (1.3 uses +inf).
struct RocCurve {
  std::vector<double> fpr;  // false-positive rate: selected negatives / negatives
  std::vector<double> tpr;  // true-positive rate (signal efficiency): selected positives / positives
  std::vector<float> thresholds;
  uint64_t positives = 0;
  uint64_t negatives = 0;
  double auc = 0;  // area under the curve (trapezoids between the points)

  size_t size() const { return fpr.size(); }
};

enum class RocPoints {
  // scikit-learn's drop_intermediate=True: a point is dropped when both its FPR and TPR are
  // the mean of its neighbours' (it lies halfway on a straight segment). The default.
  Corners,
  // One point per distinct score (drop_intermediate=False).
  All,
};

// The ROC curve of `scores` (the predicted probability of the class) where is_positive[i] != 0
// marks the events of that class. UsageError when the sizes differ, a score is not finite, or
// there are no positives or no negatives. O(N log N); allocates the sorted copy and the curve.
RocCurve roc_curve(std::span<const float> scores, std::span<const uint8_t> is_positive,
                   RocPoints points = RocPoints::Corners);

// The area under the ROC curve (scikit-learn's roc_auc_score), without building the curve.
// Computed from integer counts, so exact up to one final rounding.
double roc_auc(std::span<const float> scores, std::span<const uint8_t> is_positive);

// A working point on a ROC curve, read off the curve drawn as straight lines between its points.
struct WorkingPoint {
  double fpr = 0;
  double tpr = 0;
  // The score cut (select score >= threshold) of the nearest ROC point on the safe side of the
  // target: for a target FPR the last point with FPR <= target, for a target TPR the first point
  // with TPR >= target.
  float threshold = 0;
};

// The highest signal efficiency at false-positive rate `fpr` (in [0, 1]): linear interpolation
// between the two points around it; where the curve rises vertically at exactly that FPR, its top.
WorkingPoint at_false_positive_rate(const RocCurve& curve, double fpr);
// The lowest false-positive rate at signal efficiency `tpr` (in [0, 1]): linear interpolation
// between the two points around it; where the curve runs flat at exactly that TPR, its left end.
WorkingPoint at_true_positive_rate(const RocCurve& curve, double tpr);

}  // namespace trigml::eval

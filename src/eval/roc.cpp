#include "eval/roc.hpp"

#include <algorithm>
#include <cmath>

#include "common/error.hpp"

namespace trigml::eval {

namespace {

struct ScoredEvent {
  float score;
  bool positive;
};

// One point per distinct score, from the highest: the events selected by score >= threshold.
struct CountPoint {
  uint64_t false_positives;
  uint64_t true_positives;
  float threshold;
};

// The events sorted by decreasing score, after checking the inputs.
std::vector<ScoredEvent> sorted_events(std::span<const float> scores, std::span<const uint8_t> is_positive) {
  if (scores.size() != is_positive.size())
    throw UsageError(fmt::format("ROC curve: {} scores but {} labels", scores.size(), is_positive.size()));
  std::vector<ScoredEvent> events(scores.size());
  uint64_t positives = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i]))
      throw UsageError(fmt::format("ROC curve: the score of event {} is {}", i, scores[i]));
    events[i] = {scores[i], is_positive[i] != 0};
    positives += events[i].positive;
  }
  if (positives == 0)
    throw UsageError(fmt::format("ROC curve: none of the {} events is positive", scores.size()));
  if (positives == scores.size())
    throw UsageError(fmt::format("ROC curve: all of the {} events are positive", scores.size()));
  std::sort(events.begin(), events.end(),
            [](const ScoredEvent& a, const ScoredEvent& b) { return a.score > b.score; });
  return events;
}

// Calls point(CountPoint) for each distinct score and returns the area under the curve.
template <typename PointSink>
double walk_distinct_scores(const std::vector<ScoredEvent>& events, PointSink&& point) {
  uint64_t true_positives = 0, false_positives = 0;
  // Twice the area in units of (one negative) × (one positive): integers, exact in a double
  // while below 2^53.
  double doubled_area = 0;
  uint64_t previous_fp = 0, previous_tp = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    true_positives += events[i].positive;
    false_positives += !events[i].positive;
    if (i + 1 < events.size() && events[i + 1].score == events[i].score) continue;
    doubled_area += static_cast<double>(false_positives - previous_fp) *
                    static_cast<double>(true_positives + previous_tp);
    previous_fp = false_positives;
    previous_tp = true_positives;
    point(CountPoint{false_positives, true_positives, events[i].score});
  }
  return doubled_area / (2.0 * static_cast<double>(true_positives) * static_cast<double>(false_positives));
}

}  // namespace

RocCurve roc_curve(std::span<const float> scores, std::span<const uint8_t> is_positive, RocPoints points) {
  std::vector<ScoredEvent> events = sorted_events(scores, is_positive);
  RocCurve curve;
  curve.positives =
      static_cast<uint64_t>(std::count_if(events.begin(), events.end(), [](auto& e) { return e.positive; }));
  curve.negatives = events.size() - curve.positives;
  const double positives = static_cast<double>(curve.positives),
               negatives = static_cast<double>(curve.negatives);
  auto append = [&](const CountPoint& p) {
    curve.fpr.push_back(static_cast<double>(p.false_positives) / negatives);
    curve.tpr.push_back(static_cast<double>(p.true_positives) / positives);
    curve.thresholds.push_back(p.threshold);
  };
  append({0, 0, events.front().score + 1.0f});

  if (points == RocPoints::All) {
    curve.auc = walk_distinct_scores(events, append);
    return curve;
  }
  // scikit-learn keeps a point unless the second differences of both counts vanish there, which
  // is decided when the next point arrives; the first and last points are always kept.
  size_t seen = 0;
  CountPoint before{}, middle{};
  curve.auc = walk_distinct_scores(events, [&](const CountPoint& next) {
    if (seen == 0) {
      append(next);
      before = next;
    } else if (seen == 1) {
      middle = next;
    } else {
      bool straight = next.false_positives + before.false_positives == 2 * middle.false_positives &&
                      next.true_positives + before.true_positives == 2 * middle.true_positives;
      if (!straight) append(middle);
      before = middle;
      middle = next;
    }
    ++seen;
  });
  if (seen >= 2) append(middle);
  return curve;
}

double roc_auc(std::span<const float> scores, std::span<const uint8_t> is_positive) {
  return walk_distinct_scores(sorted_events(scores, is_positive), [](const CountPoint&) {});
}

WorkingPoint at_false_positive_rate(const RocCurve& curve, double fpr) {
  if (!(fpr >= 0 && fpr <= 1)) throw UsageError(fmt::format("false-positive rate {} is outside [0, 1]", fpr));
  if (curve.size() == 0) throw UsageError("working point of an empty ROC curve");
  // The last point at or below the target: among points at exactly the target FPR, the highest.
  size_t below =
      static_cast<size_t>(std::upper_bound(curve.fpr.begin(), curve.fpr.end(), fpr) - curve.fpr.begin()) - 1;
  WorkingPoint point{fpr, curve.tpr[below], curve.thresholds[below]};
  if (curve.fpr[below] < fpr && below + 1 < curve.size()) {
    double fraction = (fpr - curve.fpr[below]) / (curve.fpr[below + 1] - curve.fpr[below]);
    point.tpr = curve.tpr[below] + fraction * (curve.tpr[below + 1] - curve.tpr[below]);
  }
  return point;
}

WorkingPoint at_true_positive_rate(const RocCurve& curve, double tpr) {
  if (!(tpr >= 0 && tpr <= 1)) throw UsageError(fmt::format("true-positive rate {} is outside [0, 1]", tpr));
  if (curve.size() == 0) throw UsageError("working point of an empty ROC curve");
  // The first point at or above the target: among points at exactly the target TPR, the leftmost.
  size_t above =
      static_cast<size_t>(std::lower_bound(curve.tpr.begin(), curve.tpr.end(), tpr) - curve.tpr.begin());
  WorkingPoint point{curve.fpr[above], tpr, curve.thresholds[above]};
  if (curve.tpr[above] > tpr && above > 0) {
    double fraction = (tpr - curve.tpr[above - 1]) / (curve.tpr[above] - curve.tpr[above - 1]);
    point.fpr = curve.fpr[above - 1] + fraction * (curve.fpr[above] - curve.fpr[above - 1]);
  }
  return point;
}

}  // namespace trigml::eval

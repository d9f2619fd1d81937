#include "eval/metrics.hpp"

#include <cmath>

#include "common/error.hpp"

namespace trigml::eval {

Metrics evaluate(std::span<const int32_t> labels, std::span<const float> probabilities,
                 std::vector<std::string> class_names) {
  const size_t classes = class_names.size();
  const size_t events = labels.size();
  if (classes < 2) throw UsageError(fmt::format("evaluation needs at least 2 classes, got {}", classes));
  if (probabilities.size() != events * classes)
    throw UsageError(fmt::format("evaluation: {} probabilities for {} events of {} classes (expected {})",
                                 probabilities.size(), events, classes, events * classes));
  Metrics m;
  m.events = events;
  m.confusion.assign(classes, std::vector<uint64_t>(classes, 0));
  uint64_t correct = 0;
  for (size_t i = 0; i < events; ++i) {
    if (labels[i] < 0 || static_cast<size_t>(labels[i]) >= classes)
      throw UsageError(
          fmt::format("evaluation: event {} has label {}, outside 0..{}", i, labels[i], classes - 1));
    const float* row = probabilities.data() + i * classes;
    size_t predicted = 0;
    for (size_t k = 0; k < classes; ++k) {
      if (!std::isfinite(row[k]))
        throw UsageError(
            fmt::format("evaluation: event {} has probability {} for class '{}'", i, row[k], class_names[k]));
      if (row[k] > row[predicted]) predicted = k;
    }
    auto truth = static_cast<size_t>(labels[i]);
    ++m.confusion[truth][predicted];
    correct += predicted == truth;
  }
  m.accuracy = events == 0 ? 0.0 : static_cast<double>(correct) / static_cast<double>(events);

  std::vector<float> scores(events);
  std::vector<uint8_t> is_positive(events);
  for (size_t k = 0; k < classes; ++k) {
    ClassMetrics c;
    c.name = class_names[k];
    for (uint64_t n : m.confusion[k]) c.events += n;
    if (c.events == 0 || c.events == events)
      throw UsageError(
          fmt::format("evaluation: {} of the {} events are of class '{}', so its ROC curve against "
                      "the rest is undefined",
                      c.events == 0 ? "none" : "all", events, c.name));
    for (size_t i = 0; i < events; ++i) {
      scores[i] = probabilities[i * classes + k];
      is_positive[i] = static_cast<size_t>(labels[i]) == k;
    }
    c.roc = roc_curve(scores, is_positive);
    c.auc = c.roc.auc;
    for (double target : kFalsePositiveTargets) c.at_fpr.push_back(at_false_positive_rate(c.roc, target));
    c.at_signal_efficiency = at_true_positive_rate(c.roc, kSignalEfficiencyTarget);
    std::vector<double> row(classes);
    for (size_t p = 0; p < classes; ++p)
      row[p] = static_cast<double>(m.confusion[k][p]) / static_cast<double>(c.events);
    m.confusion_normalized.push_back(std::move(row));
    m.classes.push_back(std::move(c));
  }
  m.class_names = std::move(class_names);
  return m;
}

nlohmann::json to_json(const Metrics& m) {
  nlohmann::json auc = nlohmann::json::object(), per_class = nlohmann::json::object();
  for (const ClassMetrics& c : m.classes) {
    auc[c.name] = c.auc;
    nlohmann::json efficiencies = nlohmann::json::array();
    for (const WorkingPoint& p : c.at_fpr)
      efficiencies.push_back({{"fpr", p.fpr}, {"signal_efficiency", p.tpr}, {"threshold", p.threshold}});
    per_class[c.name] = {
        {"events", c.events},
        {"auc", c.auc},
        {"signal_efficiency_at_fpr", efficiencies},
        {"fpr_at_signal_efficiency",
         {{"signal_efficiency", c.at_signal_efficiency.tpr},
          {"fpr", c.at_signal_efficiency.fpr},
          {"threshold", c.at_signal_efficiency.threshold}}},
    };
  }
  return {
      {"events", m.events},
      {"accuracy", m.accuracy},
      {"auc", auc},
      {"classes", per_class},
      {"confusion_matrix",
       {{"classes", m.class_names},
        {"counts", m.confusion},
        {"normalized_by_true_class", m.confusion_normalized}}},
  };
}

}  // namespace trigml::eval

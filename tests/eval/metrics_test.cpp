// Accuracy, confusion matrix, areas and working points of a three-class example computed by hand.
#include "eval/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/error.hpp"

using namespace trigml;
using namespace trigml::eval;

namespace {

// Six events, two per class. Event 3 ties qcd and ttbar: the first (qcd) is the prediction.
const std::vector<int32_t> kLabels = {0, 0, 1, 1, 2, 2};
const std::vector<float> kProbabilities = {
    0.7f, 0.2f, 0.1f,  // qcd, predicted qcd
    0.3f, 0.4f, 0.3f,  // qcd, predicted ttbar
    0.1f, 0.8f, 0.1f,  // ttbar, predicted ttbar
    0.5f, 0.5f, 0.0f,  // ttbar, predicted qcd (tie)
    0.2f, 0.2f, 0.6f,  // wjets, predicted wjets
    0.1f, 0.3f, 0.6f,  // wjets, predicted wjets
};
const std::vector<std::string> kClasses = {"qcd", "ttbar", "wjets"};

TEST(Metrics, AccuracyAndConfusionMatrix) {
  Metrics m = evaluate(kLabels, kProbabilities, kClasses);
  EXPECT_EQ(m.events, 6u);
  EXPECT_DOUBLE_EQ(m.accuracy, 4.0 / 6);
  std::vector<std::vector<uint64_t>> counts = {{1, 1, 0}, {1, 1, 0}, {0, 0, 2}};
  EXPECT_EQ(m.confusion, counts);
  std::vector<std::vector<double>> normalized = {{0.5, 0.5, 0}, {0.5, 0.5, 0}, {0, 0, 1}};
  EXPECT_EQ(m.confusion_normalized, normalized);
  ASSERT_EQ(m.classes.size(), 3u);
  for (const ClassMetrics& c : m.classes) EXPECT_EQ(c.events, 2u) << c.name;
}

TEST(Metrics, AreasAndWorkingPoints) {
  Metrics m = evaluate(kLabels, kProbabilities, kClasses);
  // qcd: positives score {0.7, 0.3}, negatives {0.1, 0.5, 0.2, 0.1}: 7 of 8 pairs won.
  EXPECT_DOUBLE_EQ(m.classes[0].auc, 7.0 / 8);
  EXPECT_DOUBLE_EQ(m.classes[1].auc, 1.0);
  EXPECT_DOUBLE_EQ(m.classes[2].auc, 1.0);
  // qcd's curve: fpr {0, 0, 1/4, 1/4, 1/2, 1}, tpr {0, 1/2, 1/2, 1, 1, 1}, thresholds
  // {1.7, 0.7, 0.5, 0.3, 0.2, 0.1}. Below FPR 1/4 the efficiency stays 1/2 (cut 0.7).
  const ClassMetrics& qcd = m.classes[0];
  ASSERT_EQ(qcd.at_fpr.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(qcd.at_fpr[i].fpr, kFalsePositiveTargets[i]);
    EXPECT_DOUBLE_EQ(qcd.at_fpr[i].tpr, 0.5);
    EXPECT_EQ(qcd.at_fpr[i].threshold, 0.7f);
  }
  // 99 % efficiency needs the second positive, reached at FPR 1/4 with the cut at 0.3.
  EXPECT_DOUBLE_EQ(qcd.at_signal_efficiency.fpr, 0.25);
  EXPECT_DOUBLE_EQ(qcd.at_signal_efficiency.tpr, 0.99);
  EXPECT_EQ(qcd.at_signal_efficiency.threshold, 0.3f);
  // ttbar separates perfectly: full efficiency at zero FPR.
  EXPECT_DOUBLE_EQ(m.classes[1].at_fpr[2].tpr, 1.0);
  EXPECT_DOUBLE_EQ(m.classes[1].at_signal_efficiency.fpr, 0.0);
}

TEST(Metrics, JsonHasTheIssuesKeys) {
  nlohmann::json j = to_json(evaluate(kLabels, kProbabilities, kClasses));
  EXPECT_DOUBLE_EQ(j["auc"]["qcd"].get<double>(), 7.0 / 8);
  EXPECT_DOUBLE_EQ(j["auc"]["ttbar"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["auc"]["wjets"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 4.0 / 6);
  EXPECT_EQ(j["events"], 6);
  EXPECT_EQ(j["classes"]["qcd"]["events"], 2);
  EXPECT_DOUBLE_EQ(j["classes"]["qcd"]["signal_efficiency_at_fpr"][1]["fpr"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(j["classes"]["qcd"]["signal_efficiency_at_fpr"][1]["signal_efficiency"].get<double>(),
                   0.5);
  EXPECT_DOUBLE_EQ(j["classes"]["qcd"]["fpr_at_signal_efficiency"]["fpr"].get<double>(), 0.25);
  EXPECT_EQ(j["confusion_matrix"]["counts"][0][1], 1);
  EXPECT_DOUBLE_EQ(j["confusion_matrix"]["normalized_by_true_class"][2][2].get<double>(), 1.0);
}

TEST(Metrics, RejectsUnusableInput) {
  EXPECT_THROW(evaluate(kLabels, std::vector<float>(17, 0.3f), kClasses), UsageError);
  std::vector<int32_t> out_of_range = kLabels;
  out_of_range[4] = 3;
  EXPECT_THROW(evaluate(out_of_range, kProbabilities, kClasses), UsageError);
  std::vector<int32_t> no_wjets = {0, 0, 1, 1, 1, 0};
  try {
    evaluate(no_wjets, kProbabilities, kClasses);
    FAIL() << "a class without events was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("wjets"), std::string::npos) << e.what();
  }
  std::vector<float> with_nan = kProbabilities;
  with_nan[7] = std::nanf("");
  EXPECT_THROW(evaluate(kLabels, with_nan, kClasses), UsageError);
  EXPECT_THROW(evaluate(kLabels, kProbabilities, {"only"}), UsageError);
}

}  // namespace

// ROC curves, areas and working points on examples small enough to compute by hand, ties included.
#include "eval/roc.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/error.hpp"

using namespace trigml;
using namespace trigml::eval;

namespace {

void expect_curve(const RocCurve& curve, const std::vector<double>& fpr, const std::vector<double>& tpr,
                  const std::vector<float>& thresholds) {
  ASSERT_EQ(curve.size(), fpr.size());
  ASSERT_EQ(curve.tpr.size(), tpr.size());
  ASSERT_EQ(curve.thresholds.size(), thresholds.size());
  for (size_t i = 0; i < fpr.size(); ++i) {
    EXPECT_DOUBLE_EQ(curve.fpr[i], fpr[i]) << "point " << i;
    EXPECT_DOUBLE_EQ(curve.tpr[i], tpr[i]) << "point " << i;
    EXPECT_EQ(curve.thresholds[i], thresholds[i]) << "point " << i;
  }
}

// scikit-learn's documentation example of roc_curve.
TEST(Roc, DocumentationExample) {
  std::vector<float> scores = {0.1f, 0.4f, 0.35f, 0.8f};
  std::vector<uint8_t> positive = {0, 0, 1, 1};
  RocCurve curve = roc_curve(scores, positive);
  expect_curve(curve, {0, 0, 0.5, 0.5, 1}, {0, 0.5, 0.5, 1, 1}, {0.8f + 1.0f, 0.8f, 0.4f, 0.35f, 0.1f});
  EXPECT_EQ(curve.positives, 2u);
  EXPECT_EQ(curve.negatives, 2u);
  EXPECT_DOUBLE_EQ(curve.auc, 0.75);
  EXPECT_DOUBLE_EQ(roc_auc(scores, positive), 0.75);
}

// Tied scores form one point; a tie between a positive and a negative counts half a pair:
// positives {0.9, 0.5, 0.5} against negatives {0.9, 0.5, 0.1} win 5.5 of 9 pairs.
TEST(Roc, TiesAreOnePointAndHalfAPair) {
  std::vector<float> scores = {0.9f, 0.9f, 0.5f, 0.5f, 0.5f, 0.1f};
  std::vector<uint8_t> positive = {1, 0, 1, 1, 0, 0};
  RocCurve curve = roc_curve(scores, positive);
  expect_curve(curve, {0, 1.0 / 3, 2.0 / 3, 1}, {0, 1.0 / 3, 1, 1}, {1.9f, 0.9f, 0.5f, 0.1f});
  EXPECT_NEAR(curve.auc, 11.0 / 18, 1e-15);
  EXPECT_NEAR(roc_auc(scores, positive), 11.0 / 18, 1e-15);
}

TEST(Roc, EveryScoreTiedIsTheDiagonal) {
  std::vector<float> scores(5, 0.25f);
  std::vector<uint8_t> positive = {1, 0, 0, 1, 0};
  expect_curve(roc_curve(scores, positive), {0, 1}, {0, 1}, {1.25f, 0.25f});
  EXPECT_DOUBLE_EQ(roc_auc(scores, positive), 0.5);
}

// A point halfway between its neighbours in both counts is dropped; the full curve keeps it.
TEST(Roc, DropsPointsHalfwayOnAStraightSegment) {
  std::vector<float> scores = {0.6f, 0.9f, 0.7f, 0.8f};
  std::vector<uint8_t> positive = {0, 1, 0, 1};
  // Distinct scores give (fp, tp) = (0,1) (0,2) (1,2) (2,2); (1,2) is the mean of its neighbours.
  expect_curve(roc_curve(scores, positive), {0, 0, 0, 1}, {0, 0.5, 1, 1}, {1.9f, 0.9f, 0.8f, 0.6f});
  expect_curve(roc_curve(scores, positive, RocPoints::All), {0, 0, 0, 0.5, 1}, {0, 0.5, 1, 1, 1},
               {1.9f, 0.9f, 0.8f, 0.7f, 0.6f});
  EXPECT_DOUBLE_EQ(roc_auc(scores, positive), 1.0);
}

// scikit-learn drops a point only when both second differences vanish, not whenever three
// points are collinear: (1,0) (3,0) (4,0) lie on a line but are unequally spaced and stay.
TEST(Roc, KeepsCollinearPointsThatAreNotHalfway) {
  std::vector<float> scores = {0.9f, 0.8f, 0.8f, 0.7f, 0.6f};
  std::vector<uint8_t> positive = {0, 0, 0, 0, 1};
  expect_curve(roc_curve(scores, positive), {0, 0.25, 0.75, 1, 1}, {0, 0, 0, 0, 1},
               {1.9f, 0.9f, 0.8f, 0.7f, 0.6f});
  EXPECT_DOUBLE_EQ(roc_auc(scores, positive), 0.0);
}

TEST(Roc, WorkingPointsInterpolateOnTheCurve) {
  // fpr {0, 1/3, 2/3, 1}, tpr {0, 1/3, 1, 1}, thresholds {1.9, 0.9, 0.5, 0.1}.
  RocCurve curve = roc_curve(std::vector<float>{0.9f, 0.9f, 0.5f, 0.5f, 0.5f, 0.1f},
                             std::vector<uint8_t>{1, 0, 1, 1, 0, 0});
  // Halfway from (1/3, 1/3) to (2/3, 1).
  WorkingPoint p = at_false_positive_rate(curve, 0.5);
  EXPECT_DOUBLE_EQ(p.fpr, 0.5);
  EXPECT_NEAR(p.tpr, 2.0 / 3, 1e-15);
  EXPECT_EQ(p.threshold, 0.9f) << "the cut of the last point below the target FPR";
  // From (1/3, 1/3) to (2/3, 1): FPR = 1/3 + (0.99 - 1/3) / 2.
  WorkingPoint q = at_true_positive_rate(curve, 0.99);
  EXPECT_NEAR(q.fpr, 1.0 / 6 + 0.495, 1e-15);
  EXPECT_DOUBLE_EQ(q.tpr, 0.99);
  EXPECT_EQ(q.threshold, 0.5f);
  EXPECT_DOUBLE_EQ(at_false_positive_rate(curve, 1.0).tpr, 1.0);
  EXPECT_DOUBLE_EQ(at_false_positive_rate(curve, 0.0).tpr, 0.0);
}

TEST(Roc, WorkingPointsOnVerticalAndFlatSegments) {
  // fpr {0, 0, 0.5, 0.5, 1}, tpr {0, 0.5, 0.5, 1, 1}, thresholds {1.8, 0.8, 0.4, 0.35, 0.1}.
  RocCurve curve = roc_curve(std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f}, std::vector<uint8_t>{0, 0, 1, 1});
  // At FPR 0.5 the curve rises from 0.5 to 1: the top counts.
  WorkingPoint vertical = at_false_positive_rate(curve, 0.5);
  EXPECT_DOUBLE_EQ(vertical.tpr, 1.0);
  EXPECT_EQ(vertical.threshold, 0.35f);
  EXPECT_DOUBLE_EQ(at_false_positive_rate(curve, 0.25).tpr, 1.0 / 2);
  // At TPR 0.5 the curve runs flat from FPR 0 to 0.5: the left end counts.
  WorkingPoint flat = at_true_positive_rate(curve, 0.5);
  EXPECT_DOUBLE_EQ(flat.fpr, 0.0);
  EXPECT_EQ(flat.threshold, 0.8f);
  EXPECT_DOUBLE_EQ(at_true_positive_rate(curve, 0.75).fpr, 0.5);
  EXPECT_THROW(at_false_positive_rate(curve, 1.5), UsageError);
  EXPECT_THROW(at_true_positive_rate(curve, -0.1), UsageError);
}

TEST(Roc, RejectsInputsWithoutACurve) {
  std::vector<float> scores = {0.1f, 0.2f, 0.3f};
  EXPECT_THROW(roc_curve(scores, std::vector<uint8_t>{1, 0}), UsageError);
  EXPECT_THROW(roc_curve(scores, std::vector<uint8_t>{0, 0, 0}), UsageError);
  EXPECT_THROW(roc_curve(scores, std::vector<uint8_t>{1, 1, 1}), UsageError);
  EXPECT_THROW(roc_auc(scores, std::vector<uint8_t>{1, 1, 1}), UsageError);
  std::vector<float> with_nan = {0.1f, std::nanf(""), 0.3f};
  try {
    roc_curve(with_nan, std::vector<uint8_t>{1, 0, 1});
    FAIL() << "a NaN score was accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("event 1"), std::string::npos) << e.what();
  }
  std::vector<float> with_infinity = {0.1f, INFINITY, 0.3f};
  EXPECT_THROW(roc_auc(with_infinity, std::vector<uint8_t>{1, 0, 1}), UsageError);
}

}  // namespace

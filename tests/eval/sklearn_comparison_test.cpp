// trigml's ROC curves and AUCs against scikit-learn's roc_curve and roc_auc_score (Debian's
// python3-sklearn 1.2) on the same saved scores: every point and the area to 1e-9, ties included.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "common/run_command.hpp"
#include "eval/metrics.hpp"
#include "eval/roc.hpp"
#include "eval/scores.hpp"

using namespace trigml;
using namespace trigml::eval;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kClasses = {"qcd", "ttbar", "wjets"};

struct ScoreSet {
  std::vector<int32_t> labels;
  std::vector<float> probabilities;  // N×3
};

// Softmax of Gaussian logits, the true class's shifted up by `separation`.
ScoreSet random_set(size_t events, double separation, uint32_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> gauss;
  ScoreSet s;
  for (size_t i = 0; i < events; ++i) {
    auto label = static_cast<int32_t>(random() % 3);
    std::array<double, 3> e{};
    double sum = 0;
    for (size_t k = 0; k < 3; ++k)
      sum += e[k] = std::exp(gauss(random) + (static_cast<int32_t>(k) == label ? separation : 0));
    s.labels.push_back(label);
    for (double v : e) s.probabilities.push_back(static_cast<float>(v / sum));
  }
  return s;
}

std::map<std::string, ScoreSet> score_sets() {
  std::map<std::string, ScoreSet> sets;
  sets["random"] = random_set(3000, 1.0, 11);
  // Rounded to two decimals: about a hundred distinct scores, so nearly every point is a tie.
  ScoreSet tied = random_set(3000, 0.7, 12);
  for (float& p : tied.probabilities) p = static_cast<float>(std::round(p * 100.0f) / 100.0);
  sets["tied"] = tied;
  // The true class always above 0.5, the others below 0.25.
  ScoreSet separated;
  std::mt19937_64 random(13);
  std::uniform_real_distribution<double> uniform;
  for (size_t i = 0; i < 600; ++i) {
    auto label = static_cast<int32_t>(i % 3);
    double top = 0.5 + 0.5 * uniform(random), other = (1 - top) * uniform(random);
    separated.labels.push_back(label);
    for (int32_t k = 0; k < 3; ++k)
      separated.probabilities.push_back(static_cast<float>(k == label             ? top
                                                           : k == (label + 1) % 3 ? other
                                                                                  : 1 - top - other));
  }
  sets["separated"] = separated;
  sets["tiny"] = {{0, 1, 2, 0}, {0.5f, 0.3f, 0.2f, 0.5f, 0.3f, 0.2f, 0.1f, 0.1f, 0.8f, 0.2f, 0.5f, 0.3f}};
  sets["constant"] = {{0, 1, 2, 2, 1, 0}, std::vector<float>(18, 1.0f / 3)};
  return sets;
}

void expect_points(const std::vector<double>& fpr, const std::vector<double>& tpr,
                   const std::vector<float>& thresholds, const nlohmann::json& reference) {
  ASSERT_EQ(fpr.size(), reference["fpr"].size());
  ASSERT_EQ(thresholds.size(), reference["thresholds"].size());
  for (size_t i = 0; i < fpr.size(); ++i) {
    EXPECT_NEAR(fpr[i], reference["fpr"][i].get<double>(), 1e-9) << "point " << i;
    EXPECT_NEAR(tpr[i], reference["tpr"][i].get<double>(), 1e-9) << "point " << i;
    EXPECT_NEAR(thresholds[i], reference["thresholds"][i].get<double>(), 1e-9) << "point " << i;
  }
}

TEST(SklearnComparison, RocCurvesAndAreasAgreeOnSavedScores) {
  if (trigml::testing::run_command("/usr/bin/python3 -c 'import sklearn.metrics'").status != 0)
    FAIL() << "Debian's python3-sklearn is needed for this check (scripts/bootstrap installs it)";
  fs::path dir = fs::temp_directory_path() / fmt::format("trigml-sklearn-test-{}", ::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);

  // Save every set as scores.parquet, read it back, and give scikit-learn what was read.
  std::map<std::string, Scores> saved;
  nlohmann::json exchange;
  for (const auto& [name, set] : score_sets()) {
    std::vector<std::string> sources(set.labels.size(), name + ".root");
    std::vector<int64_t> entries(set.labels.size());
    for (size_t i = 0; i < entries.size(); ++i) entries[i] = static_cast<int64_t>(i) * 7;
    fs::path file = dir / (name + ".parquet");
    write_scores(file, set.labels, set.probabilities, kClasses, sources, entries);
    Scores scores = read_scores(file);
    ASSERT_EQ(scores.class_names, kClasses);
    ASSERT_EQ(scores.labels, set.labels);
    ASSERT_EQ(scores.probabilities, set.probabilities);
    ASSERT_EQ(scores.source_file, sources);
    ASSERT_EQ(scores.entry, entries);
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < scores.events(); ++i)
      rows.push_back(
          {scores.probabilities[3 * i], scores.probabilities[3 * i + 1], scores.probabilities[3 * i + 2]});
    exchange["sets"][name] = {
        {"classes", scores.class_names}, {"labels", scores.labels}, {"probabilities", rows}};
    saved.emplace(name, std::move(scores));
  }
  std::ofstream(dir / "scores.json") << exchange.dump();

  std::string script = (fs::path(TRIGML_SOURCE_DIR) / "tests/eval/sklearn_roc.py").string();
  auto result =
      trigml::testing::run_command("/usr/bin/python3 " + script + " " + (dir / "scores.json").string());
  ASSERT_EQ(result.status, 0) << result.output;
  nlohmann::json reference = nlohmann::json::parse(result.output);

  for (const auto& [name, scores] : saved) {
    Metrics metrics = evaluate(scores.labels, scores.probabilities, scores.class_names);
    for (size_t k = 0; k < 3; ++k) {
      SCOPED_TRACE(name + ", class " + kClasses[k]);
      const nlohmann::json& expected = reference[name][kClasses[k]];
      std::vector<float> class_scores;
      std::vector<uint8_t> positive;
      for (size_t i = 0; i < scores.events(); ++i) {
        class_scores.push_back(scores.probabilities[3 * i + k]);
        positive.push_back(scores.labels[i] == static_cast<int32_t>(k));
      }
      double auc = expected["auc"].get<double>();
      EXPECT_NEAR(roc_auc(class_scores, positive), auc, 1e-9);
      EXPECT_NEAR(metrics.classes[k].auc, auc, 1e-9);
      const RocCurve& curve = metrics.classes[k].roc;
      expect_points(curve.fpr, curve.tpr, curve.thresholds, expected);
      RocCurve all = roc_curve(class_scores, positive, RocPoints::All);
      expect_points(all.fpr, all.tpr, all.thresholds, expected["all"]);
    }
  }
  // The sets are what their names say: ties dominate "tied", "separated" is perfect.
  EXPECT_LT(reference["tied"]["qcd"]["all"]["fpr"].size(), 110u);
  EXPECT_DOUBLE_EQ(reference["separated"]["ttbar"]["auc"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(reference["constant"]["wjets"]["auc"].get<double>(), 0.5);
  fs::remove_all(dir);
}

}  // namespace

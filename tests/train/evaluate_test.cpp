// `trigml evaluate`: scores in dataset order equal to the model applied event by event, metrics that
// follow from those scores, a complete report, and data that do not fit the model refused.
#include "train/evaluate.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "common/error.hpp"
#include "eval/roc.hpp"
#include "eval/scores.hpp"
#include "parquet/dataset.hpp"
#include "train/fixture.hpp"
#include "train/model_dir.hpp"
#include "train/trainer.hpp"

using namespace trigml;
namespace fs = std::filesystem;

namespace {

// An inclusive model trained briefly on the fixture (once per test executable).
fs::path trained_model() {
  return trigml::testing::shared_output("evaluated-model", [](const fs::path& out) {
    train::TrainOptions o;
    o.data = trigml::testing::prepared_dataset();
    o.out = out;
    o.model.architecture = model::Architecture::Inclusive;
    o.epochs = 2;
    o.batch_size = 64;
    o.progress = false;
    train::train_model(o);
  });
}

train::EvaluateOptions evaluation(const std::string& name) {
  train::EvaluateOptions o;
  o.model = trained_model();
  o.data = trigml::testing::prepared_dataset();
  o.out = trigml::testing::train_work_dir() / name;
  o.batch_size = 100;
  o.progress = false;
  return o;
}

}  // namespace

TEST(Evaluate, ScoresAreTheModelAppliedToEachEventInDatasetOrder) {
  const auto o = evaluation("report");
  const auto metrics = train::evaluate_model(o);
  for (const char* file : {"metrics.json", "scores.parquet", "report.html"})
    EXPECT_TRUE(fs::exists(o.out / file)) << file;
  EXPECT_FALSE(fs::exists(o.out.string() + ".partial"));

  const auto scores = eval::read_scores(o.out / "scores.parquet");
  // The test split read independently: labels, particle rows, origin.
  parquet::DatasetReader reader(trigml::testing::prepared_dataset() / "test",
                                {"label", "HLF_input", "GRU_input", "source_file", "entry"});
  std::vector<parquet::ColumnData> columns;
  auto classifier = train::load_classifier(train::read_model_directory(o.model));
  size_t row = 0;
  while (reader.next(columns)) {
    const auto labels = columns[0].as<int32_t>();
    const auto hlf = columns[1].as<float>();
    const auto gru = columns[2].as<float>();
    const auto entries = columns[4].as<int64_t>();
    for (size_t r = 0; r < columns[0].rows; ++r, ++row) {
      ASSERT_LT(row, scores.events());
      EXPECT_EQ(scores.labels[row], labels[r]);
      EXPECT_EQ(scores.entry[row], entries[r]);
      const auto& so = columns[3].string_offsets;
      EXPECT_EQ(scores.source_file[row],
                std::string(reinterpret_cast<const char*>(columns[3].values.data()) + so[r],
                            static_cast<size_t>(so[r + 1] - so[r])));
      // This one event alone through the model.
      model::Batch one;
      one.hlf.assign(hlf.begin() + columns[1].offsets[0][r], hlf.begin() + columns[1].offsets[0][r + 1]);
      const auto& events = columns[2].offsets[0];
      const auto& particles = columns[2].offsets[1];
      one.particles.assign(gru.begin() + particles[static_cast<size_t>(events[r])],
                           gru.begin() + particles[static_cast<size_t>(events[r + 1])]);
      one.lengths = {events[r + 1] - events[r]};
      const auto z = classifier.logits(one);
      double sum = 0;
      for (float v : z) sum += std::exp(static_cast<double>(v));
      for (size_t k = 0; k < 3; ++k)
        EXPECT_NEAR(scores.probabilities[row * 3 + k], std::exp(static_cast<double>(z[k])) / sum, 1e-5)
            << row;
    }
  }
  EXPECT_EQ(row, scores.events());

  // metrics.json follows from the saved scores.
  for (size_t c = 0; c < 3; ++c) {
    std::vector<float> p(scores.events());
    std::vector<uint8_t> positive(scores.events());
    for (size_t i = 0; i < scores.events(); ++i) {
      p[i] = scores.probabilities[i * 3 + c];
      positive[i] = scores.labels[i] == static_cast<int32_t>(c);
    }
    const std::string name = scores.class_names[c];
    EXPECT_DOUBLE_EQ(metrics.at("auc").at(name).get<double>(), eval::roc_auc(p, positive)) << name;
  }
}

TEST(Evaluate, RefusesAModelOfAnotherFeatureSet) {
  const fs::path altered = trigml::testing::train_work_dir() / "altered-model";
  fs::remove_all(altered);
  fs::copy(trained_model(), altered);
  auto pre = nlohmann::json::parse(train::read_text_file(altered / "preprocessing.json"));
  pre["high_level_features"][0]["name"] = "HT_with_jets_above_20";
  train::write_text_file(altered / "preprocessing.json", pre.dump());
  auto o = evaluation("refused-report");
  o.model = altered;
  fs::remove_all(o.out);
  try {
    train::evaluate_model(o);
    FAIL() << "a model of another feature set was applied";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("different feature set"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.out));

  // Scaled differently (prepared separately): refused too.
  pre = nlohmann::json::parse(train::read_text_file(trained_model() / "preprocessing.json"));
  pre["particle_features"][1]["mean"] = 0.5;
  train::write_text_file(altered / "preprocessing.json", pre.dump());
  EXPECT_THROW(train::evaluate_model(o), UsageError);
  EXPECT_FALSE(fs::exists(o.out));
}

TEST(Evaluate, RefusesDataThatAreNotPrepared) {
  auto o = evaluation("refused-data");
  o.data = trigml::testing::prepared_dataset().parent_path() / "ingested";
  EXPECT_THROW(train::evaluate_model(o), UsageError);
  EXPECT_FALSE(fs::exists(o.out));
}

// `trigml evaluate`: a trained model applied to a prepared dataset (in the dataset's order), judged
// per class against the rest; the report (metrics.json, scores.parquet, plots, report.html) is
// written to a temporary directory and renamed into place when complete.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "train/prepared_data.hpp"

namespace trigml::train {

// Per event, in dataset order: the label and the class probabilities (softmax of the logits).
struct Predictions {
  std::vector<int32_t> labels;
  std::vector<float> probabilities;  // events × classes, row-major
  double seconds = 0;                // inference, data loading included
};

// Softmax of each row of `logits` (events × classes) into `probabilities` (the same size), in double
// precision after subtracting the row's largest logit.
void probabilities_from_logits(std::span<const float> logits, size_t classes, std::span<float> probabilities);

Predictions predict(model::Classifier& classifier, const PreparedData& data, size_t batch_size,
                    bool progress);

// The network's layers for the report's architecture table, in the order data flows through them:
// one per module of Classifier::parameters() ("gru.kernel" belongs to "gru"), each
// {"name", "kind", "inputs" (text), "outputs", "parameters"}; the parameters add up to
// parameter_count().
nlohmann::json describe_layers(const model::Classifier& classifier);

struct EvaluateOptions {
  std::filesystem::path model;  // a model directory (trigml train)
  std::filesystem::path data;   // a prepare output directory (its test/ is used) or a prepared dataset
  std::filesystem::path out;    // the report directory
  size_t batch_size = 1024;
  int threads = 1;
  bool progress = true;
};

// Returns what metrics.json holds.
nlohmann::json evaluate_model(const EvaluateOptions& options);

}  // namespace trigml::train

// Models for the export tests: one per architecture, trained for one epoch on a small prepared
// dataset (built once per test executable, train/fixture.hpp), and the test split as the exported
// models take it: zero-padded to its longest event.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "train/evaluate.hpp"
#include "train/fixture.hpp"
#include "train/model_dir.hpp"
#include "train/prepared_data.hpp"
#include "train/trainer.hpp"

namespace trigml::testing {

inline const std::vector<std::string> kArchitectures = {"hlf", "particles", "inclusive", "inclusive-lstm"};

inline std::filesystem::path export_dataset() {
  return prepared_dataset(300);
}

inline std::filesystem::path trained_model(const std::string& architecture) {
  return shared_output("model-" + architecture, [&](const std::filesystem::path& out) {
    train::TrainOptions o;
    o.data = export_dataset();
    o.out = out;
    o.model.architecture = model::parse_architecture(architecture);
    o.epochs = 1;
    o.batch_size = 64;
    o.progress = false;
    train::train_model(o);
  });
}

// The test split in the exported models' layout.
struct PaddedEvents {
  size_t events = 0, steps = 0;
  std::vector<float> hlf;        // events × 14
  std::vector<float> particles;  // events × steps × 19, zeros after each event's rows
  std::vector<int32_t> lengths;  // events
  train::EventBlock block;       // as read
};

inline PaddedEvents padded_test_split() {
  const train::PreparedData data(train::PreparedData::resolve(export_dataset(), "test"));
  PaddedEvents out;
  std::vector<parquet::ColumnData> scratch;
  for (const auto& slice : data.slices(0, data.events())) data.read(slice, {}, out.block, scratch);
  const auto& b = out.block;
  out.events = b.size();
  for (size_t i = 0; i < b.size(); ++i) out.steps = std::max(out.steps, static_cast<size_t>(b.length(i)));
  out.hlf = b.hlf;
  const size_t width = b.particle_features;
  out.particles.assign(out.events * out.steps * width, 0.0f);
  for (size_t i = 0; i < b.size(); ++i) {
    out.lengths.push_back(static_cast<int32_t>(b.length(i)));
    std::copy(b.particles.begin() + b.particle_offsets[i] * static_cast<int64_t>(width),
              b.particles.begin() + b.particle_offsets[i + 1] * static_cast<int64_t>(width),
              out.particles.begin() + static_cast<int64_t>(i * out.steps * width));
  }
  return out;
}

// trigml's own probabilities for the test split, in dataset order.
inline std::vector<float> trigml_probabilities(const std::filesystem::path& model_dir) {
  auto classifier = train::load_classifier(train::read_model_directory(model_dir));
  const train::PreparedData data(train::PreparedData::resolve(export_dataset(), "test"));
  return train::predict(classifier, data, 64, false).probabilities;
}

}  // namespace trigml::testing

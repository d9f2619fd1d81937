// A trained model is a directory that evaluation and serving need nothing beside:
//   model.json          the architecture (ModelConfig), the classes and how it was trained
//   weights.pt          the parameters (libtorch archive)
//   preprocessing.json  the prepared data's record: feature names and order, fitted scalers
//   history.jsonl       one JSON line per training epoch
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "model/model.hpp"

namespace trigml::train {

inline constexpr const char* kModelFormat = "trigml-model";

nlohmann::json to_json(const model::ModelConfig& config);
model::ModelConfig model_config_from_json(const nlohmann::json& json, const std::string& where);

struct ModelDirectory {
  std::filesystem::path path;
  nlohmann::json info;           // model.json
  nlohmann::json preprocessing;  // preprocessing.json
  model::ModelConfig config;
};

// Reads and checks model.json and preprocessing.json (UsageError when `path` is not a model).
ModelDirectory read_model_directory(const std::filesystem::path& path);
// The classifier with the directory's weights.
model::Classifier load_classifier(const ModelDirectory& directory);
// FNV-1a over the bytes of every parameter, in order: equal weights, equal digests (16 hex digits).
std::string weight_digest(const model::Classifier& classifier);

// Throws UsageError unless the data were prepared with the same features, feature order, classes
// and fitted scaler parameters as the model's training data.
void check_same_preprocessing(const nlohmann::json& model_preprocessing,
                              const nlohmann::json& data_preprocessing, const std::string& model_path,
                              const std::string& data_path);

// Writes text to a file atomically (temporary name, then rename).
void write_text_file(const std::filesystem::path& path, const std::string& text);
std::string read_text_file(const std::filesystem::path& path);

}  // namespace trigml::train

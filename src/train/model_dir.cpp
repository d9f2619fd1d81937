#include "train/model_dir.hpp"

#include <fstream>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace trigml::train {
namespace fs = std::filesystem;

nlohmann::json to_json(const model::ModelConfig& c) {
  return {{"architecture", model::to_string(c.architecture)},
          {"hlf_features", c.hlf_features},
          {"particle_features", c.particle_features},
          {"hlf_hidden", c.hlf_hidden},
          {"recurrent_units", c.recurrent_units},
          {"head_units", c.head_units},
          {"classes", c.classes},
          {"dropout", c.dropout},
          {"learning_rate", c.learning_rate},
          {"gradient_clip_norm", c.gradient_clip_norm},
          {"seed", c.seed}};
}

model::ModelConfig model_config_from_json(const nlohmann::json& json, const std::string& where) {
  try {
    model::ModelConfig c;
    c.architecture = model::parse_architecture(json.at("architecture").get<std::string>());
    c.hlf_features = json.at("hlf_features").get<int64_t>();
    c.particle_features = json.at("particle_features").get<int64_t>();
    c.hlf_hidden = json.at("hlf_hidden").get<std::vector<int64_t>>();
    c.recurrent_units = json.at("recurrent_units").get<int64_t>();
    c.head_units = json.at("head_units").get<int64_t>();
    c.classes = json.at("classes").get<int64_t>();
    c.dropout = json.at("dropout").get<double>();
    c.learning_rate = json.at("learning_rate").get<double>();
    c.gradient_clip_norm = json.value("gradient_clip_norm", 0.0);
    c.seed = json.at("seed").get<uint64_t>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("model architecture record is incomplete: ") + e.what(), {where});
  } catch (const std::invalid_argument& e) {
    throw FormatError(e.what(), {where});
  }
}

std::string read_text_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open for reading", {path.string()});
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text_file(const fs::path& path, const std::string& text) {
  AtomicFile file(path);
  file.write(std::as_bytes(std::span(text.data(), text.size())));
  file.commit();
}

namespace {
nlohmann::json read_json(const fs::path& path) {
  try {
    return nlohmann::json::parse(read_text_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("not valid JSON: ") + e.what(), {path.string()});
  }
}
}  // namespace

ModelDirectory read_model_directory(const fs::path& path) {
  if (!fs::is_directory(path))
    throw UsageError("not a model directory (made by trigml train)", {path.string()});
  const fs::path info_path = path / "model.json";
  if (!fs::exists(info_path))
    throw UsageError("not a trained model: no model.json (an unfinished training leaves <dir>.partial)",
                     {path.string()});
  ModelDirectory d;
  d.path = path;
  d.info = read_json(info_path);
  if (d.info.value("format", "") != kModelFormat)
    throw UsageError(fmt::format("model.json is not a {} record", kModelFormat), {info_path.string()});
  d.config =
      model_config_from_json(d.info.value("architecture", nlohmann::json::object()), info_path.string());
  d.preprocessing = read_json(path / "preprocessing.json");
  return d;
}

model::Classifier load_classifier(const ModelDirectory& directory) {
  model::Classifier classifier(directory.config);
  classifier.load_weights(directory.path / "weights.pt");
  return classifier;
}

std::string weight_digest(const model::Classifier& classifier) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const auto& parameter : classifier.parameters()) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(parameter.values.data());
    for (size_t i = 0; i < parameter.values.size() * sizeof(float); ++i)
      hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", hash);
}

namespace {
std::vector<std::string> names(const nlohmann::json& features) {
  std::vector<std::string> out;
  for (const auto& f : features) out.push_back(f.at("name").get<std::string>());
  return out;
}
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}
}  // namespace

void check_same_preprocessing(const nlohmann::json& model_pre, const nlohmann::json& data_pre,
                              const std::string& model_path, const std::string& data_path) {
  try {
    if (model_pre.at("classes") != data_pre.at("classes"))
      throw UsageError(fmt::format("the model classifies {} but the data's classes are {}",
                                   model_pre.at("classes").dump(), data_pre.at("classes").dump()),
                       {data_path});
    for (const char* part : {"high_level_features", "particle_features"}) {
      const auto model_names = names(model_pre.at(part)), data_names = names(data_pre.at(part));
      if (model_names != data_names)
        throw UsageError(
            fmt::format("the model {} was trained on {} [{}] but the data have [{}]: a different feature set",
                        model_path, part, joined(model_names), joined(data_names)),
            {data_path});
      if (model_pre.at(part) != data_pre.at(part))
        throw UsageError(
            fmt::format("the data's {} were scaled with other parameters than the model {}'s training "
                        "data (prepared separately): apply the model's preprocessing.json",
                        part, model_path),
            {data_path});
    }
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("incomplete preprocessing record: ") + e.what(), {model_path});
  }
}

}  // namespace trigml::train

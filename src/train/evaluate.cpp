#include "train/evaluate.hpp"

#include <chrono>
#include <cmath>

#include "common/error.hpp"
#include "common/terminal.hpp"
#include "eval/metrics.hpp"
#include "eval/report.hpp"
#include "eval/scores.hpp"
#include "train/loader.hpp"
#include "train/model_dir.hpp"

namespace trigml::train {
namespace fs = std::filesystem;

void probabilities_from_logits(std::span<const float> logits, size_t classes,
                               std::span<float> probabilities) {
  for (size_t at = 0; at + classes <= logits.size(); at += classes) {
    const float* z = &logits[at];
    float top = z[0];
    for (size_t k = 1; k < classes; ++k) top = std::max(top, z[k]);
    double sum = 0;
    for (size_t k = 0; k < classes; ++k) sum += std::exp(static_cast<double>(z[k] - top));
    for (size_t k = 0; k < classes; ++k)
      probabilities[at + k] = static_cast<float>(std::exp(static_cast<double>(z[k] - top)) / sum);
  }
}

Predictions predict(model::Classifier& classifier, const PreparedData& data, size_t batch_size,
                    bool progress) {
  const auto start = std::chrono::steady_clock::now();
  const auto& config = classifier.config();
  LoaderOptions loading;
  loading.batch_size = batch_size;
  loading.shuffle_buffer = 0;
  loading.need_hlf = config.architecture != model::Architecture::Particles;
  loading.need_particles = config.architecture != model::Architecture::Hlf;
  BatchLoader loader(data, 0, data.events(), loading);
  loader.start_epoch(0);

  const size_t classes = static_cast<size_t>(config.classes);
  Predictions out;
  out.labels.resize(data.events());
  out.probabilities.resize(data.events() * classes);
  Progress bar(fmt::format("evaluate {}", model::to_string(config.architecture)), data.events(), "events",
               progress);
  model::Batch batch;
  std::vector<int32_t> labels;
  std::vector<int64_t> rows;
  while (loader.next(batch, labels, rows)) {
    const auto logits = classifier.logits(batch);
    for (size_t i = 0; i < labels.size(); ++i) {
      const size_t row = static_cast<size_t>(rows[i]);
      out.labels[row] = labels[i];
      probabilities_from_logits(std::span(logits).subspan(i * classes, classes), classes,
                                std::span(out.probabilities).subspan(row * classes, classes));
    }
    bar.advance(labels.size());
  }
  bar.finish();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

nlohmann::json describe_layers(const model::Classifier& classifier) {
  const model::ModelConfig& c = classifier.config();
  const bool inclusive = c.architecture == model::Architecture::Inclusive ||
                         c.architecture == model::Architecture::InclusiveLstm;
  const std::string dropped = c.dropout > 0 ? fmt::format(", after dropout {:g}", c.dropout) : std::string();
  nlohmann::json layers = nlohmann::json::array();
  for (const model::NamedParameter& p : classifier.parameters()) {
    const size_t dot = p.name.find('.');
    const std::string module = p.name.substr(0, dot), member = p.name.substr(dot + 1);
    if (layers.empty() || layers.back()["name"] != module) {
      std::string kind = "dense, ReLU";
      if (module == "gru") kind = "GRU, reset-after gates; its last step";
      if (module == "lstm") kind = "LSTM; its last step";
      if (module == "out") kind = "dense, softmax";
      layers.push_back({{"name", module}, {"kind", kind}, {"parameters", 0}});
    }
    nlohmann::json& layer = layers.back();
    int64_t values = 1;
    for (int64_t extent : p.shape) values *= extent;
    layer["parameters"] = layer["parameters"].get<int64_t>() + values;
    // Dense weights are torch's [out, in]; a recurrent input kernel is Keras's [in, gates × units].
    if (member == "weight" && p.shape.size() == 2) {
      layer["outputs"] = p.shape[0];
      std::string inputs = std::to_string(p.shape[1]);
      if (module == "dense0") inputs += " high-level features";
      if (module == "head" && inclusive)
        inputs = fmt::format("{} (recurrent) + {} high-level features{}", c.recurrent_units, c.hlf_features,
                             dropped);
      if (module == "out" && c.architecture == model::Architecture::Particles) inputs += dropped;
      layer["inputs"] = inputs;
    } else if (member == "kernel" && p.shape.size() == 2) {
      layer["outputs"] = c.recurrent_units;
      layer["inputs"] = fmt::format("{} features per particle", p.shape[0]);
    }
  }
  return layers;
}

nlohmann::json evaluate_model(const EvaluateOptions& o) {
  if (o.out.empty()) throw UsageError("--out is required");
  if (o.batch_size < 1) throw UsageError("--batch-size must be at least 1");
  if (o.threads < 1) throw UsageError("--threads must be at least 1");
  const ModelDirectory directory = read_model_directory(o.model);
  const fs::path dataset = PreparedData::resolve(o.data, "test");
  PreparedData data(dataset);
  check_same_preprocessing(directory.preprocessing, data.preprocessing(), o.model.string(), dataset.string());

  model::set_threads(o.threads);
  auto classifier = load_classifier(directory);
  const Predictions predictions = predict(classifier, data, o.batch_size, o.progress);
  std::vector<std::string> source_files;
  std::vector<int64_t> entries;
  data.read_origin(0, data.events(), source_files, entries);

  const eval::Metrics metrics = eval::evaluate(predictions.labels, predictions.probabilities, data.classes());
  std::vector<eval::HistoryRow> history;
  if (fs::exists(directory.path / "history.jsonl"))
    history = eval::read_history(directory.path / "history.jsonl");
  nlohmann::json model_info = directory.info;
  model_info["path"] = fs::absolute(directory.path).lexically_normal().string();
  model_info["evaluated_on"] = fs::absolute(dataset).lexically_normal().string();
  model_info["layers"] = describe_layers(classifier);
  model_info["inference_events_per_second"] = static_cast<double>(data.events()) / predictions.seconds;

  const fs::path partial = o.out.string() + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  eval::write_scores(partial / "scores.parquet", predictions.labels, predictions.probabilities,
                     data.classes(), source_files, entries);
  eval::write_report(partial, metrics, history, model_info);
  fs::remove_all(o.out);
  fs::rename(partial, o.out);
  return eval::to_json(metrics);
}

}  // namespace trigml::train

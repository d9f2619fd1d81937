#include "export/export.hpp"

#include "common/error.hpp"
#include "export/network.hpp"
#include "export/onnx.hpp"
#include "export/quantization.hpp"
#include "train/evaluate.hpp"
#include "train/model_dir.hpp"

namespace trigml::exporter {

Format parse_format(const std::string& name) {
  if (name == "onnx") return Format::Onnx;
  if (name == "cpp") return Format::Cpp;
  throw UsageError(fmt::format("unknown export format '{}' (expected onnx or cpp)", name));
}

void run_export(const ExportOptions& o) {
  const auto directory = train::read_model_directory(o.model);
  auto classifier = train::load_classifier(directory);
  const auto network = network_from_parameters(classifier.config(), classifier.parameters());
  const auto classes = directory.info.at("classes").get<std::vector<std::string>>();
  if (!o.quantization_scan.empty()) {
    if (o.scan_integer_bits < 1 || o.scan_integer_bits > 8)
      throw UsageError(fmt::format("--scan-integer-bits {}: expected 1 to 8", o.scan_integer_bits));
    const train::PreparedData data(train::PreparedData::resolve(o.quantization_scan, "test"));
    train::check_same_preprocessing(directory.preprocessing, data.preprocessing(), o.model.string(),
                                    data.path().string());
    const auto predictions = train::predict(classifier, data, 256, false);
    write_quantization_report(
        quantization_scan(network, classes, data, predictions.probabilities, o.scan_integer_bits, 8, 24),
        o.out);
    return;
  }
  if (o.fixed && o.format != Format::Cpp) throw UsageError("--fixed applies to --format cpp only");
  switch (o.format) {
    case Format::Onnx: {
      OnnxOptions onnx;
      onnx.classes = classes;
      onnx.preprocessing = directory.preprocessing;
      onnx.fold_scaling = o.fold_scaling;
      write_onnx(network, onnx, o.out);
      break;
    }
    case Format::Cpp: {
      if (o.fold_scaling) throw UsageError("--fold-scaling applies to --format onnx only");
      CppOptions cpp;
      cpp.name = o.name;
      cpp.classes = classes;
      cpp.max_particles = directory.preprocessing.value("max_particles", int64_t{0});
      cpp.fixed = o.fixed;
      write_cpp(network, cpp, o.out);
      break;
    }
  }
}

}  // namespace trigml::exporter

#include "export/export.hpp"

#include "common/error.hpp"
#include "export/network.hpp"
#include "export/onnx.hpp"
#include "train/model_dir.hpp"

namespace trigml::exporter {

Format parse_format(const std::string& name) {
  if (name == "onnx") return Format::Onnx;
  throw UsageError(fmt::format("unknown export format '{}' (expected onnx)", name));
}

void run_export(const ExportOptions& o) {
  const auto directory = train::read_model_directory(o.model);
  const auto classifier = train::load_classifier(directory);
  const auto network = network_from_parameters(classifier.config(), classifier.parameters());
  switch (o.format) {
    case Format::Onnx: {
      OnnxOptions onnx;
      onnx.classes = directory.info.at("classes").get<std::vector<std::string>>();
      onnx.preprocessing = directory.preprocessing;
      onnx.fold_scaling = o.fold_scaling;
      write_onnx(network, onnx, o.out);
      break;
    }
  }
}

}  // namespace trigml::exporter

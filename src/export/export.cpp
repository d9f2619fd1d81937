#include "export/export.hpp"

#include "common/error.hpp"
#include "export/network.hpp"
#include "export/onnx.hpp"
#include "train/model_dir.hpp"

namespace trigml::exporter {

Format parse_format(const std::string& name) {
  if (name == "onnx") return Format::Onnx;
  if (name == "cpp") return Format::Cpp;
  throw UsageError(fmt::format("unknown export format '{}' (expected onnx or cpp)", name));
}

void run_export(const ExportOptions& o) {
  const auto directory = train::read_model_directory(o.model);
  const auto classifier = train::load_classifier(directory);
  const auto network = network_from_parameters(classifier.config(), classifier.parameters());
  const auto classes = directory.info.at("classes").get<std::vector<std::string>>();
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

// `trigml export`: a trained model directory written in a format that runs without trigml.
#pragma once

#include <filesystem>

namespace trigml::exporter {

enum class Format { Onnx };

Format parse_format(const std::string& name);  // "onnx"

struct ExportOptions {
  std::filesystem::path model;  // a model directory (trigml train)
  Format format = Format::Onnx;
  std::filesystem::path out;  // onnx: the .onnx file
  bool fold_scaling = false;  // onnx: raw features in, the scalers inside the graph
};

void run_export(const ExportOptions& options);

}  // namespace trigml::exporter

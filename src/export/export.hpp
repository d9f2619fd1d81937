// `trigml export`: a trained model directory written in a format that runs without trigml.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "export/cpp_code.hpp"

namespace trigml::exporter {

enum class Format { Onnx, Cpp };

Format parse_format(const std::string& name);  // "onnx", "cpp"

struct ExportOptions {
  std::filesystem::path model;  // a model directory (trigml train)
  Format format = Format::Onnx;
  std::filesystem::path out;          // onnx: the .onnx file; cpp: the directory for NAME.hpp and NAME.cpp
  bool fold_scaling = false;          // onnx: raw features in, the scalers inside the graph
  std::string name = "trigml_model";  // cpp: the files' base name and namespace
  std::optional<FixedFormat> fixed;   // cpp: fixed-point arithmetic instead of float
  // Instead of a format: the quantisation scan on this prepared dataset (its test/ split), with
  // Fixed<TOTAL, scan_integer_bits> for TOTAL from 8 to 24; `out` is the report directory.
  std::filesystem::path quantization_scan;
  int scan_integer_bits = 6;
};

void run_export(const ExportOptions& options);

}  // namespace trigml::exporter

// ONNX export (the one seam to ONNX/protobuf: built with TRIGML_WITH_ONNX, Debian's libonnx-dev).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "export/network.hpp"

namespace trigml::exporter {

// Opset 17: the newest ONNX 1.12 knows. IR version 8 goes with it.
inline constexpr int kOnnxOpset = 17;

struct OnnxOptions {
  std::vector<std::string> classes;  // the output columns' names, in order
  nlohmann::json preprocessing;      // preprocessing.json: written as metadata_props
  // Apply the fitted scalers inside the graph: the inputs are then the raw features, in the
  // prepared order (particles still sorted by ΔR to the lepton, the lepton last).
  bool fold_scaling = false;
};

bool onnx_available();

// Builds the graph (inputs `hlf` [N, 14], `particles` [N, T, 19] and `sequence_lens` [N] int32 as
// the model uses them; output `probabilities` [N, classes]), checks it with ONNX's C++ checker and
// writes it to `out` atomically. UsageError when built without ONNX.
void write_onnx(const Network& network, const OnnxOptions& options, const std::filesystem::path& out);

}  // namespace trigml::exporter

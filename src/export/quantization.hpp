// What fixed-point arithmetic costs the physics: the network evaluated exactly as the code of
// `trigml export --format cpp --fixed TOTAL,INTEGER` evaluates it (the same roundings, saturations
// and operation order, emulated in 64-bit integers), scanned over total widths, against float.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "export/cpp_code.hpp"
#include "export/network.hpp"
#include "train/prepared_data.hpp"

namespace trigml::exporter {

// The generated Fixed<TOTAL, INTEGER> network, for one format: weights quantised once.
class FixedNetwork {
 public:
  FixedNetwork(const Network& network, FixedFormat format);
  ~FixedNetwork();
  FixedNetwork(FixedNetwork&&) noexcept;
  // The class probabilities of one event: hlf (hlf_features), rows (n × particle_features). Not
  // thread-safe: one FixedNetwork reuses its buffers from call to call.
  void probabilities(std::span<const float> hlf, std::span<const float> rows, int64_t n,
                     std::span<float> out) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct QuantizationRow {
  FixedFormat format;
  std::vector<double> auc;        // per class, one against the rest
  double largest_difference = 0;  // of any probability against float
};

struct QuantizationScan {
  std::vector<std::string> classes;
  uint64_t events = 0;
  std::vector<double> float_auc;      // per class
  std::vector<QuantizationRow> rows;  // by width
};

// `probabilities` are the float model's (train::predict) for the same events, in dataset order.
QuantizationScan quantization_scan(const Network& network, const std::vector<std::string>& classes,
                                   const train::PreparedData& data, const std::vector<float>& probabilities,
                                   int integer_bits, int narrowest, int widest);

// REPORT_DIR/quantization.json and index.html (a table and an SVG plot), built in a temporary
// directory and renamed into place.
void write_quantization_report(const QuantizationScan& scan, const std::filesystem::path& dir);

}  // namespace trigml::exporter

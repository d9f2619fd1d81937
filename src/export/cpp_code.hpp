// The network as dependency-free C++17 source: one header and one source, weights as constexpr
// arrays, no heap allocation, every loop bound a compile-time constant (the style that HLS tools
// synthesise), in float or in a fixed-point type defined in the generated code.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "export/network.hpp"

namespace trigml::exporter {

// ap_fixed<TOTAL, INTEGER>-like: TOTAL bits, INTEGER of them before the binary point, sign
// included. Rounding to nearest with ties toward +∞ (AP_RND), saturation at both ends (AP_SAT).
struct FixedFormat {
  int total = 16;
  int integer = 6;
};

// "TOTAL,INTEGER" with 2 ≤ TOTAL ≤ 24 (a dot product of such values is exact in 64 bits) and
// 1 ≤ INTEGER ≤ TOTAL.
FixedFormat parse_fixed_format(const std::string& text);

struct CppOptions {
  std::string name = "trigml_model";  // the files' base name and the namespace
  std::vector<std::string> classes;   // the outputs' names, in order
  int64_t max_particles = 0;          // the particle loop's bound (preprocessing.json's max_particles)
  std::optional<FixedFormat> fixed;   // fixed point instead of float
};

// Writes DIR/NAME.hpp and DIR/NAME.cpp (each atomically).
void write_cpp(const Network& network, const CppOptions& options, const std::filesystem::path& dir);

}  // namespace trigml::exporter

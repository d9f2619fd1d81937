#include "export/cpp_code.hpp"

#include <cmath>
#include <regex>
#include <string_view>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace trigml::exporter {

namespace {

// The number type and its arithmetic: float, or the fixed-point class.
constexpr std::string_view kFloatArithmetic = R"(using Number = float;

inline float to_float(Number x) { return x; }

// y = b + x · w for all Out outputs at once: the inner loop runs over contiguous, independent
// outputs, so it vectorises without reordering any output's sum.
template <int In, int Out>
inline void affine(const Number (&b)[Out], const Number (&w)[In][Out], const Number (&x)[In], Number (&y)[Out]) {
  for (int o = 0; o < Out; ++o) y[o] = b[o];
  for (int i = 0; i < In; ++i)
    for (int o = 0; o < Out; ++o) y[o] += x[i] * w[i][o];
}

inline Number sigmoid(Number x) { return 1.0f / (1.0f + std::exp(-x)); }
// One expf: about half the cost of tanhf, within 1e-7 of it.
inline Number tanh_of(Number x) { return 2.0f / (1.0f + std::exp(-2.0f * x)) - 1.0f; }
)";

constexpr std::string_view kFixedArithmetic =
    R"(// Fixed<TOTAL, INTEGER>: a two's-complement number of TOTAL bits, INTEGER of them (the sign
// included) before the binary point, as ap_fixed<TOTAL, INTEGER, AP_RND, AP_SAT>: every result is
// rounded to the nearest representable value, ties toward +infinity, and saturates at the largest
// and smallest values instead of wrapping. Dot products are exact in a 64-bit accumulator and rounded
// once. sigmoid and tanh are evaluated in floating point on the fixed-point input and rounded to the
// type (an FPGA would use a lookup table); the final softmax is in float.
template <int Total, int Integer>
class Fixed {
  static_assert(Total >= 2 && Total <= 24, "a dot product of 24-bit values stays exact in 64 bits");
  static_assert(Integer >= 1 && Integer <= Total, "the integer part holds the sign");

 public:
  static constexpr int kFraction = Total - Integer;
  static constexpr int64_t kLargest = (int64_t{1} << (Total - 1)) - 1;
  static constexpr int64_t kSmallest = -(int64_t{1} << (Total - 1));

  constexpr Fixed() = default;
  constexpr Fixed(double x) : raw_(saturate(round_scaled(x * static_cast<double>(int64_t{1} << kFraction)))) {}

  // A value with kFraction + shift fraction bits, rounded to kFraction (ties up: the shift is
  // arithmetic, so it rounds toward -infinity after adding half) and saturated.
  static constexpr Fixed from_wide(int64_t wide, int shift) {
    if (shift > 0) wide = (wide + (int64_t{1} << (shift - 1))) >> shift;
    Fixed out;
    out.raw_ = saturate(wide);
    return out;
  }

  constexpr int32_t raw() const { return raw_; }
  constexpr float to_float() const {
    return static_cast<float>(static_cast<double>(raw_) / static_cast<double>(int64_t{1} << kFraction));
  }

  friend constexpr Fixed operator+(Fixed a, Fixed b) { return from_wide(int64_t{a.raw_} + b.raw_, 0); }
  friend constexpr Fixed operator-(Fixed a, Fixed b) { return from_wide(int64_t{a.raw_} - b.raw_, 0); }
  friend constexpr Fixed operator*(Fixed a, Fixed b) { return from_wide(int64_t{a.raw_} * b.raw_, kFraction); }
  friend constexpr bool operator<(Fixed a, Fixed b) { return a.raw_ < b.raw_; }

 private:
  static constexpr int32_t saturate(int64_t raw) {
    return static_cast<int32_t>(raw > kLargest ? kLargest : raw < kSmallest ? kSmallest : raw);
  }
  // Nearest integer, ties up; out of range (or NaN) to the end it is nearest.
  static constexpr int64_t round_scaled(double v) {
    if (!(v == v)) return 0;
    if (v >= static_cast<double>(kLargest)) return kLargest;
    if (v <= static_cast<double>(kSmallest)) return kSmallest;
    const double up = v + 0.5;
    int64_t t = static_cast<int64_t>(up);
    if (static_cast<double>(t) > up) --t;  // the cast truncates toward zero: floor for negatives
    return t;
  }

  int32_t raw_ = 0;
};

using Number = Fixed<@TOTAL@, @INTEGER@>;

inline float to_float(Number x) { return x.to_float(); }

// y = b + x · w for all Out outputs, each exact in 64 bits and rounded once.
template <int In, int Out>
inline void affine(const Number (&b)[Out], const Number (&w)[In][Out], const Number (&x)[In], Number (&y)[Out]) {
  int64_t sum[Out];
  for (int o = 0; o < Out; ++o) sum[o] = int64_t{b[o].raw()} * (int64_t{1} << Number::kFraction);
  for (int i = 0; i < In; ++i)
    for (int o = 0; o < Out; ++o) sum[o] += int64_t{w[i][o].raw()} * x[i].raw();
  for (int o = 0; o < Out; ++o) y[o] = Number::from_wide(sum[o], Number::kFraction);
}

inline Number sigmoid(Number x) { return Number(1.0 / (1.0 + std::exp(-static_cast<double>(x.to_float())))); }
inline Number tanh_of(Number x) { return Number(std::tanh(static_cast<double>(x.to_float()))); }
)";

constexpr std::string_view kLayers = R"(
// y = b + x · w, then ReLU unless it is the output layer.
template <int In, int Out>
void dense(const Number (&x)[In], const Number (&w)[In][Out], const Number (&b)[Out], bool relu, Number (&y)[Out]) {
  affine(b, w, x, y);
  if (relu)
    for (int o = 0; o < Out; ++o) y[o] = y[o] < Number() ? Number() : y[o];
}

void softmax(const Number (&logits)[kClasses], float out[kClasses]) {
  float largest = to_float(logits[0]);
  for (int k = 1; k < kClasses; ++k) largest = to_float(logits[k]) > largest ? to_float(logits[k]) : largest;
  float sum = 0;
  for (int k = 0; k < kClasses; ++k) {
    out[k] = std::exp(to_float(logits[k]) - largest);
    sum += out[k];
  }
  for (int k = 0; k < kClasses; ++k) out[k] /= sum;
}
)";

// Keras's reset-after GRU, gates (z, r, h), weights in Keras's layout [inputs][gates × units].
constexpr std::string_view kGruStep = R"(
void recurrent_step(const Number (&x)[kParticleFeatures], Number (&h)[kUnits]) {
  Number from_input[3 * kUnits], from_state[3 * kUnits];
  affine(kBias, kKernel, x, from_input);
  affine(kRecurrentBias, kRecurrentKernel, h, from_state);
  for (int j = 0; j < kUnits; ++j) {
    const Number z = sigmoid(from_input[j] + from_state[j]);
    const Number r = sigmoid(from_input[kUnits + j] + from_state[kUnits + j]);
    const Number candidate = tanh_of(from_input[2 * kUnits + j] + r * from_state[2 * kUnits + j]);
    h[j] = z * h[j] + (Number(1) - z) * candidate;
  }
}
)";

// Keras's LSTM, gates (i, f, c, o), one bias (the recurrent product has none).
constexpr std::string_view kLstmStep = R"(
constexpr Number kNoBias[4 * kUnits] = {};

void recurrent_step(const Number (&x)[kParticleFeatures], Number (&h)[kUnits], Number (&c)[kUnits]) {
  Number from_input[4 * kUnits], from_state[4 * kUnits];
  affine(kBias, kKernel, x, from_input);
  affine(kNoBias, kRecurrentKernel, h, from_state);
  for (int j = 0; j < kUnits; ++j) {
    const Number i = sigmoid(from_input[j] + from_state[j]);
    const Number f = sigmoid(from_input[kUnits + j] + from_state[kUnits + j]);
    const Number g = tanh_of(from_input[2 * kUnits + j] + from_state[2 * kUnits + j]);
    const Number o = sigmoid(from_input[3 * kUnits + j] + from_state[3 * kUnits + j]);
    c[j] = f * c[j] + i * g;
    h[j] = o * tanh_of(c[j]);
  }
}
)";

std::string literal(float v) {
  if (!std::isfinite(v)) throw FormatError(fmt::format("the model has a non-finite parameter ({})", v));
  std::string s = fmt::format("{}", v);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s + "f";
}

// A constexpr array [rows][columns] (or [columns] when rows is 0) of row-major values.
std::string array(const std::string& name, const std::vector<float>& values, int64_t rows, int64_t columns) {
  std::string out = "constexpr Number " + name + (rows ? fmt::format("[{}]", rows) : "") +
                    fmt::format("[{}] = {{", columns);
  for (int64_t r = 0; r < std::max<int64_t>(rows, 1); ++r) {
    out += rows ? "\n    {" : "\n    ";
    for (int64_t c = 0; c < columns; ++c)
      out += (c ? ", " : "") + literal(values[static_cast<size_t>(r * columns + c)]);
    out += rows ? "}," : "";
  }
  return out + "};\n";
}

std::string header(const Network& net, const CppOptions& o) {
  std::string classes;
  for (const auto& c : o.classes) classes += (classes.empty() ? "\"" : ", \"") + c + "\"";
  const std::string number =
      o.fixed ? fmt::format("Fixed<{}, {}>", o.fixed->total, o.fixed->integer) : "float";
  std::string uses;
  if (net.uses_hlf()) uses += "hlf";
  if (net.uses_particles()) uses += std::string(uses.empty() ? "" : ", ") + "particles and n";
  return fmt::format(
      R"(// Generated by `trigml export --format cpp`: the trigml {arch} classifier, arithmetic in {number}.
// C++17, the standard library only, no heap allocation, every loop bound a compile-time constant.
#pragma once

namespace {name} {{

inline constexpr int kHlfFeatures = {hlf};
inline constexpr int kParticleFeatures = {particle};
inline constexpr int kMaxParticles = {max};
inline constexpr int kClasses = {classes_count};
inline constexpr const char* kClassNames[kClasses] = {{{classes}}};

// The class probabilities (softmax) of one event, in the order of kClassNames. The inputs are
// scaled as trigml prepare scales them (preprocessing.json): hlf the high-level features
// (HLF_input), particles[0 .. n) the event's particle rows (GRU_input) in the prepared order, the
// lepton last, 1 <= n <= kMaxParticles (rows past kMaxParticles are not read). This model reads
// {uses}; the others are ignored.
void predict(const float hlf[kHlfFeatures], const float particles[][kParticleFeatures], int n, float out[kClasses]);

}}  // namespace {name}
)",
      fmt::arg("arch", model::to_string(net.architecture)), fmt::arg("number", number),
      fmt::arg("name", o.name), fmt::arg("hlf", net.hlf_features),
      fmt::arg("particle", net.particle_features), fmt::arg("max", o.max_particles),
      fmt::arg("classes_count", net.classes), fmt::arg("classes", classes), fmt::arg("uses", uses));
}

std::string source(const Network& net, const CppOptions& o) {
  std::string out = fmt::format(
      "// Generated by `trigml export --format cpp`; see {}.hpp.\n#include \"{}.hpp\"\n\n", o.name, o.name);
  out += "#include <cmath>\n#include <cstdint>\n\nnamespace " + o.name + " {\n\nnamespace {\n\n";
  if (o.fixed) {
    std::string fixed(kFixedArithmetic);
    fixed = std::regex_replace(fixed, std::regex("@TOTAL@"), std::to_string(o.fixed->total));
    fixed = std::regex_replace(fixed, std::regex("@INTEGER@"), std::to_string(o.fixed->integer));
    out += fixed;
  } else {
    out += kFloatArithmetic;
  }
  out += kLayers;
  if (net.recurrent) {
    const auto& cell = *net.recurrent;
    const int64_t rows = cell.gates() * cell.units;
    out += fmt::format("\nconstexpr int kUnits = {};\n", cell.units);
    out += array("kKernel", cell.kernel, cell.inputs, rows);
    out += array("kRecurrentKernel", cell.recurrent_kernel, cell.units, rows);
    out += array("kBias", cell.bias, 0, rows);
    if (cell.kind == CellKind::Gru) out += array("kRecurrentBias", cell.recurrent_bias, 0, rows);
    out += cell.kind == CellKind::Gru ? kGruStep : kLstmStep;
  }
  for (size_t i = 0; i < net.dense.size(); ++i) {
    const auto& layer = net.dense[i];
    // torch's [out][in] as [in][out], the layout affine() reads.
    out += array(fmt::format("kDense{}Weight", i), transposed(layer.weight, layer.outputs, layer.inputs),
                 layer.inputs, layer.outputs);
    out += array(fmt::format("kDense{}Bias", i), layer.bias, 0, layer.outputs);
  }
  out += "\n}  // namespace\n\n";
  out +=
      "void predict(const float hlf[kHlfFeatures], const float particles[][kParticleFeatures], int n, float "
      "out[kClasses]) {\n";
  if (!net.uses_hlf()) out += "  (void)hlf;\n";
  if (!net.uses_particles()) out += "  (void)particles;\n  (void)n;\n";
  int64_t width = 0;
  if (net.recurrent) {
    const bool lstm = net.recurrent->kind == CellKind::Lstm;
    out += "  Number state[kUnits] = {};\n";
    if (lstm) out += "  Number cell[kUnits] = {};\n";
    out += "  for (int t = 0; t < kMaxParticles; ++t) {\n    if (t >= n) break;\n";
    out += "    Number x[kParticleFeatures];\n";
    out += "    for (int k = 0; k < kParticleFeatures; ++k) x[k] = Number(particles[t][k]);\n";
    out += lstm ? "    recurrent_step(x, state, cell);\n  }\n" : "    recurrent_step(x, state);\n  }\n";
    width = net.recurrent->units;
  }
  if (net.uses_hlf()) width += net.hlf_features;
  out += fmt::format("  Number layer0[{}];\n", width);
  if (net.recurrent) out += "  for (int j = 0; j < kUnits; ++j) layer0[j] = state[j];\n";
  if (net.uses_hlf())
    out += fmt::format("  for (int k = 0; k < kHlfFeatures; ++k) layer0[{}k] = Number(hlf[k]);\n",
                       net.recurrent ? "kUnits + " : "");
  for (size_t i = 0; i < net.dense.size(); ++i) {
    const auto& layer = net.dense[i];
    out +=
        fmt::format("  Number layer{}[{}];\n  dense(layer{}, kDense{}Weight, kDense{}Bias, {}, layer{});\n",
                    i + 1, layer.outputs, i, i, i, layer.relu ? "true" : "false", i + 1);
  }
  out += fmt::format("  softmax(layer{}, out);\n}}\n\n}}  // namespace {}\n", net.dense.size(), o.name);
  return out;
}

void write_text(const std::filesystem::path& file, const std::string& text) {
  AtomicFile out(file);
  out.write(std::as_bytes(std::span(text)));
  out.commit();
}

}  // namespace

FixedFormat parse_fixed_format(const std::string& text) {
  std::smatch m;
  if (!std::regex_match(text, m, std::regex(R"((\d+),(\d+))")))
    throw UsageError(fmt::format("--fixed '{}': expected TOTAL,INTEGER (for example 16,6)", text));
  const FixedFormat f{std::stoi(m[1]), std::stoi(m[2])};
  if (f.total < 2 || f.total > 24 || f.integer < 1 || f.integer > f.total)
    throw UsageError(fmt::format("--fixed '{}': expected 2 <= TOTAL <= 24 and 1 <= INTEGER <= TOTAL", text));
  return f;
}

void write_cpp(const Network& net, const CppOptions& o, const std::filesystem::path& dir) {
  if (!std::regex_match(o.name, std::regex("[A-Za-z_][A-Za-z0-9_]*")))
    throw UsageError(
        fmt::format("'{}' is not a C++ identifier (the generated namespace and file names)", o.name));
  if (net.uses_particles() && o.max_particles < 1)
    throw UsageError("the particle loop needs a bound: the model's preprocessing.json has no max_particles",
                     {dir.string()});
  if (o.classes.size() != static_cast<size_t>(net.classes))
    throw UsageError(
        fmt::format("the model has {} classes but {} class names", net.classes, o.classes.size()));
  std::filesystem::create_directories(dir);
  write_text(dir / (o.name + ".hpp"), header(net, o));
  write_text(dir / (o.name + ".cpp"), source(net, o));
}

}  // namespace trigml::exporter

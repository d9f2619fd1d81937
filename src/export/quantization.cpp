#include "export/quantization.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "eval/roc.hpp"
#include "train/model_dir.hpp"

namespace trigml::exporter {

namespace {

// Fixed<TOTAL, INTEGER> of the generated code (cpp_code.cpp, kFixedArithmetic) on raw integers:
// the same rounding (nearest, ties up), saturation and conversions.
class FixedArithmetic {
 public:
  explicit FixedArithmetic(FixedFormat f)
      : fraction_(f.total - f.integer),
        largest_((int64_t{1} << (f.total - 1)) - 1),
        smallest_(-(int64_t{1} << (f.total - 1))) {}

  int64_t from_double(double x) const {
    const double v = x * static_cast<double>(int64_t{1} << fraction_);
    if (!(v == v)) return 0;
    if (v >= static_cast<double>(largest_)) return largest_;
    if (v <= static_cast<double>(smallest_)) return smallest_;
    return saturate(static_cast<int64_t>(std::floor(v + 0.5)));
  }
  int64_t from_wide(int64_t wide, int shift) const {
    if (shift > 0) wide = (wide + (int64_t{1} << (shift - 1))) >> shift;
    return saturate(wide);
  }
  float to_float(int64_t raw) const {
    return static_cast<float>(static_cast<double>(raw) / static_cast<double>(int64_t{1} << fraction_));
  }
  int64_t add(int64_t a, int64_t b) const { return from_wide(a + b, 0); }
  int64_t sub(int64_t a, int64_t b) const { return from_wide(a - b, 0); }
  int64_t mul(int64_t a, int64_t b) const { return from_wide(a * b, fraction_); }
  int64_t affine(int64_t bias, const int64_t* w, const int64_t* x, int64_t n) const {
    int64_t sum = bias * (int64_t{1} << fraction_);
    for (int64_t i = 0; i < n; ++i) sum += w[i] * x[i];
    return from_wide(sum, fraction_);
  }
  int64_t sigmoid(int64_t x) const {
    return from_double(1.0 / (1.0 + std::exp(-static_cast<double>(to_float(x)))));
  }
  int64_t tanh(int64_t x) const { return from_double(std::tanh(static_cast<double>(to_float(x)))); }

 private:
  int64_t saturate(int64_t raw) const { return std::clamp(raw, smallest_, largest_); }
  int fraction_;
  int64_t largest_, smallest_;
};

std::vector<int64_t> quantised(const FixedArithmetic& fixed, const std::vector<float>& values) {
  std::vector<int64_t> out(values.size());
  std::transform(values.begin(), values.end(), out.begin(), [&](float v) { return fixed.from_double(v); });
  return out;
}

}  // namespace

struct FixedNetwork::Impl {
  const Network& net;
  FixedArithmetic fixed;
  std::vector<int64_t> kernel, recurrent_kernel, bias, recurrent_bias;
  std::vector<std::vector<int64_t>> weights, biases;
  // Reused from event to event (assign keeps the capacity): no allocation once they have grown.
  mutable std::vector<int64_t> scratch_state, scratch_cell, scratch_next, scratch_input, scratch_layer,
      scratch_output;

  Impl(const Network& n, FixedFormat format) : net(n), fixed(format) {
    if (net.recurrent) {
      const auto& cell = *net.recurrent;
      const int64_t rows = cell.gates() * cell.units;
      kernel = quantised(fixed, transposed(cell.kernel, cell.inputs, rows));
      recurrent_kernel = quantised(fixed, transposed(cell.recurrent_kernel, cell.units, rows));
      bias = quantised(fixed, cell.bias);
      recurrent_bias = quantised(fixed, cell.recurrent_bias);
    }
    for (const auto& layer : net.dense) {
      weights.push_back(quantised(fixed, layer.weight));
      biases.push_back(quantised(fixed, layer.bias));
    }
  }

  // One step of the generated recurrent_step (GRU or LSTM), the same operations in the same order.
  void step(const int64_t* x, std::vector<int64_t>& h, std::vector<int64_t>& c,
            std::vector<int64_t>& next) const {
    const auto& cell = *net.recurrent;
    const int64_t units = cell.units, inputs = cell.inputs;
    const auto in = [&](int64_t row, int64_t b) { return fixed.affine(b, &kernel[row * inputs], x, inputs); };
    const auto rec = [&](int64_t row, int64_t b) {
      return fixed.affine(b, &recurrent_kernel[row * units], h.data(), units);
    };
    const int64_t one = fixed.from_double(1.0);
    for (int64_t j = 0; j < units; ++j) {
      if (cell.kind == CellKind::Gru) {
        const int64_t zj = j, rj = units + j, hj = 2 * units + j;
        const int64_t z = fixed.sigmoid(fixed.add(in(zj, bias[zj]), rec(zj, recurrent_bias[zj])));
        const int64_t r = fixed.sigmoid(fixed.add(in(rj, bias[rj]), rec(rj, recurrent_bias[rj])));
        const int64_t candidate =
            fixed.tanh(fixed.add(in(hj, bias[hj]), fixed.mul(r, rec(hj, recurrent_bias[hj]))));
        next[j] = fixed.add(fixed.mul(z, h[j]), fixed.mul(fixed.sub(one, z), candidate));
      } else {
        const int64_t i = fixed.sigmoid(fixed.add(in(j, bias[j]), rec(j, 0)));
        const int64_t f = fixed.sigmoid(fixed.add(in(units + j, bias[units + j]), rec(units + j, 0)));
        const int64_t g =
            fixed.tanh(fixed.add(in(2 * units + j, bias[2 * units + j]), rec(2 * units + j, 0)));
        const int64_t o =
            fixed.sigmoid(fixed.add(in(3 * units + j, bias[3 * units + j]), rec(3 * units + j, 0)));
        c[j] = fixed.add(fixed.mul(f, c[j]), fixed.mul(i, g));
        next[j] = fixed.mul(o, fixed.tanh(c[j]));
      }
    }
    h.swap(next);
  }
};

FixedNetwork::FixedNetwork(const Network& network, FixedFormat format)
    : impl_(std::make_unique<Impl>(network, format)) {}
FixedNetwork::~FixedNetwork() = default;
FixedNetwork::FixedNetwork(FixedNetwork&&) noexcept = default;

void FixedNetwork::probabilities(std::span<const float> hlf, std::span<const float> rows, int64_t n,
                                 std::span<float> out) const {
  const auto& net = impl_->net;
  const auto& fixed = impl_->fixed;
  auto& layer = impl_->scratch_layer;
  layer.clear();
  if (net.recurrent) {
    const auto units = static_cast<size_t>(net.recurrent->units);
    auto &h = impl_->scratch_state, &c = impl_->scratch_cell, &next = impl_->scratch_next,
         &x = impl_->scratch_input;
    h.assign(units, 0);
    c.assign(units, 0);
    next.assign(units, 0);
    x.assign(static_cast<size_t>(net.particle_features), 0);
    for (int64_t t = 0; t < n; ++t) {
      for (size_t k = 0; k < x.size(); ++k)
        x[k] = fixed.from_double(rows[static_cast<size_t>(t) * x.size() + k]);
      impl_->step(x.data(), h, c, next);
    }
    layer.assign(h.begin(), h.end());
  }
  if (net.uses_hlf())
    for (float v : hlf.first(static_cast<size_t>(net.hlf_features))) layer.push_back(fixed.from_double(v));
  auto& y = impl_->scratch_output;
  for (size_t i = 0; i < net.dense.size(); ++i) {
    const auto& d = net.dense[i];
    y.assign(static_cast<size_t>(d.outputs), 0);
    for (int64_t o = 0; o < d.outputs; ++o) {
      const int64_t v =
          fixed.affine(impl_->biases[i][static_cast<size_t>(o)],
                       &impl_->weights[i][static_cast<size_t>(o * d.inputs)], layer.data(), d.inputs);
      y[static_cast<size_t>(o)] = d.relu && v < 0 ? 0 : v;
    }
    layer.swap(y);
  }
  // The generated softmax, in float.
  float largest = fixed.to_float(layer[0]);
  for (size_t k = 1; k < layer.size(); ++k) largest = std::max(largest, fixed.to_float(layer[k]));
  float sum = 0;
  for (size_t k = 0; k < layer.size(); ++k) {
    out[k] = std::exp(fixed.to_float(layer[k]) - largest);
    sum += out[k];
  }
  for (size_t k = 0; k < layer.size(); ++k) out[k] /= sum;
}

namespace {

std::vector<double> aucs(const std::vector<float>& probabilities, const std::vector<int32_t>& labels,
                         size_t classes) {
  std::vector<double> out;
  std::vector<float> scores(labels.size());
  std::vector<uint8_t> positive(labels.size());
  for (size_t k = 0; k < classes; ++k) {
    for (size_t i = 0; i < labels.size(); ++i) {
      scores[i] = probabilities[i * classes + k];
      positive[i] = labels[i] == static_cast<int32_t>(k);
    }
    out.push_back(eval::roc_auc(scores, positive));
  }
  return out;
}

}  // namespace

QuantizationScan quantization_scan(const Network& net, const std::vector<std::string>& classes,
                                   const train::PreparedData& data, const std::vector<float>& probabilities,
                                   int integer_bits, int narrowest, int widest) {
  train::EventBlock block;
  std::vector<parquet::ColumnData> scratch;
  for (const auto& slice : data.slices(0, data.events())) data.read(slice, {}, block, scratch);
  const size_t k = classes.size();
  if (probabilities.size() != block.size() * k)
    throw InternalError("quantization scan: float probabilities and events differ in number");
  QuantizationScan scan;
  scan.classes = classes;
  scan.events = block.size();
  scan.float_auc = aucs(probabilities, block.labels, k);
  std::vector<float> fixed_probabilities(probabilities.size());
  for (int total = narrowest; total <= widest; ++total) {
    const FixedFormat format{total, std::min(integer_bits, total)};
    const FixedNetwork fixed(net, format);
    for (size_t i = 0; i < block.size(); ++i)
      fixed.probabilities(
          std::span(block.hlf).subspan(i * block.hlf_features, block.hlf_features),
          std::span(block.particles)
              .subspan(static_cast<size_t>(block.particle_offsets[i]) * block.particle_features,
                       static_cast<size_t>(block.length(i)) * block.particle_features),
          block.length(i), std::span(fixed_probabilities).subspan(i * k, k));
    QuantizationRow row{format, aucs(fixed_probabilities, block.labels, k), 0};
    for (size_t i = 0; i < probabilities.size(); ++i)
      row.largest_difference = std::max(
          row.largest_difference, std::abs(static_cast<double>(fixed_probabilities[i]) - probabilities[i]));
    scan.rows.push_back(std::move(row));
  }
  return scan;
}

namespace {

// AUC against total width, one line per class, float as a dashed line: an inline SVG.
std::string svg_plot(const QuantizationScan& scan) {
  const double width = 640, height = 360, left = 60, right = 120, top = 20, bottom = 40;
  double lo = 1, hi = 0;
  for (const auto& row : scan.rows)
    for (double a : row.auc) lo = std::min(lo, a), hi = std::max(hi, a);
  for (double a : scan.float_auc) lo = std::min(lo, a), hi = std::max(hi, a);
  lo = std::max(0.0, lo - 0.02), hi = std::min(1.0, hi + 0.02);
  const int first = scan.rows.front().format.total, last = scan.rows.back().format.total;
  const auto x = [&](double bits) {
    return left + (bits - first) / std::max(1, last - first) * (width - left - right);
  };
  const auto y = [&](double auc) { return top + (hi - auc) / (hi - lo) * (height - top - bottom); };
  const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  std::string s = fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">)",
      width, height);
  s += fmt::format(R"(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#444"/>)", left, top,
                   width - left - right, height - top - bottom);
  for (int bits = first; bits <= last; bits += 2)
    s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">{}</text>)", x(bits),
                     height - bottom + 16, bits);
  s += fmt::format(R"(<text x="{:.1f}" y="{}" text-anchor="middle">total width (bits)</text>)",
                   x((first + last) / 2.0), height - 6);
  for (int i = 0; i <= 4; ++i) {
    const double a = lo + (hi - lo) * i / 4;
    s += fmt::format(R"(<text x="{}" y="{:.1f}" text-anchor="end">{:.3f}</text>)", left - 6, y(a) + 4, a);
  }
  s += fmt::format(
      R"svg(<text x="14" y="{:.1f}" transform="rotate(-90 14 {:.1f})" text-anchor="middle">AUC</text>)svg",
      y((lo + hi) / 2), y((lo + hi) / 2));
  for (size_t k = 0; k < scan.classes.size(); ++k) {
    const char* colour = colours[k % 5];
    std::string points;
    for (const auto& row : scan.rows)
      points += fmt::format("{:.1f},{:.1f} ", x(row.format.total), y(row.auc[k]));
    s += fmt::format(R"(<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>)", colour, points);
    s += fmt::format(
        R"(<line x1="{}" x2="{:.1f}" y1="{:.1f}" y2="{:.1f}" stroke="{}" stroke-dasharray="4 3"/>)", left,
        width - right, y(scan.float_auc[k]), y(scan.float_auc[k]), colour);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" fill="{}">{} (float dashed)</text>)", width - right + 6,
                     top + 16 + 16.0 * static_cast<double>(k), colour, scan.classes[k]);
  }
  return s + "</svg>";
}

}  // namespace

void write_quantization_report(const QuantizationScan& scan, const std::filesystem::path& dir) {
  namespace fs = std::filesystem;
  if (scan.rows.empty()) throw UsageError("the quantization scan has no widths", {dir.string()});
  nlohmann::json j;
  j["events"] = scan.events;
  j["classes"] = scan.classes;
  j["float_auc"] = scan.float_auc;
  std::string table = "<tr><th>Fixed&lt;TOTAL, INTEGER&gt;</th>";
  for (const auto& c : scan.classes) table += "<th>AUC " + c + "</th>";
  table += "<th>largest |Δp| against float</th></tr>\n<tr><td>float</td>";
  for (double a : scan.float_auc) table += fmt::format("<td>{:.5f}</td>", a);
  table += "<td>0</td></tr>\n";
  for (const auto& row : scan.rows) {
    j["widths"].push_back({{"total", row.format.total},
                           {"integer", row.format.integer},
                           {"auc", row.auc},
                           {"largest_probability_difference", row.largest_difference}});
    table += fmt::format("<tr><td>Fixed&lt;{}, {}&gt;</td>", row.format.total, row.format.integer);
    for (double a : row.auc) table += fmt::format("<td>{:.5f}</td>", a);
    table += fmt::format("<td>{:.3g}</td></tr>\n", row.largest_difference);
  }
  const std::string html = fmt::format(
      R"(<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>trigml quantisation scan</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:2px 10px;text-align:right}} table{{border-collapse:collapse}} tr:nth-child(even){{background:#f2f2f2}}</style></head>
<body><h1>Quantisation scan</h1>
<p>The network as <code>trigml export --format cpp --fixed TOTAL,INTEGER</code> generates it (rounding to nearest with ties up,
saturation, exact 64-bit dot products), on {} events; AUC per class against the rest and the largest difference of any class
probability against the float model.</p>
{}
<table>
{}</table></body></html>
)",
      scan.events, svg_plot(scan), table);
  const fs::path partial = dir.string() + ".partial";
  fs::remove_all(partial);
  fs::create_directories(partial);
  train::write_text_file(partial / "quantization.json", j.dump(1) + "\n");
  train::write_text_file(partial / "index.html", html);
  fs::remove_all(dir);
  fs::rename(partial, dir);
}

}  // namespace trigml::exporter

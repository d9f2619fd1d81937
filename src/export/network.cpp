#include "export/network.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <string>

#include "common/error.hpp"

namespace trigml::exporter {

namespace {

class ParameterTable {
 public:
  explicit ParameterTable(const std::vector<model::NamedParameter>& parameters) : parameters_(parameters) {}

  const std::vector<float>& take(const std::string& name, const std::vector<int64_t>& shape) const {
    const auto it = std::find_if(parameters_.begin(), parameters_.end(),
                                 [&](const model::NamedParameter& p) { return p.name == name; });
    if (it == parameters_.end())
      throw FormatError(fmt::format("the model has no parameter '{}'", name), {{}, std::nullopt, name});
    if (it->shape != shape)
      throw FormatError(fmt::format("parameter '{}' has shape [{}], expected [{}]", name,
                                    fmt::join(it->shape, ", "), fmt::join(shape, ", ")),
                        {{}, std::nullopt, name});
    return it->values;
  }

  DenseLayer dense(const std::string& name, int64_t inputs, int64_t outputs, bool relu) const {
    return {inputs, outputs, take(name + ".weight", {outputs, inputs}), take(name + ".bias", {outputs}),
            relu};
  }

 private:
  const std::vector<model::NamedParameter>& parameters_;
};

}  // namespace

Network network_from_parameters(const model::ModelConfig& config,
                                const std::vector<model::NamedParameter>& parameters) {
  using model::Architecture;
  const ParameterTable table(parameters);
  Network net;
  net.architecture = config.architecture;
  net.hlf_features = config.hlf_features;
  net.particle_features = config.particle_features;
  net.classes = config.classes;
  int64_t width = 0;  // of the dense chain's input
  if (config.architecture == Architecture::Hlf) {
    width = config.hlf_features;
    for (size_t i = 0; i < config.hlf_hidden.size(); ++i) {
      net.dense.push_back(table.dense("dense" + std::to_string(i), width, config.hlf_hidden[i], true));
      width = config.hlf_hidden[i];
    }
  } else {
    RecurrentLayer cell;
    cell.kind = config.architecture == Architecture::InclusiveLstm ? CellKind::Lstm : CellKind::Gru;
    cell.inputs = config.particle_features;
    cell.units = config.recurrent_units;
    const std::string name = cell.kind == CellKind::Gru ? "gru" : "lstm";
    const int64_t gated = cell.gates() * cell.units;
    cell.kernel = table.take(name + ".kernel", {cell.inputs, gated});
    cell.recurrent_kernel = table.take(name + ".recurrent_kernel", {cell.units, gated});
    cell.bias = table.take(name + ".bias", {gated});
    if (cell.kind == CellKind::Gru) cell.recurrent_bias = table.take(name + ".recurrent_bias", {gated});
    net.recurrent = std::move(cell);
    width = config.recurrent_units;
    if (config.architecture != Architecture::Particles) {
      width += config.hlf_features;
      net.dense.push_back(table.dense("head", width, config.head_units, true));
      width = config.head_units;
    }
  }
  net.dense.push_back(table.dense("out", width, config.classes, false));
  return net;
}

std::vector<float> transposed(const std::vector<float>& m, int64_t rows, int64_t columns) {
  std::vector<float> out(m.size());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      out[static_cast<size_t>(c * rows + r)] = m[static_cast<size_t>(r * columns + c)];
  return out;
}

}  // namespace trigml::exporter

// A trained classifier as plain arrays, in the layout the exporters write: built from the torch-free
// parameter table (model::Classifier::parameters()), so nothing here needs libtorch.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "model/model.hpp"

namespace trigml::exporter {

// y = x · weightᵀ + bias, then ReLU unless it is the output layer.
struct DenseLayer {
  int64_t inputs = 0, outputs = 0;
  std::vector<float> weight;  // [outputs, inputs], row-major (torch's Linear)
  std::vector<float> bias;    // [outputs]
  bool relu = true;
};

enum class CellKind { Gru, Lstm };

// Keras's layout (src/model/README.md): GRU gates (z, r, h), reset after, with an input bias and a
// recurrent bias; LSTM gates (i, f, c, o) with one bias.
struct RecurrentLayer {
  CellKind kind = CellKind::Gru;
  int64_t inputs = 0, units = 0;
  std::vector<float> kernel;            // [inputs, gates × units]
  std::vector<float> recurrent_kernel;  // [units, gates × units]
  std::vector<float> bias;              // [gates × units]
  std::vector<float> recurrent_bias;    // GRU: [3 × units]; LSTM: empty
  int64_t gates() const { return kind == CellKind::Gru ? 3 : 4; }
};

// The dense chain reads the high-level features (hlf), the recurrent layer's last state
// (particles), or both joined, state first (inclusive); its last layer gives the logits.
struct Network {
  model::Architecture architecture = model::Architecture::Inclusive;
  int64_t hlf_features = 0, particle_features = 0, classes = 0;
  std::optional<RecurrentLayer> recurrent;
  std::vector<DenseLayer> dense;

  bool uses_hlf() const { return architecture != model::Architecture::Particles; }
  bool uses_particles() const { return architecture != model::Architecture::Hlf; }
};

// Checks every parameter's presence and shape (FormatError naming the parameter otherwise).
Network network_from_parameters(const model::ModelConfig& config,
                                const std::vector<model::NamedParameter>& parameters);

// A row-major [rows, columns] matrix (Keras's kernels) as [columns, rows], as the generated code
// stores it.
std::vector<float> transposed(const std::vector<float>& m, int64_t rows, int64_t columns);

}  // namespace trigml::exporter

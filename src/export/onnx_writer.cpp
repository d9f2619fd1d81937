// The ONNX graph, built with the protobuf classes of Debian's libonnx-dev (ONNX 1.12) and checked
// with its C++ checker before it is written.
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <string>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "export/onnx.hpp"

namespace trigml::exporter {

namespace {

// ONNX 1.12's IR version, the one that opset 17 belongs to.
constexpr int64_t kIrVersion = 8;

class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  void initializer(const std::string& name, const std::vector<int64_t>& dims,
                   const std::vector<float>& values) {
    auto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (auto d : dims) t->add_dims(d);
    t->mutable_float_data()->Add(values.begin(), values.end());
  }
  void initializer(const std::string& name, const std::vector<int64_t>& values) {
    auto* t = graph_.add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(values.size()));
    t->mutable_int64_data()->Add(values.begin(), values.end());
  }

  // A tensor value: dims > 0 are fixed, others take the symbolic name of the same position.
  static void describe(onnx::ValueInfoProto& value, const std::string& name, int32_t type,
                       const std::vector<std::pair<int64_t, std::string>>& dims, const std::string& doc) {
    value.set_name(name);
    value.set_doc_string(doc);
    auto* tensor = value.mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(type);
    for (const auto& [size, symbol] : dims) {
      auto* dim = tensor->mutable_shape()->add_dim();
      if (size > 0)
        dim->set_dim_value(size);
      else
        dim->set_dim_param(symbol);
    }
  }
  void input(const std::string& name, int32_t type, const std::vector<std::pair<int64_t, std::string>>& dims,
             const std::string& doc) {
    describe(*graph_.add_input(), name, type, dims, doc);
  }
  void output(const std::string& name, int32_t type, const std::vector<std::pair<int64_t, std::string>>& dims,
              const std::string& doc) {
    describe(*graph_.add_output(), name, type, dims, doc);
  }

  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs) {
    auto* n = graph_.add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(graph_.node_size()));
    for (const auto& i : inputs) n->add_input(i);
    for (const auto& o : outputs) n->add_output(o);
    return *n;
  }
  static void attribute(onnx::NodeProto& n, const std::string& name, int64_t value) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
  }
  static void attribute(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (auto v : values) a->add_ints(v);
  }

  // x · scale + offset per feature (the last axis): the fitted scaler folded into the graph.
  std::string affine(const std::string& x, const std::string& name, const std::vector<float>& scale,
                     const std::vector<float>& offset) {
    const auto n = static_cast<int64_t>(scale.size());
    initializer(name + "_scale", {n}, scale);
    initializer(name + "_offset", {n}, offset);
    node("Mul", {x, name + "_scale"}, {name + "_scaled"});
    node("Add", {name + "_scaled", name + "_offset"}, {name + "_shifted"});
    return name + "_shifted";
  }

 private:
  onnx::GraphProto& graph_;
};

// ONNX's weights [1, gates × units, inputs] from Keras's kernel [inputs, gates × units], with the
// gates in ONNX's order: onnx_gate[g] is the Keras gate that becomes ONNX gate g.
std::vector<float> onnx_weights(const std::vector<float>& keras, int64_t inputs, int64_t units,
                                const std::vector<int64_t>& onnx_gate) {
  const auto gates = static_cast<int64_t>(onnx_gate.size());
  std::vector<float> out(static_cast<size_t>(inputs * gates * units));
  for (int64_t g = 0; g < gates; ++g)
    for (int64_t j = 0; j < units; ++j)
      for (int64_t c = 0; c < inputs; ++c)
        out[static_cast<size_t>((g * units + j) * inputs + c)] =
            keras[static_cast<size_t>(c * gates * units + onnx_gate[static_cast<size_t>(g)] * units + j)];
  return out;
}

std::vector<float> onnx_bias(const std::vector<float>& keras, int64_t units,
                             const std::vector<int64_t>& onnx_gate) {
  std::vector<float> out;
  for (auto g : onnx_gate) out.insert(out.end(), keras.begin() + g * units, keras.begin() + (g + 1) * units);
  return out;
}

// The recurrent layer on `x` [T, N, C] and the sequence lengths: its state after each event's last
// real step, [N, units]. ONNX's GRU with linear_before_reset = 1 is Keras's reset_after GRU, gates
// (z, r, h) in both; ONNX's LSTM gates are (i, o, f, c) where Keras's are (i, f, c, o).
std::string recurrent(GraphBuilder& g, const RecurrentLayer& cell, const std::string& x,
                      const std::string& lengths) {
  const bool gru = cell.kind == CellKind::Gru;
  const std::vector<int64_t> order = gru ? std::vector<int64_t>{0, 1, 2} : std::vector<int64_t>{0, 3, 1, 2};
  const int64_t gated = cell.gates() * cell.units;
  g.initializer("recurrent_W", {1, gated, cell.inputs},
                onnx_weights(cell.kernel, cell.inputs, cell.units, order));
  g.initializer("recurrent_R", {1, gated, cell.units},
                onnx_weights(cell.recurrent_kernel, cell.units, cell.units, order));
  // B is [input bias, recurrent bias]; Keras's LSTM has only the first.
  std::vector<float> bias = onnx_bias(cell.bias, cell.units, order);
  if (gru) {
    const auto recurrent_bias = onnx_bias(cell.recurrent_bias, cell.units, order);
    bias.insert(bias.end(), recurrent_bias.begin(), recurrent_bias.end());
  } else {
    bias.resize(bias.size() * 2, 0.0f);
  }
  g.initializer("recurrent_B", {1, 2 * gated}, bias);
  // Y_h holds each event's state at its own last step (sequence_lens), so the zero padding after an
  // event's rows never enters it.
  auto& node = g.node(gru ? "GRU" : "LSTM", {x, "recurrent_W", "recurrent_R", "recurrent_B", lengths},
                      gru ? std::vector<std::string>{"", "recurrent_last"}
                          : std::vector<std::string>{"", "recurrent_last", ""});
  GraphBuilder::attribute(node, "hidden_size", cell.units);
  if (gru) GraphBuilder::attribute(node, "linear_before_reset", int64_t{1});
  g.initializer("squeeze_axes", {0});
  g.node("Squeeze", {"recurrent_last", "squeeze_axes"}, {"recurrent_state"});
  return "recurrent_state";
}

// A fitted scaler as x · scale + offset: min-max for the high-level features (a constant feature
// becomes 0.5), standardisation for the particle features (unscaled ones have mean 0 and std 1).
void hlf_scaling(const nlohmann::json& pre, std::vector<float>& scale, std::vector<float>& offset) {
  for (const auto& f : pre.at("high_level_features")) {
    const double lo = f.at("min").get<double>(), hi = f.at("max").get<double>();
    scale.push_back(hi == lo ? 0.0f : static_cast<float>(1 / (hi - lo)));
    offset.push_back(hi == lo ? 0.5f : static_cast<float>(-lo / (hi - lo)));
  }
}
void particle_scaling(const nlohmann::json& pre, std::vector<float>& scale, std::vector<float>& offset) {
  for (const auto& f : pre.at("particle_features")) {
    const double mean = f.at("mean").get<double>(), stddev = f.at("std").get<double>();
    scale.push_back(static_cast<float>(1 / stddev));
    offset.push_back(static_cast<float>(-mean / stddev));
  }
}

void metadata(onnx::ModelProto& m, const std::string& key, const std::string& value) {
  auto* p = m.add_metadata_props();
  p->set_key(key);
  p->set_value(value);
}

}  // namespace

bool onnx_available() {
  return true;
}

void write_onnx(const Network& net, const OnnxOptions& options, const std::filesystem::path& out) {
  if (options.classes.size() != static_cast<size_t>(net.classes))
    throw UsageError(
        fmt::format("the model has {} classes but {} class names", net.classes, options.classes.size()),
        {out.string()});
  onnx::ModelProto m;
  m.set_ir_version(kIrVersion);
  m.set_producer_name("trigml");
  m.set_producer_version(TRIGML_VERSION);
  m.set_model_version(1);
  m.set_doc_string("trigml " + model::to_string(net.architecture) + " classifier");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  auto& graph = *m.mutable_graph();
  graph.set_name("trigml_" + model::to_string(net.architecture));
  GraphBuilder g(graph);
  const std::string scaling = options.fold_scaling ? "raw features: the scalers are applied inside the graph"
                                                   : "scaled as preprocessing.json says";

  std::string hlf, state;
  if (net.uses_hlf()) {
    g.input("hlf", onnx::TensorProto::FLOAT, {{0, "N"}, {net.hlf_features, ""}},
            "the high-level features (HLF_input), " + scaling);
    hlf = "hlf";
    if (options.fold_scaling) {
      std::vector<float> scale, offset;
      hlf_scaling(options.preprocessing, scale, offset);
      hlf = g.affine(hlf, "hlf", scale, offset);
    }
  }
  if (net.uses_particles()) {
    g.input(
        "particles", onnx::TensorProto::FLOAT, {{0, "N"}, {0, "T"}, {net.particle_features, ""}},
        "each event's particle rows (GRU_input) in the prepared order, the lepton last, zero-padded to T, " +
            scaling);
    g.input("sequence_lens", onnx::TensorProto::INT32, {{0, "N"}},
            "each event's number of particle rows (n_particles), at least 1");
    std::string particles = "particles";
    if (options.fold_scaling) {
      std::vector<float> scale, offset;
      particle_scaling(options.preprocessing, scale, offset);
      particles = g.affine(particles, "particles", scale, offset);
    }
    auto& transpose = g.node("Transpose", {particles}, {"particles_time_major"});
    GraphBuilder::attribute(transpose, "perm", std::vector<int64_t>{1, 0, 2});
    state = recurrent(g, *net.recurrent, "particles_time_major", "sequence_lens");
  }
  std::string x = net.architecture == model::Architecture::Hlf         ? hlf
                  : net.architecture == model::Architecture::Particles ? state
                                                                       : "joined";
  if (x == "joined") {
    auto& concat = g.node("Concat", {state, hlf}, {"joined"});
    GraphBuilder::attribute(concat, "axis", int64_t{1});
  }
  for (size_t i = 0; i < net.dense.size(); ++i) {
    const auto& layer = net.dense[i];
    const std::string name = "dense" + std::to_string(i);
    g.initializer(name + "_weight", {layer.outputs, layer.inputs}, layer.weight);
    g.initializer(name + "_bias", {layer.outputs}, layer.bias);
    auto& gemm = g.node("Gemm", {x, name + "_weight", name + "_bias"}, {name + "_linear"});
    GraphBuilder::attribute(gemm, "transB", int64_t{1});
    x = name + "_linear";
    if (layer.relu) {
      g.node("Relu", {x}, {name + "_relu"});
      x = name + "_relu";
    }
  }
  auto& softmax = g.node("Softmax", {x}, {"probabilities"});
  GraphBuilder::attribute(softmax, "axis", int64_t{1});
  std::string names;
  for (const auto& c : options.classes) names += (names.empty() ? "" : ",") + c;
  g.output("probabilities", onnx::TensorProto::FLOAT, {{0, "N"}, {net.classes, ""}},
           "the class probabilities (softmax), columns " + names);

  metadata(m, "trigml.architecture", model::to_string(net.architecture));
  metadata(m, "trigml.classes", names);
  metadata(m, "trigml.scaling", options.fold_scaling ? "folded" : "external");
  metadata(m, "trigml.preprocessing", options.preprocessing.dump());

  try {
    onnx::checker::check_model(m);
  } catch (const onnx::checker::ValidationError& e) {
    throw InternalError(fmt::format("the exported ONNX graph fails ONNX's checker: {}", e.what()),
                        {out.string()});
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes)) throw InternalError("cannot serialise the ONNX model", {out.string()});
  AtomicFile file(out);
  file.write(std::as_bytes(std::span(bytes)));
  file.commit();
}

}  // namespace trigml::exporter

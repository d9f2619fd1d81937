#include "model/model.hpp"

// The whole of libtorch's C++ API (modules, optimisers, serialisation) is needed here only; the
// layers' headers include the tensor and autograd parts alone, which compile in half the time.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <sstream>
#include <stdexcept>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "model/gru.hpp"
#include "model/onednn_dense.hpp"
#include "model/onednn_rnn.hpp"

namespace trigml::model {

Architecture parse_architecture(const std::string& name) {
  if (name == "hlf") return Architecture::Hlf;
  if (name == "particles") return Architecture::Particles;
  if (name == "inclusive") return Architecture::Inclusive;
  if (name == "inclusive-lstm") return Architecture::InclusiveLstm;
  throw std::invalid_argument("unknown architecture '" + name + "'");
}

std::string to_string(Architecture a) {
  switch (a) {
    case Architecture::Hlf: return "hlf";
    case Architecture::Particles: return "particles";
    case Architecture::Inclusive: return "inclusive";
    case Architecture::InclusiveLstm: return "inclusive-lstm";
  }
  return "?";
}

void set_threads(int threads) {
  torch::set_num_threads(threads);
}

void seed_dropout(uint64_t seed) {
  torch::manual_seed(seed);
}

namespace {

// Keras Dense: Glorot-uniform kernel, zero bias (torch's [out, in] weight has the same bound).
torch::nn::Linear dense(int64_t in, int64_t out) {
  torch::nn::Linear layer(in, out);
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(layer->weight);
  torch::nn::init::zeros_(layer->bias);
  return layer;
}

// Keras GRU(reset_after=True) (gru.hpp): kernel [C, 3H] Glorot-uniform over the whole matrix,
// recurrent kernel [H, 3H] orthogonal (orthonormal rows, as Keras's Orthogonal on that shape),
// input and recurrent biases [3H] zero. Gates (z, r, h).
struct GruImpl : torch::nn::Module {
  torch::Tensor kernel, recurrent_kernel, bias, recurrent_bias;
  GruImpl(int64_t c, int64_t h) {
    const double bound = std::sqrt(6.0 / static_cast<double>(c + 3 * h));
    kernel = register_parameter("kernel", torch::empty({c, 3 * h}).uniform_(-bound, bound));
    recurrent_kernel = register_parameter("recurrent_kernel", torch::empty({h, 3 * h}));
    {
      torch::NoGradGuard no_grad;
      torch::nn::init::orthogonal_(recurrent_kernel);
    }
    bias = register_parameter("bias", torch::zeros({3 * h}));
    recurrent_bias = register_parameter("recurrent_bias", torch::zeros({3 * h}));
  }
  // rows [Σ lengths, C] -> each event's state at its last particle [N, H].
  torch::Tensor forward(const torch::Tensor& rows, const std::vector<int64_t>& lengths) {
    return detail::gru_last(rows, lengths, kernel, recurrent_kernel, bias, recurrent_bias);
  }
};
TORCH_MODULE(Gru);

// Keras LSTM on oneDNN: kernel [C, 4H] Glorot-uniform, recurrent kernel [H, 4H] orthogonal, bias
// [4H] zero except the forget gate's ones (Keras's default unit_forget_bias=True). Gates (i, f, c, o).
struct LstmImpl : torch::nn::Module {
  torch::Tensor kernel, recurrent_kernel, bias;
  LstmImpl(int64_t c, int64_t h) {
    const double bound = std::sqrt(6.0 / static_cast<double>(c + 4 * h));
    kernel = register_parameter("kernel", torch::empty({c, 4 * h}).uniform_(-bound, bound));
    recurrent_kernel = register_parameter("recurrent_kernel", torch::empty({h, 4 * h}));
    auto b = torch::zeros({4 * h});
    b.slice(0, h, 2 * h).fill_(1.0);
    {
      torch::NoGradGuard no_grad;
      torch::nn::init::orthogonal_(recurrent_kernel);
    }
    bias = register_parameter("bias", b);
  }
  torch::Tensor forward(const torch::Tensor& rows, const std::vector<int64_t>& lengths) {
    const auto seq = detail::lstm(detail::to_time_major(rows, lengths), kernel, recurrent_kernel, bias);
    return detail::last_step(seq, lengths);
  }
};
TORCH_MODULE(Lstm);

struct NetImpl : torch::nn::Module {
  ModelConfig config;
  std::vector<torch::nn::Linear> hlf_layers;
  Gru gru{nullptr};
  Lstm lstm{nullptr};
  torch::nn::Linear head{nullptr}, out{nullptr};

  explicit NetImpl(const ModelConfig& c) : config(c) {
    switch (c.architecture) {
      case Architecture::Hlf: {
        int64_t in = c.hlf_features;
        for (size_t i = 0; i < c.hlf_hidden.size(); ++i) {
          hlf_layers.push_back(register_module("dense" + std::to_string(i), dense(in, c.hlf_hidden[i])));
          in = c.hlf_hidden[i];
        }
        out = register_module("out", dense(in, c.classes));
        break;
      }
      case Architecture::Particles:
        gru = register_module("gru", Gru(c.particle_features, c.recurrent_units));
        out = register_module("out", dense(c.recurrent_units, c.classes));
        break;
      case Architecture::Inclusive:
      case Architecture::InclusiveLstm:
        if (c.architecture == Architecture::Inclusive)
          gru = register_module("gru", Gru(c.particle_features, c.recurrent_units));
        else
          lstm = register_module("lstm", Lstm(c.particle_features, c.recurrent_units));
        head = register_module("head", dense(c.recurrent_units + c.hlf_features, c.head_units));
        out = register_module("out", dense(c.head_units, c.classes));
        break;
    }
  }

  // The Linear modules hold the parameters; the product runs on oneDNN (onednn_dense.hpp).
  static torch::Tensor dense_forward(const torch::nn::Linear& layer, const torch::Tensor& x) {
    return detail::linear(x, layer->weight, layer->bias);
  }

  torch::Tensor forward(const torch::Tensor& hlf, const torch::Tensor& rows,
                        const std::vector<int64_t>& lengths) {
    const bool train = is_training();
    switch (config.architecture) {
      case Architecture::Hlf: {
        auto x = hlf;
        for (auto& layer : hlf_layers) x = torch::relu(dense_forward(layer, x));
        return dense_forward(out, x);
      }
      case Architecture::Particles:
        return dense_forward(out, torch::dropout(gru->forward(rows, lengths), config.dropout, train));
      case Architecture::Inclusive:
      case Architecture::InclusiveLstm: {
        const auto r = gru ? gru->forward(rows, lengths) : lstm->forward(rows, lengths);
        const auto g = torch::dropout(r, config.dropout, train);
        const auto h = torch::dropout(hlf, config.dropout, train);
        return dense_forward(out, torch::relu(dense_forward(head, torch::cat({g, h}, 1))));
      }
    }
    throw std::logic_error("model: unknown architecture");
  }
};
TORCH_MODULE(Net);

}  // namespace

struct Classifier::Impl {
  ModelConfig config;
  Net net{nullptr};
  std::unique_ptr<torch::optim::Adam> adam;

  explicit Impl(const ModelConfig& c) : config(c) {
    torch::manual_seed(c.seed);
    net = Net(c);
    adam = std::make_unique<torch::optim::Adam>(
        net->parameters(), torch::optim::AdamOptions(c.learning_rate).betas({0.9, 0.999}).eps(1e-7));
  }

  int64_t events(const Batch& b) const {
    if (config.architecture == Architecture::Hlf)
      return static_cast<int64_t>(b.hlf.size()) / config.hlf_features;
    return static_cast<int64_t>(b.lengths.size());
  }

  torch::Tensor run(const Batch& b) {
    const int64_t n = events(b);
    const bool uses_hlf = config.architecture != Architecture::Particles;
    const bool uses_rows = config.architecture != Architecture::Hlf;
    torch::Tensor hlf, rows;
    if (uses_hlf) {
      if (b.hlf.size() != static_cast<size_t>(n * config.hlf_features))
        throw std::invalid_argument("model: batch hlf size does not match its event count");
      hlf = torch::from_blob(const_cast<float*>(b.hlf.data()), {n, config.hlf_features}).clone();
    }
    if (uses_rows) {
      int64_t total = 0;
      for (auto l : b.lengths) {
        if (l < 1) throw std::invalid_argument("model: every event needs at least one particle");
        total += l;
      }
      if (b.particles.size() != static_cast<size_t>(total * config.particle_features))
        throw std::invalid_argument("model: batch particles size does not match its lengths");
      rows =
          torch::from_blob(const_cast<float*>(b.particles.data()), {total, config.particle_features}).clone();
    }
    return net->forward(hlf, rows, b.lengths);
  }
};

Classifier::Classifier(const ModelConfig& config) : impl_(std::make_unique<Impl>(config)) {}
Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

const ModelConfig& Classifier::config() const {
  return impl_->config;
}

int64_t Classifier::parameter_count() const {
  int64_t n = 0;
  for (const auto& p : impl_->net->parameters()) n += p.numel();
  return n;
}

std::vector<NamedParameter> Classifier::parameters() const {
  std::vector<NamedParameter> out;
  for (const auto& item : impl_->net->named_parameters()) {
    const auto t = item.value().detach().contiguous();
    out.push_back({item.key(), t.sizes().vec(),
                   std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel())});
  }
  return out;
}

double Classifier::train_step(const Batch& batch, std::span<const int32_t> labels) {
  return train_batch(batch, labels).loss;
}

Classifier::StepResult Classifier::train_batch(const Batch& batch, std::span<const int32_t> labels) {
  impl_->net->train();
  const auto target = torch::from_blob(const_cast<int32_t*>(labels.data()),
                                       {static_cast<int64_t>(labels.size())}, torch::kInt)
                          .to(torch::kLong);
  impl_->adam->zero_grad();
  const auto logits = impl_->run(batch);
  if (logits.size(0) != target.size(0))
    throw std::invalid_argument("model: batch and labels have different event counts");
  const auto loss = torch::cross_entropy_loss(logits, target);
  loss.backward();
  if (impl_->config.gradient_clip_norm > 0)
    torch::nn::utils::clip_grad_norm_(impl_->net->parameters(), impl_->config.gradient_clip_norm);
  impl_->adam->step();
  StepResult result;
  result.loss = loss.item<double>();
  result.correct = logits.detach().argmax(1).eq(target).sum().item<int64_t>();
  return result;
}

Classifier::StepResult Classifier::train_share(const Batch& batch, std::span<const int32_t> labels,
                                               int64_t global_events,
                                               const std::function<void(std::span<float>)>& add_gradients) {
  impl_->net->train();
  impl_->adam->zero_grad();
  StepResult result;
  if (!labels.empty()) {
    const auto target = torch::from_blob(const_cast<int32_t*>(labels.data()),
                                         {static_cast<int64_t>(labels.size())}, torch::kInt)
                            .to(torch::kLong);
    const auto logits = impl_->run(batch);
    if (logits.size(0) != target.size(0))
      throw std::invalid_argument("model: batch and labels have different event counts");
    const auto loss = torch::cross_entropy_loss(logits, target, {}, at::Reduction::Sum) /
                      static_cast<double>(global_events);
    loss.backward();
    result.loss = loss.item<double>();
    result.correct = logits.detach().argmax(1).eq(target).sum().item<int64_t>();
  }
  // A share without events contributes zeros; every parameter then has a gradient to receive.
  std::vector<torch::Tensor> parameters = impl_->net->parameters();
  int64_t total = 0;
  for (auto& p : parameters) {
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    total += p.numel();
  }
  std::vector<float> flat(static_cast<size_t>(total));
  int64_t at = 0;
  for (auto& p : parameters) {
    const auto grad = p.grad().contiguous();
    std::copy_n(grad.data_ptr<float>(), grad.numel(), flat.data() + at);
    at += grad.numel();
  }
  add_gradients(flat);
  at = 0;
  for (auto& p : parameters) {
    p.mutable_grad().copy_(torch::from_blob(flat.data() + at, p.sizes(), torch::kFloat));
    at += p.numel();
  }
  if (impl_->config.gradient_clip_norm > 0)
    torch::nn::utils::clip_grad_norm_(parameters, impl_->config.gradient_clip_norm);
  impl_->adam->step();
  return result;
}

void Classifier::set_learning_rate(double rate) {
  for (auto& group : impl_->adam->param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(rate);
}

double Classifier::learning_rate() const {
  return static_cast<const torch::optim::AdamOptions&>(impl_->adam->param_groups().front().options()).lr();
}

std::vector<float> Classifier::logits(const Batch& batch) {
  impl_->net->eval();
  torch::NoGradGuard no_grad;
  const auto out = impl_->run(batch).contiguous();
  return {out.data_ptr<float>(), out.data_ptr<float>() + out.numel()};
}

namespace {

// libtorch serialises into memory and trigml writes the file, under a temporary name: a failed
// write (a full disk) is then an IoError naming the file, where libtorch's own file writer aborts
// the program (it throws from a destructor).
void write_archive(torch::serialize::OutputArchive& archive, const std::filesystem::path& file) {
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string data = std::move(bytes).str();
  AtomicFile out(file);
  out.write(std::as_bytes(std::span(data)));
  out.commit();
}

}  // namespace

void Classifier::save(const std::filesystem::path& dir) const {
  std::filesystem::create_directories(dir);
  torch::serialize::OutputArchive archive;
  impl_->net->save(archive);
  write_archive(archive, dir / "model.pt");
}

void Classifier::load(const std::filesystem::path& dir) {
  load_weights(dir / "model.pt");
}

void Classifier::save_weights(const std::filesystem::path& file) const {
  torch::serialize::OutputArchive archive;
  impl_->net->save(archive);
  write_archive(archive, file);
}

void Classifier::load_weights(const std::filesystem::path& file) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(file.string());
    impl_->net->load(archive);
  } catch (const c10::Error& e) {
    throw FormatError(fmt::format("cannot load the {} model's weights: {}",
                                  to_string(impl_->config.architecture), e.what_without_backtrace()),
                      {file.string()});
  }
}

void Classifier::save_optimizer(const std::filesystem::path& file) const {
  torch::serialize::OutputArchive archive;
  impl_->adam->save(archive);
  write_archive(archive, file);
}

void Classifier::load_optimizer(const std::filesystem::path& file) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(file.string());
    impl_->adam->load(archive);
  } catch (const c10::Error& e) {
    throw FormatError(std::string("cannot load the optimizer state: ") + e.what_without_backtrace(),
                      {file.string()});
  }
}

}  // namespace trigml::model

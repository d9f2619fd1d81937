#pragma once
// The trigml classifiers (SparkDLTrigger section 4) behind a torch-free interface: this header does
// not include libtorch, so train/eval code links trigml_model without seeing torch headers.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace trigml::model {

enum class Architecture { Hlf, Particles, Inclusive, InclusiveLstm };

Architecture parse_architecture(const std::string& name);  // "hlf", "particles", "inclusive", ...
std::string to_string(Architecture a);

// Threads for libtorch's and oneDNN's kernels in the calling thread (both run on the same OpenMP
// runtime, libgomp, in Debian's builds).
void set_threads(int threads);
// Reseeds the random generator that dropout draws from (libtorch's global CPU generator), so that a
// training epoch's dropout masks depend only on this seed: a resumed run repeats them exactly.
void seed_dropout(uint64_t seed);

struct ModelConfig {
  Architecture architecture = Architecture::Inclusive;
  int64_t hlf_features = 14;
  int64_t particle_features = 19;
  std::vector<int64_t> hlf_hidden{50, 20, 10};  // Hlf: the ReLU layers
  int64_t recurrent_units = 50;                 // Particles, Inclusive
  int64_t head_units = 25;                      // Inclusive: the ReLU layer after the join
  int64_t classes = 3;
  double dropout = 0.2;
  double learning_rate = 1e-3;    // Adam, β = (0.9, 0.999), ε = 1e-7 as Keras
  double gradient_clip_norm = 0;  // > 0: clip the global gradient norm to this before each step
  uint64_t seed = 1;              // initialisation (and dropout) seed
};

// One batch of N events. particles holds the real particle rows only, event after event (each
// event's rows in the prepared order, the lepton last), particle_features floats per row;
// lengths[i] ≥ 1 is event i's row count. Architectures that do not use a part may leave it empty.
// Grouping events of similar length into a batch saves time (steps past an event's end are computed
// and discarded) but does not change any result.
struct Batch {
  std::vector<float> hlf;        // N × hlf_features
  std::vector<float> particles;  // Σ lengths × particle_features
  std::vector<int64_t> lengths;  // N (empty for Hlf)
};

// A parameter's values, for inspection and export: torch's name ("gru.kernel", "head.weight", ...),
// shape, and values in row-major order. Dense weights are torch's [out, in]; recurrent kernels are
// Keras's [in, gates × units] and [units, gates × units].
struct NamedParameter {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

class Classifier {
 public:
  explicit Classifier(const ModelConfig& config);
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  const ModelConfig& config() const;
  int64_t parameter_count() const;
  std::vector<NamedParameter> parameters() const;

  // Training mode (dropout on): logits, softmax cross-entropy against labels (0 … classes − 1),
  // backward, one Adam step. Returns the batch's mean loss.
  double train_step(const Batch& batch, std::span<const int32_t> labels);
  struct StepResult {
    double loss = 0;      // mean over the batch
    int64_t correct = 0;  // events whose largest logit is their label's
  };
  StepResult train_batch(const Batch& batch, std::span<const int32_t> labels);
  // One step of data-parallel training: `batch` is this process's share of a global batch of
  // `global_events` events (possibly none of them). The loss is summed over the share and divided by
  // `global_events`; `add_gradients` replaces the gradients of every parameter (flattened, in parameter
  // order) by their sum over all processes, before clipping and the Adam step, so that every process
  // takes the step of the whole batch. Returns this share's part of the batch's mean loss.
  StepResult train_share(const Batch& batch, std::span<const int32_t> labels, int64_t global_events,
                         const std::function<void(std::span<float>)>& add_gradients);
  void set_learning_rate(double rate);
  double learning_rate() const;
  // Evaluation mode (dropout off), no gradients: logits, N × classes, row-major.
  std::vector<float> logits(const Batch& batch);

  void save(const std::filesystem::path& dir) const;  // dir/model.pt (parameters)
  void load(const std::filesystem::path& dir);
  // Single files, for checkpoints: the parameters, and Adam's state (moments and step counts).
  void save_weights(const std::filesystem::path& file) const;
  void load_weights(const std::filesystem::path& file);
  void save_optimizer(const std::filesystem::path& file) const;
  void load_optimizer(const std::filesystem::path& file);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trigml::model

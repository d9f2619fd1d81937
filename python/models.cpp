// Training, evaluation and trained models from Python (built with the libtorch models only):
// train and evaluate with the CLI's options as keyword arguments, and load_model for prediction.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <mutex>

#include "bindings.hpp"
#include "common/error.hpp"
#include "score/score.hpp"
#include "train/evaluate.hpp"
#include "train/model_dir.hpp"
#include "train/trainer.hpp"

namespace trigml::python {

namespace {

namespace fs = std::filesystem;
using namespace pybind11::literals;

py::dict train(const fs::path& data, const fs::path& out, const std::string& architecture, int epochs,
               size_t batch_size, double validation_fraction, int patience, int lr_step, double lr_gamma,
               uint64_t seed, size_t shuffle_buffer, bool cache, uint64_t max_events, int threads,
               bool resume, const std::optional<std::vector<int64_t>>& hlf_layers, int64_t recurrent_units,
               int64_t head_units, double dropout, double learning_rate, double clip_norm, bool progress) {
  train::TrainOptions t;
  t.data = data;
  t.out = out;
  try {
    t.model.architecture = model::parse_architecture(architecture);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  t.epochs = epochs;
  t.batch_size = batch_size;
  t.validation_fraction = validation_fraction;
  t.patience = patience;
  t.lr_step_epochs = lr_step;
  t.lr_gamma = lr_gamma;
  t.model.seed = seed;
  t.shuffle_buffer = shuffle_buffer;
  t.cache = cache;
  t.max_events = max_events;
  t.threads = threads;
  t.resume = resume;
  if (hlf_layers) t.model.hlf_hidden = *hlf_layers;
  t.model.recurrent_units = recurrent_units;
  t.model.head_units = head_units;
  t.model.dropout = dropout;
  t.model.learning_rate = learning_rate;
  t.model.gradient_clip_norm = clip_norm;
  t.progress = progress;
  train::TrainSummary s;
  {
    LongCall call;
    s = train::train_model(t);
  }
  py::list history;
  for (const auto& record : s.history) history.append(to_python(train::to_json(record)));
  return py::dict("history"_a = history, "best_epoch"_a = s.best_epoch, "stopped_early"_a = s.stopped_early,
                  "train_events"_a = s.train_events, "validation_events"_a = s.validation_events,
                  "parameters"_a = s.parameters);
}

py::object evaluate(const fs::path& model_dir, const fs::path& data, const fs::path& out, size_t batch_size,
                    int threads, bool progress) {
  train::EvaluateOptions o;
  o.model = model_dir;
  o.data = data;
  o.out = out;
  o.batch_size = batch_size;
  o.threads = threads;
  o.progress = progress;
  nlohmann::json metrics;
  {
    LongCall call;
    metrics = train::evaluate_model(o);
  }
  return to_python(metrics);
}

// A float32 C-contiguous array of exactly `columns` columns, from a 2-D array or a Jagged of rows of
// that length.
py::array_t<float, py::array::c_style | py::array::forcecast> rows_of(py::handle value, size_t columns,
                                                                      const char* what) {
  py::object flat = py::reinterpret_borrow<py::object>(value);
  if (py::isinstance<Jagged>(value)) {
    const Jagged& j = value.cast<const Jagged&>();
    py::array lengths = py::module_::import("numpy").attr("diff")(j.offsets);
    if (py::len(j.content) && !py::bool_(lengths.attr("__eq__")(columns).attr("all")()))
      throw UsageError(fmt::format("{}: every row must have {} values", what, columns));
    flat = j.content[py::slice(j.offsets.attr("__getitem__")(0).cast<py::ssize_t>(),
                               j.offsets.attr("__getitem__")(-1).cast<py::ssize_t>(), 1)];
  }
  py::array_t<float, py::array::c_style | py::array::forcecast> rows(flat);
  if (rows.size() % static_cast<py::ssize_t>(columns) != 0 ||
      (rows.ndim() == 2 && rows.shape(1) != static_cast<py::ssize_t>(columns)) || rows.ndim() > 2)
    throw UsageError(fmt::format("{}: expected rows of {} values, got shape {}", what, columns,
                                 std::string(py::str(rows.attr("shape")))));
  return rows.attr("reshape")(-1, columns);
}

class Model {
 public:
  explicit Model(const fs::path& path)
      : directory_(train::read_model_directory(path)), classifier_(train::load_classifier(directory_)) {}

  const train::ModelDirectory& directory() const { return directory_; }

  py::array_t<float> predict(py::object hlf, py::object particles, size_t batch_size, int threads) {
    const auto& config = classifier_.config();
    const bool needs_hlf = config.architecture != model::Architecture::Particles;
    const bool needs_particles = config.architecture != model::Architecture::Hlf;
    if (batch_size == 0) throw UsageError("batch_size must be at least 1");
    std::optional<py::array_t<float, py::array::c_style | py::array::forcecast>> hlf_rows, particle_rows;
    std::vector<int64_t> offsets;  // events + 1, in particle rows
    std::optional<size_t> events;
    if (needs_hlf) {
      if (hlf.is_none())
        throw UsageError(fmt::format("a {} model needs hlf=", model::to_string(config.architecture)));
      hlf_rows = rows_of(hlf, static_cast<size_t>(config.hlf_features), "hlf");
      events = static_cast<size_t>(hlf_rows->shape(0));
    }
    if (needs_particles) {
      if (!py::isinstance<Jagged>(particles))
        throw UsageError(fmt::format("a {} model needs particles= as a Jagged of each event's particle rows",
                                     model::to_string(config.architecture)));
      const Jagged& j = particles.cast<const Jagged&>();
      py::array_t<int64_t, py::array::c_style | py::array::forcecast> o(j.offsets);
      for (py::ssize_t i = 0; i < o.size(); ++i) offsets.push_back(o.at(i) - o.at(0));
      // content: rows of features, as a 2-D array or a Jagged (Parquet's list<list<float>>).
      py::object rows = j.content;
      if (py::isinstance<Jagged>(rows)) {
        const Jagged& inner = rows.cast<const Jagged&>();
        const int64_t first = o.at(0), last = o.at(o.size() - 1);
        rows = py::cast(Jagged{py::object(inner.offsets[py::slice(first, last + 1, 1)]).cast<py::array>(),
                               inner.content});
      } else {
        rows = rows[py::slice(o.at(0), o.at(o.size() - 1), 1)];
      }
      particle_rows = rows_of(rows, static_cast<size_t>(config.particle_features), "particles");
      if (events && *events != offsets.size() - 1)
        throw UsageError(fmt::format("hlf has {} events but particles {}", *events, offsets.size() - 1));
      events = offsets.size() - 1;
      for (size_t e = 0; e + 1 < offsets.size(); ++e)
        if (offsets[e + 1] == offsets[e])
          throw UsageError(fmt::format("event {} has no particle rows (the lepton is always one)", e));
    }
    const size_t n = events.value_or(0);
    const size_t classes = static_cast<size_t>(config.classes);
    py::array_t<float> probabilities({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(classes)});
    const float* hlf_data = hlf_rows ? hlf_rows->data() : nullptr;
    const float* particle_data = particle_rows ? particle_rows->data() : nullptr;
    float* out = probabilities.mutable_data();
    LongCall call;
    std::lock_guard lock(mutex_);  // a classifier computes one batch at a time
    model::set_threads(threads);
    model::Batch batch;
    const auto hlf_width = static_cast<size_t>(config.hlf_features);
    const auto particle_width = static_cast<size_t>(config.particle_features);
    for (size_t first = 0; first < n; first += batch_size) {
      const size_t last = std::min(n, first + batch_size);
      batch.hlf.clear();
      batch.particles.clear();
      batch.lengths.clear();
      if (hlf_data) batch.hlf.assign(hlf_data + first * hlf_width, hlf_data + last * hlf_width);
      if (particle_data) {
        batch.particles.assign(particle_data + static_cast<size_t>(offsets[first]) * particle_width,
                               particle_data + static_cast<size_t>(offsets[last]) * particle_width);
        for (size_t e = first; e < last; ++e) batch.lengths.push_back(offsets[e + 1] - offsets[e]);
      }
      const std::vector<float> logits = classifier_.logits(batch);
      train::probabilities_from_logits(logits, classes,
                                       std::span(out + first * classes, (last - first) * classes));
    }
    return probabilities;
  }

 private:
  train::ModelDirectory directory_;
  model::Classifier classifier_;
  std::mutex mutex_;
};

}  // namespace

void register_models(py::module_& m) {
  m.def("train", &train, "data"_a, "out"_a, "model"_a = "inclusive", "epochs"_a = 10, "batch_size"_a = 128,
        "validation_fraction"_a = 0.1, "patience"_a = 3, "lr_step"_a = 0, "lr_gamma"_a = 0.5, "seed"_a = 1,
        "shuffle_buffer"_a = 8192, "cache"_a = false, "max_events"_a = 0, "threads"_a = 1, "resume"_a = false,
        "hlf_layers"_a = py::none(), "recurrent_units"_a = 50, "head_units"_a = 25, "dropout"_a = 0.2,
        "learning_rate"_a = 1e-3, "clip_norm"_a = 0.0, "progress"_a = true,
        R"(Trains a classifier (model: hlf, particles, inclusive, inclusive-lstm) on a prepared dataset
into the model directory out, as `trigml train` (built in out.partial, renamed when complete).
Returns the history (one dict per epoch), the kept epoch and the event counts.)");
  m.def("evaluate", &evaluate, "model"_a, "data"_a, "out"_a, "batch_size"_a = 1024, "threads"_a = 1,
        "progress"_a = true,
        "Judges a model on a prepared dataset's test split into the report directory out (metrics.json, "
        "scores.parquet, plots, report.html), as `trigml evaluate`. Returns the metrics: AUC per class, "
        "accuracy, efficiencies.");

  py::class_<Model>(m, "Model", "A trained model directory (trigml train), loaded for prediction.")
      .def_property_readonly(
          "path", [](const Model& model) { return model.directory().path; }, "The model directory.")
      .def_property_readonly(
          "architecture",
          [](const Model& model) { return model::to_string(model.directory().config.architecture); },
          "hlf, particles, inclusive or inclusive-lstm.")
      .def_property_readonly(
          "info", [](const Model& model) { return to_python(model.directory().info); }, "model.json.")
      .def_property_readonly(
          "preprocessing", [](const Model& model) { return to_python(model.directory().preprocessing); },
          "preprocessing.json: the features and the scalers fitted on the training split.")
      .def("predict", &Model::predict, "hlf"_a = py::none(), "particles"_a = py::none(),
           "batch_size"_a = 1024, "threads"_a = 1,
           R"(Class probabilities (float32 array [N, 3]: qcd, ttbar, wjets) of prepared events.

hlf: [N, 14] array (or a Jagged of rows of 14, as read_parquet reads HLF_input); particles: a
Jagged of each event's particle rows (19 features each; content a [rows, 19] array or a Jagged
of rows, as read_parquet reads GRU_input). The values are those of a prepared dataset, already
scaled. Models that do not use a part ignore it.)")
      .def(
          "predict_events",
          [](const Model& model, py::object source, const std::optional<std::string>& accept,
             const std::string& schema, unsigned threads) {
            score::ScoreOptions o;
            o.model = model.directory().path;
            if (py::isinstance<py::str>(source) ||
                py::isinstance(source, py::module_::import("os").attr("PathLike")))
              o.inputs.push_back(py::str(py::module_::import("os").attr("fspath")(source)));
            else if (py::hasattr(source, "file_path"))
              o.inputs.push_back(py::str(source.attr("file_path")));
            else
              for (py::handle item : source) o.inputs.push_back(py::str(item));
            o.accept = accept.value_or("");
            o.schema = schema;
            o.threads = threads;
            o.progress = false;
            const py::object tempfile = py::module_::import("tempfile");
            py::object scratch = tempfile.attr("TemporaryDirectory")();
            o.out = fs::path(std::string(py::str(scratch.attr("name")))) / "decisions.parquet";
            {
              LongCall call;
              score::run_score(o);
            }
            py::object decisions = py::module_::import("trigml").attr("read_parquet")(o.out.string());
            scratch.attr("cleanup")();
            return decisions;
          },
          "events"_a, "accept"_a = py::none(), "schema"_a = "delphes", "threads"_a = 0,
          R"(Decides raw events, as `trigml score`: selection, features, the model's scaling, the model.

events: a path (file, glob, directory, URL), a list of them, or a trigml.open(...) file. Returns
read_parquet's dict of the decisions: source_file, entry, selected, p_qcd, p_ttbar, p_wjets
(masked where not selected) and accept (the accept rule, default "ttbar+wjets>0.5").)")
      .def("__repr__", [](const Model& model) {
        return fmt::format("<trigml.Model {} '{}'>", model::to_string(model.directory().config.architecture),
                           model.directory().path.string());
      });
  m.def(
      "load_model", [](const fs::path& path) { return std::make_unique<Model>(path); }, "path"_a,
      "Loads a model directory (trigml train's output) for predict() and predict_events().");
}

}  // namespace trigml::python

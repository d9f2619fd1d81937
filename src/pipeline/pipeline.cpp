#include "pipeline/pipeline.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/parallel.hpp"
#include "common/terminal.hpp"
#include "dist/dist.hpp"
#include "gen/delphes_output.hpp"
#include "gen/generator.hpp"
#include "ingest/ingest.hpp"
#include "model/model.hpp"
#include "prepare/prepare.hpp"
#include "train/evaluate.hpp"
#include "train/model_dir.hpp"
#include "train/trainer.hpp"

namespace trigml::pipeline {
namespace fs = std::filesystem;

namespace {

template <typename T>
T positive(const toml::node_view<const toml::node>& node, T fallback, const std::string& key,
           const std::string& path) {
  if (!node) return fallback;
  auto value = node.value<T>();
  if (!value || !(*value > 0)) throw UsageError(fmt::format("'{}' must be a positive number", key), {path});
  return *value;
}

}  // namespace

PipelineConfig load_pipeline_config(const fs::path& file) {
  const std::string path = file.string();
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw UsageError(fmt::format("invalid TOML at line {}: {}", e.source().begin.line, e.description()),
                     {path});
  }
  static const std::vector<std::string> known{"out", "threads", "generate", "ingest", "prepare", "train"};
  for (const auto& [key, value] : table)
    if (std::find(known.begin(), known.end(), std::string(key.str())) == known.end())
      throw UsageError(
          fmt::format("unknown key '{}' (known: out, threads, [generate], [ingest], [prepare], [train])",
                      key.str()),
          {path});
  PipelineConfig c;
  const toml::table& t = table;
  if (auto out = t["out"].value<std::string>()) c.out = *out;
  if (t["threads"]) {
    auto threads = t["threads"].value<int64_t>();
    if (!threads || *threads < 0) throw UsageError("'threads' must be 0 (all cores) or more", {path});
    c.threads = static_cast<int>(*threads);
  }
  c.events_per_class =
      positive<uint64_t>(t["generate"]["events"], c.events_per_class, "generate.events", path);
  c.generator_seed = t["generate"]["seed"].value_or(c.generator_seed);
  if (t["generate"]["pileup"]) {
    auto pileup = t["generate"]["pileup"].value<double>();
    if (!pileup || *pileup < 0) throw UsageError("'generate.pileup' must be a number ≥ 0", {path});
    c.pileup = *pileup;
  }
  if (const auto* inputs = t["ingest"]["inputs"].as_table()) {
    for (const auto& [name, value] : *inputs) {
      ingest::class_label(std::string(name.str()));  // validates the class name
      auto& list = c.inputs[std::string(name.str())];
      if (const auto* array = value.as_array()) {
        for (const auto& item : *array)
          if (auto text = item.value<std::string>()) list.push_back(*text);
      } else if (auto text = value.value<std::string>()) {
        list.push_back(*text);
      }
      if (list.empty()) throw UsageError(fmt::format("ingest.inputs.{} lists no files", name.str()), {path});
    }
    if (c.inputs.size() != ingest::class_names().size())
      throw UsageError("ingest.inputs must name files for every class (qcd, ttbar, wjets)", {path});
  }
  c.schema = t["ingest"]["schema"].value_or(c.schema);
  c.prepare_seed = t["prepare"]["seed"].value_or(c.prepare_seed);
  c.test_fraction =
      positive<double>(t["prepare"]["test_fraction"], c.test_fraction, "prepare.test_fraction", path);
  if (const auto* models = t["train"]["models"].as_array()) {
    c.models.clear();
    for (const auto& item : *models) {
      auto name = item.value<std::string>();
      if (!name) throw UsageError("train.models must be a list of model names", {path});
      try {
        model::parse_architecture(*name);
      } catch (const std::invalid_argument& e) {
        throw UsageError(e.what(), {path});
      }
      c.models.push_back({*name, 5});
    }
    if (c.models.empty()) throw UsageError("train.models is empty", {path});
  }
  const int default_epochs =
      static_cast<int>(positive<int64_t>(t["train"]["epochs"], 0, "train.epochs", path));
  for (auto& m : c.models) {
    if (default_epochs > 0) m.epochs = default_epochs;
    m.epochs = static_cast<int>(positive<int64_t>(t["train"][m.architecture]["epochs"], m.epochs,
                                                  "train." + m.architecture + ".epochs", path));
  }
  c.batch_size = positive<uint64_t>(t["train"]["batch_size"], c.batch_size, "train.batch_size", path);
  c.learning_rate =
      positive<double>(t["train"]["learning_rate"], c.learning_rate, "train.learning_rate", path);
  c.validation_fraction = t["train"]["validation_fraction"].value_or(c.validation_fraction);
  c.patience = static_cast<int>(t["train"]["patience"].value_or(int64_t{c.patience}));
  c.train_seed = t["train"]["seed"].value_or(c.train_seed);
  c.cache = t["train"]["cache"].value_or(c.cache);
  return c;
}

namespace {

using Clock = std::chrono::steady_clock;

// OUT/stages/<name>.json: what a completed stage was made from.
class StageRecords {
 public:
  explicit StageRecords(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  bool current(const std::string& name, const nlohmann::json& record) const {
    const fs::path file = dir_ / (name + ".json");
    if (!fs::exists(file)) return false;
    try {
      return nlohmann::json::parse(train::read_text_file(file)) == record;
    } catch (const nlohmann::json::exception&) {
      return false;
    }
  }
  void invalidate(const std::string& name) const { fs::remove(dir_ / (name + ".json")); }
  void complete(const std::string& name, const nlohmann::json& record) const {
    train::write_text_file(dir_ / (name + ".json"), record.dump(1) + "\n");
  }

 private:
  fs::path dir_;
};

nlohmann::json input_files_record(const std::map<std::string, std::vector<std::string>>& inputs) {
  nlohmann::json record = nlohmann::json::object();
  for (const auto& [name, patterns] : inputs) {
    auto& files = record[name] = nlohmann::json::array();
    for (const auto& pattern : patterns)
      for (const auto& file : ingest::expand_inputs(pattern))
        files.push_back({{"file", fs::absolute(file).lexically_normal().string()},
                         {"bytes", fs::file_size(file)},
                         {"modified", fs::last_write_time(file).time_since_epoch().count()}});
  }
  return record;
}

}  // namespace

PipelineResult run_pipeline(const PipelineConfig& c, bool progress) {
  const auto start = Clock::now();
  const int threads = c.threads > 0 ? c.threads : static_cast<int>(default_threads());
  const fs::path out = c.out;
  // Under mpirun rank 0 keeps the stage records and runs the stages that are not distributed
  // (generate, evaluate) while the others wait; every rank runs ingest, prepare and train.
  std::optional<StageRecords> records;
  dist::together("run: stage records", [&] {
    if (dist::is_root()) records.emplace(out / "stages");
  });
  const auto on_root = [](const std::string& what, const auto& step) {
    dist::together(what, [&] {
      if (dist::is_root()) step();
    });
  };
  PipelineResult result;
  // Runs a stage unless its record says its output is current; true when it ran.
  const auto run_stage = [&](const std::string& name, const nlohmann::json& record, const auto& work) {
    const std::string current = dist::together("run: " + name, [&] {
      return dist::is_root() && records->current(name, record) ? std::string("current") : std::string();
    });
    const bool now = dist::broadcast(current, "run: " + name).empty();
    if (now) {
      on_root("run: " + name, [&] { records->invalidate(name); });
      work();
      on_root("run: " + name, [&] { records->complete(name, record); });
    }
    (now ? result.stages_run : result.stages_skipped).push_back(name);
    return now;
  };

  // 1. Generate (unless the configuration names input files).
  nlohmann::json upstream;
  std::map<std::string, std::vector<std::string>> inputs = c.inputs;
  if (inputs.empty()) {
    const nlohmann::json record = {{"stage", "generate"},
                                   {"events_per_class", c.events_per_class},
                                   {"seed", c.generator_seed},
                                   {"pileup", c.pileup},
                                   {"trigml_version", TRIGML_VERSION}};
    const fs::path dir = out / "generated";
    for (const auto& name : ingest::class_names()) inputs[name] = {(dir / (name + ".root")).string()};
    run_stage("generate", record, [&] {
      on_root("run: generate", [&] {
        fs::create_directories(dir);
        for (const auto& name : ingest::class_names()) {
          remove_stale_temporaries(dir / (name + ".root"));  // a killed run's
          gen::GeneratorSettings settings;
          settings.process = gen::parse_process(name);
          settings.seed = c.generator_seed;
          settings.pileup = c.pileup;
          std::optional<Progress> bar;
          gen::write_delphes_file(dir / (name + ".root"), settings, static_cast<int64_t>(c.events_per_class),
                                  threads, {}, [&](uint64_t events) {
                                    if (!bar)
                                      bar.emplace("generate " + name, c.events_per_class, "events", progress);
                                    bar->advance(events);
                                  });
          if (bar) bar->finish();
        }
      });
    });
    upstream = record;
  } else {
    upstream = {{"stage", "inputs"}, {"files", input_files_record(inputs)}};
  }

  // 2. Ingest.
  const nlohmann::json ingest_record = {{"stage", "ingest"}, {"schema", c.schema}, {"upstream", upstream}};
  const fs::path ingested = out / "ingested";
  run_stage("ingest", ingest_record, [&] {
    on_root("run: ingest", [&] { fs::remove_all(ingested); });
    ingest::IngestOptions options;
    for (const auto& [name, patterns] : inputs)
      options.classes.push_back({name, ingest::class_label(name), patterns});
    std::sort(options.classes.begin(), options.classes.end(),
              [](const auto& a, const auto& b) { return a.label < b.label; });
    options.out = ingested;
    options.threads = static_cast<unsigned>(threads);
    options.schema = c.schema;
    options.progress = progress;
    ingest::run_ingest(options);
  });

  // 3. Prepare.
  const nlohmann::json prepare_record = {{"stage", "prepare"},
                                         {"seed", c.prepare_seed},
                                         {"test_fraction", c.test_fraction},
                                         {"upstream", ingest_record}};
  const fs::path prepared = out / "prepared";
  run_stage("prepare", prepare_record, [&] {
    on_root("run: prepare", [&] { fs::remove_all(prepared); });
    prepare::PrepareOptions options;
    options.input = ingested;
    options.out = prepared;
    options.seed = c.prepare_seed;
    options.test_fraction = c.test_fraction;
    options.threads = static_cast<unsigned>(threads);
    options.progress = progress;
    prepare::run_prepare(options);
  });

  // 4. Train and 5. evaluate each model.
  for (const auto& plan : c.models) {
    const std::string train_stage = "train-" + plan.architecture;
    const nlohmann::json train_record = {{"stage", train_stage},
                                         {"epochs", plan.epochs},
                                         {"batch_size", c.batch_size},
                                         {"learning_rate", c.learning_rate},
                                         {"validation_fraction", c.validation_fraction},
                                         {"patience", c.patience},
                                         {"seed", c.train_seed},
                                         {"threads", threads},
                                         {"upstream", prepare_record}};
    const fs::path model_dir = out / "models" / plan.architecture;
    const fs::path partial = model_dir.string() + ".partial";
    ModelResult model_result;
    model_result.architecture = plan.architecture;
    model_result.trained_now = run_stage(train_stage, train_record, [&] {
      // A run killed during training resumes from its checkpoint when nothing changed.
      const std::string resuming = dist::together("run: " + train_stage, [&] {
        if (!dist::is_root()) return std::string();
        fs::remove_all(model_dir);
        const bool resume = records->current(train_stage + ".started", train_record) &&
                            fs::exists(partial / "checkpoint" / "state.json");
        if (!resume) fs::remove_all(partial);
        records->complete(train_stage + ".started", train_record);
        return resume ? std::string("resume") : std::string();
      });
      const bool resume = !dist::broadcast(resuming, "run: " + train_stage).empty();
      train::TrainOptions options;
      options.data = prepared;
      options.out = model_dir;
      options.model.architecture = model::parse_architecture(plan.architecture);
      options.model.learning_rate = c.learning_rate;
      options.model.seed = c.train_seed;
      options.epochs = plan.epochs;
      options.batch_size = c.batch_size;
      options.validation_fraction = c.validation_fraction;
      options.patience = c.patience;
      options.threads = threads;
      options.resume = resume;
      options.cache = c.cache;  // not in the record: it changes where events come from, not which
      options.progress = progress;
      train::train_model(options);
    });
    on_root("run: " + train_stage, [&] { records->invalidate(train_stage + ".started"); });
    const std::string eval_stage = "evaluate-" + plan.architecture;
    const nlohmann::json eval_record = {{"stage", eval_stage}, {"upstream", train_record}};
    const fs::path report_dir = out / "eval" / plan.architecture;
    run_stage(eval_stage, eval_record, [&] {
      on_root("run: " + eval_stage, [&] {
        fs::remove_all(report_dir);  // with what a killed evaluation left
        train::EvaluateOptions options;
        options.model = model_dir;
        options.data = prepared;
        options.out = report_dir;
        options.threads = threads;
        options.progress = progress;
        train::evaluate_model(options);
      });
    });
    model_result.metrics = nlohmann::json::parse(train::read_text_file(report_dir / "metrics.json"));
    model_result.report = report_dir / "report.html";
    result.models.push_back(std::move(model_result));
  }

  nlohmann::json summary = {{"stages_run", result.stages_run}, {"stages_skipped", result.stages_skipped}};
  for (const auto& m : result.models)
    summary["models"][m.architecture] = {
        {"auc", m.metrics.at("auc")}, {"accuracy", m.metrics.at("accuracy")}, {"report", m.report.string()}};
  on_root("run: summary", [&] { train::write_text_file(out / "summary.json", summary.dump(2) + "\n"); });
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace trigml::pipeline

// The data stages from Python: generate, ingest and prepare with the CLI's options as keyword
// arguments, filling the same options structs the CLI fills.
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <map>

#include "bindings.hpp"
#include "common/error.hpp"
#include "common/terminal.hpp"
#include "gen/delphes_output.hpp"
#include "gen/generator.hpp"
#include "ingest/ingest.hpp"
#include "parquet/codec.hpp"
#include "prepare/prepare.hpp"

namespace trigml::python {

namespace {

namespace fs = std::filesystem;
using namespace pybind11::literals;

py::dict counts_dict(const ingest::SelectionCounts& c) {
  return py::dict("read"_a = c.read, "selected"_a = c.selected, "empty_particle_map"_a = c.empty_particle_map,
                  "no_lepton"_a = c.no_lepton, "no_isolated_lepton"_a = c.no_isolated_lepton);
}

void generate(const fs::path& out, const std::string& process, int64_t events, uint64_t seed, double pileup,
              int threads, bool progress) {
  gen::GeneratorSettings settings;
  settings.process = gen::parse_process(process);
  settings.seed = seed;
  settings.pileup = pileup;
  LongCall call;
  Progress bar(fmt::format("generate {}", process), static_cast<uint64_t>(std::max<int64_t>(events, 0)),
               "events", progress);
  gen::write_delphes_file(out, settings, events, threads, {}, [&](uint64_t n) { bar.advance(n); });
  bar.finish();
}

py::dict ingest(const std::optional<fs::path>& out,
                const std::map<std::string, std::vector<std::string>>& classes,
                const std::optional<std::string>& config, unsigned threads,
                const std::optional<std::string>& schema, const std::optional<std::string>& on_error,
                bool resume, const std::optional<std::string>& compression, bool progress) {
  ingest::IngestOptions options;
  if (config) options = ingest::load_ingest_config(*config);
  // Classes given here replace the configuration's classes of the same name.
  for (const auto& [given_name, inputs] : classes) {
    const std::string& name = given_name;  // clang before 16 cannot capture a structured binding
    std::erase_if(options.classes, [&](const ingest::ClassSpec& spec) { return spec.name == name; });
    options.classes.push_back({name, ingest::class_label(name), inputs});
  }
  std::sort(options.classes.begin(), options.classes.end(),
            [](const auto& a, const auto& b) { return a.label < b.label; });
  if (out) options.out = *out;
  if (options.out.empty()) throw UsageError("ingest needs out= (or a configuration that names it)");
  if (threads) options.threads = threads;
  if (schema) options.schema = *schema;
  if (on_error) options.on_error = ingest::parse_on_error(*on_error, "on_error");
  if (compression) options.codec = parquet::parse_codec(*compression);
  options.resume = resume;
  options.progress = progress;
  ingest::IngestSummary summary;
  {
    LongCall call;
    summary = ingest::run_ingest(options);
  }
  py::list per_class;
  for (const auto& c : summary.classes) {
    py::dict d = counts_dict(c.counts);
    d["name"] = c.name;
    d["label"] = c.label;
    d["files"] = c.files;
    d["skipped_files"] = c.skipped_files;
    d["resumed_files"] = c.resumed_files;
    d["seconds"] = c.seconds;
    per_class.append(d);
  }
  return py::dict("classes"_a = per_class, "skipped"_a = summary.skipped, "parts"_a = summary.parts,
                  "seconds"_a = summary.seconds);
}

py::dict prepare(const fs::path& input, const fs::path& out, uint64_t seed, double test_fraction,
                 const std::vector<double>& balance_ratio, uint64_t memory_limit, unsigned threads,
                 bool resume, std::optional<uint64_t> rows_per_part,
                 const std::optional<std::string>& compression, bool progress) {
  prepare::PrepareOptions options;
  options.input = input;
  options.out = out;
  options.seed = seed;
  options.test_fraction = test_fraction;
  options.balance_ratio = balance_ratio;
  options.memory_limit = memory_limit;
  options.threads = threads;
  options.resume = resume;
  if (rows_per_part) options.rows_per_part = *rows_per_part;
  if (compression) options.codec = parquet::parse_codec(*compression);
  options.progress = progress;
  prepare::PrepareSummary s;
  {
    LongCall call;
    s = prepare::run_prepare(options);
  }
  return py::dict("classes"_a = s.classes, "available"_a = s.available, "train"_a = s.train,
                  "test"_a = s.test, "shuffle_buckets"_a = s.shuffle_buckets, "seconds"_a = s.seconds,
                  "preprocessing"_a = to_python(s.preprocessing));
}

}  // namespace

void register_pipeline(py::module_& m) {
  m.def("generate", &generate, "out"_a, "process"_a, "events"_a, "seed"_a, "pileup"_a = 20.0, "threads"_a = 1,
        "progress"_a = true,
        "Simulates events of one process (ttbar, wjets, qcd) into a Delphes-like ROOT file, as `trigml "
        "generate`. The file appears only when complete.");
  m.def("ingest", &ingest, "out"_a = py::none(),
        "classes"_a = std::map<std::string, std::vector<std::string>>{}, "config"_a = py::none(),
        "threads"_a = 0, "schema"_a = py::none(), "on_error"_a = py::none(), "resume"_a = false,
        "compression"_a = py::none(), "progress"_a = true,
        R"(Selects events and computes their features: ROOT files -> Parquet dataset, as `trigml ingest`.

classes: {"qcd": [paths...], "ttbar": [...], "wjets": [...]} (files, globs, directories, URLs);
config: a TOML file as --config (classes given here replace its classes of the same name);
schema: delphes, nanoaod or a TOML mapping; on_error: "fail" or "skip"; compression: snappy,
zstd, lz4_raw or none. Returns the summary per class (events read and selected, files, seconds).)");
  m.def("prepare", &prepare, "input"_a, "out"_a, "seed"_a = 42, "test_fraction"_a = 0.2,
        "balance_ratio"_a = std::vector<double>{}, "memory_limit"_a = uint64_t{2} << 30, "threads"_a = 0,
        "resume"_a = false, "rows_per_part"_a = py::none(), "compression"_a = py::none(), "progress"_a = true,
        R"(Balances, splits, scales, sorts and shuffles an ingested dataset into out/train, out/test and
out/preprocessing.json, as `trigml prepare`. memory_limit in bytes. Returns the events per class
available and in each split, and the preprocessing record.)");
}

}  // namespace trigml::python

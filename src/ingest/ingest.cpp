#include "ingest/ingest.hpp"

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/parallel.hpp"
#include "common/terminal.hpp"
#include "dist/dist.hpp"
#include "io/url.hpp"
#include "parquet/dataset.hpp"

namespace trigml::ingest {

namespace fs = std::filesystem;

namespace {

struct Input {
  size_t index = 0;
  std::string path;
  const ClassSpec* spec = nullptr;
};

std::vector<parquet::ColumnSpec> output_schema() {
  using parquet::ColumnType;
  std::vector<parquet::ColumnSpec> schema = {{"label", ColumnType::Int32}, {"class", ColumnType::String}};
  for (auto name : physics::kHighLevelNames) schema.push_back({std::string(name), ColumnType::Float});
  schema.push_back({"particles", ColumnType::FloatListList});
  schema.push_back({"n_tracks", ColumnType::Int16});
  schema.push_back({"n_photons", ColumnType::Int16});
  schema.push_back({"n_neutral", ColumnType::Int16});
  schema.push_back({"source_file", ColumnType::String});
  schema.push_back({"entry", ColumnType::Int64});
  return schema;
}

nlohmann::json feature_metadata(const physics::SelectionConfig& s) {
  nlohmann::json j;
  nlohmann::json hlf = nlohmann::json::array(), particles = nlohmann::json::array();
  for (size_t k = 0; k < physics::kHighLevelFeatures; ++k)
    hlf.push_back({{"name", physics::kHighLevelNames[k]}, {"unit", physics::kHighLevelUnits[k]}});
  for (size_t k = 0; k < physics::kParticleFeatures; ++k)
    particles.push_back({{"name", physics::kParticleNames[k]}, {"unit", physics::kParticleUnits[k]}});
  j["high_level_features"] = hlf;
  j["particle_features"] = particles;
  j["selection"] = {{"lepton_min_pt_gev", s.lepton_min_pt},
                    {"isolation_cone", s.isolation_cone},
                    {"max_relative_isolation", s.max_relative_isolation},
                    {"track_min_pt_gev", s.track_min_pt},
                    {"photon_min_et_gev", s.photon_min_et},
                    {"neutral_min_et_gev", s.neutral_min_et},
                    {"jet_min_pt_gev", s.jet_min_pt},
                    {"jet_max_abs_eta", s.jet_max_abs_eta},
                    {"max_tracks", s.max_tracks},
                    {"max_photons", s.max_photons},
                    {"max_neutral_hadrons", s.max_neutral}};
  j["trigml_version"] = TRIGML_VERSION;
  return j;
}

SelectionCounts counts_from_json(const nlohmann::json& j) {
  SelectionCounts c;
  c.read = j.at("read");
  c.selected = j.at("selected");
  c.empty_particle_map = j.at("rejected_empty_particle_map");
  c.no_lepton = j.at("rejected_no_lepton");
  c.no_isolated_lepton = j.at("rejected_no_isolated_lepton");
  return c;
}

nlohmann::json counts_json(const SelectionCounts& c) {
  return {{"read", c.read},
          {"selected", c.selected},
          {"rejected_empty_particle_map", c.empty_particle_map},
          {"rejected_no_lepton", c.no_lepton},
          {"rejected_no_isolated_lepton", c.no_isolated_lepton}};
}

// What became of one input, on the rank that read it; sent to every rank as JSON.
struct InputOutcome {
  enum State { Written, Resumed, Skipped } state = Written;
  uint64_t rows = 0;
  SelectionCounts counts;
  double seconds = 0;
  std::string error;  // when skipped
};

nlohmann::json to_json(size_t input, const InputOutcome& o) {
  return {{"input", input},       {"state", static_cast<int>(o.state)},
          {"rows", o.rows},       {"counts", counts_json(o.counts)},
          {"seconds", o.seconds}, {"error", o.error}};
}

InputOutcome outcome_from_json(const nlohmann::json& j) {
  InputOutcome o;
  o.state = static_cast<InputOutcome::State>(j.at("state").get<int>());
  o.rows = j.at("rows");
  o.counts = counts_from_json(j.at("counts"));
  o.seconds = j.at("seconds");
  o.error = j.at("error");
  return o;
}

// Reads one input file and writes its selected events as one part.
SelectionCounts ingest_file(const Input& input, const fs::path& part_path,
                            const ingest::SchemaMapping& schema, const IngestOptions& options,
                            Progress& progress) {
  EventReader reader(input.path, schema);
  auto columns = output_schema();
  parquet::WriterOptions writer_options;
  writer_options.codec = options.codec;
  parquet::Writer writer(part_path, columns, writer_options);
  FeatureBatch batch;
  SelectionCounts counts;
  std::string class_name = input.spec->name;
  // Where the events came from, as printed: a URL without its credentials.
  std::string source = io::printable_location(input.path);
  std::vector<int32_t> labels;
  for (uint64_t first = 0; first < reader.entries();) {
    uint64_t last = std::min(reader.entries(), first + options.chunk_events);
    batch.clear();
    uint64_t before = counts.read;
    reader.read(first, last, batch, counts);
    progress.advance(counts.read - before);
    size_t n = batch.events();
    labels.assign(n, input.spec->label);
    std::vector<parquet::ColumnValues> values(columns.size());
    values[0].int32s = labels;
    values[1].repeated_string = &class_name;
    for (size_t k = 0; k < physics::kHighLevelFeatures; ++k) values[2 + k].floats = batch.high_level[k];
    size_t c = 2 + physics::kHighLevelFeatures;
    values[c].floats = batch.particle_values;
    values[c].offsets = batch.particle_rows;
    values[c].inner_width = physics::kParticleFeatures;
    values[c + 1].int16s = batch.n_tracks;
    values[c + 2].int16s = batch.n_photons;
    values[c + 3].int16s = batch.n_neutral;
    values[c + 4].repeated_string = &source;
    values[c + 5].int64s = batch.entry;
    writer.write(n, values);
    first = last;
  }
  nlohmann::json meta = feature_metadata(physics::SelectionConfig{});
  meta["class"] = class_name;
  meta["label"] = input.spec->label;
  meta["schema_mapping"] = reader.schema().name;
  meta["input"] = {{"file", source}, {"bytes", reader.file().source().size()}, {"entries", reader.entries()}};
  meta["counts"] = counts_json(counts);
  writer.set_metadata("trigml", meta.dump());
  writer.close();
  return counts;
}

}  // namespace

IngestSummary run_ingest(const IngestOptions& options) {
  auto start = std::chrono::steady_clock::now();
  // Every rank expands the same inputs in the same order: an input's index names its part whatever
  // the number of ranks.
  std::vector<Input> inputs;
  const ingest::SchemaMapping schema = dist::together("ingest: inputs", [&] {
    if (options.classes.empty())
      throw UsageError("no input classes: give --class qcd=PATH, ttbar=PATH, wjets=PATH");
    if (options.out.empty()) throw UsageError("no output directory (--out)");
    if (options.chunk_events == 0) throw UsageError("chunk size must be positive");
    ingest::SchemaMapping mapping = ingest::schema_by_name(options.schema);
    for (const ClassSpec& spec : options.classes)
      for (const std::string& pattern : spec.inputs)
        for (std::string& path : expand_inputs(pattern))
          inputs.push_back({inputs.size(), std::move(path), &spec});
    if (inputs.empty()) throw UsageError("no input files");
    return mapping;
  });

  dist::together("ingest: output directory", [&] {
    if (!dist::is_root()) return;
    fs::create_directories(options.out);
    // Temporary files of an interrupted run are never complete parts (removed before any rank
    // starts writing its own).
    for (const auto& entry : fs::directory_iterator(options.out))
      if (entry.path().filename().string().find(".tmp-") != std::string::npos) fs::remove(entry.path());
    if (!options.resume && fs::exists(options.out / parquet::kManifestName))
      throw UsageError("output directory already holds a dataset: remove it, or use --resume to finish it",
                       {options.out.string()});
  });

  // Entries of every input (tree metadata only: cheap), counted by the ranks in turn: they balance
  // the inputs across the ranks and size the progress bar. An unreadable input counts 0 when it is
  // to be skipped (its error is reported when it is ingested).
  std::vector<uint64_t> entries = dist::together("ingest: entry counts", [&] {
    std::vector<uint64_t> mine;
    const dist::Range share = dist::even_share(inputs.size(), dist::rank(), dist::size());
    for (size_t i = share.first; i < share.last; ++i) {
      try {
        auto file = rootio::RootFile::open(inputs[i].path);
        mine.push_back(rootio::Tree::open(file, schema.tree)->entries());
      } catch (const Error&) {
        if (options.on_error == OnError::Fail) throw;
        mine.push_back(0);
      }
    }
    return mine;
  });
  entries = dist::all_gather_values(std::span<const uint64_t>(entries), "ingest: entry counts");
  const std::vector<int> owner = dist::assign_by_weight(entries, dist::size());
  std::vector<size_t> mine;
  uint64_t my_entries = 0;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (owner[i] == dist::rank()) mine.push_back(i), my_entries += entries[i];

  Progress progress("ingest", my_entries, "events", options.progress && dist::is_root());
  std::vector<InputOutcome> outcomes(inputs.size());
  std::atomic<bool> failed{false};
  dist::together("ingest: reading the inputs", [&] {
    parallel_for(mine.size(), options.threads, [&](size_t k) {
      if (failed) return;
      const size_t i = mine[k];
      const Input& input = inputs[i];
      InputOutcome& outcome = outcomes[i];
      fs::path part = options.out / parquet::part_name(input.index);
      auto t0 = std::chrono::steady_clock::now();
      if (options.resume && fs::exists(part)) {
        // A part that exists is complete (parts are renamed into place only when finished).
        auto reader = parquet::FileReader::open(part.string());
        if (const std::string* meta = reader->metadata_value("trigml"))
          outcome.counts = counts_from_json(nlohmann::json::parse(*meta)["counts"]);
        progress.advance(outcome.counts.read);
        outcome.rows = reader->rows();
        outcome.state = InputOutcome::Resumed;
        return;
      }
      try {
        outcome.counts = ingest_file(input, part, schema, options, progress);
        outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        outcome.rows = outcome.counts.selected;
        outcome.state = InputOutcome::Written;
      } catch (const Error& e) {
        if (options.on_error == OnError::Fail) {
          failed = true;
          throw;
        }
        outcome.state = InputOutcome::Skipped;
        outcome.error = e.what();
      }
    });
  });
  progress.finish();

  // Every rank's outcomes, so that the summary (and rank 0's manifest) covers every input.
  nlohmann::json my_outcomes = nlohmann::json::array();
  for (size_t i : mine) my_outcomes.push_back(to_json(i, outcomes[i]));
  for (const std::string& text : dist::all_gather(my_outcomes.dump(), "ingest: outcomes"))
    for (const auto& j : nlohmann::json::parse(text))
      outcomes[j.at("input").get<size_t>()] = outcome_from_json(j);

  IngestSummary summary;
  for (const ClassSpec& spec : options.classes)
    summary.classes.push_back({spec.name, spec.label, 0, 0, 0, {}, 0});
  auto class_of = [&](const Input& input) -> ClassSummary& {
    for (auto& c : summary.classes)
      if (c.label == input.spec->label) return c;
    throw InternalError("class summary missing");
  };
  parquet::DatasetManifest manifest;
  manifest.schema = output_schema();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputOutcome& outcome = outcomes[i];
    ClassSummary& c = class_of(inputs[i]);
    c.files++;
    c.seconds += outcome.seconds;
    if (outcome.state == InputOutcome::Skipped) {
      c.skipped_files++;
      summary.skipped.emplace_back(inputs[i].path, outcome.error);
      continue;
    }
    if (outcome.state == InputOutcome::Resumed) c.resumed_files++;
    c.counts.add(outcome.counts);
    manifest.parts.push_back({parquet::part_name(inputs[i].index), outcome.rows});
  }
  nlohmann::json classes = nlohmann::json::array();
  for (const auto& c : summary.classes)
    classes.push_back(
        {{"name", c.name}, {"label", c.label}, {"files", c.files}, {"counts", counts_json(c.counts)}});
  manifest.metadata = feature_metadata(physics::SelectionConfig{});
  manifest.metadata["producer"] = "trigml ingest";
  manifest.metadata["schema_mapping"] = schema.name;
  manifest.metadata["classes"] = classes;
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [file, error] : summary.skipped) skipped.push_back({{"file", file}, {"error", error}});
  manifest.metadata["skipped_inputs"] = skipped;
  dist::together("ingest: manifest", [&] {
    if (dist::is_root()) write_manifest(options.out, manifest);
  });
  summary.parts = manifest.parts.size();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace trigml::ingest

#include "ingest/ingest.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/parallel.hpp"
#include "common/terminal.hpp"
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

nlohmann::json counts_json(const SelectionCounts& c) {
  return {{"read", c.read},
          {"selected", c.selected},
          {"rejected_empty_particle_map", c.empty_particle_map},
          {"rejected_no_lepton", c.no_lepton},
          {"rejected_no_isolated_lepton", c.no_isolated_lepton}};
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
    reader.read_ahead(last, std::min(reader.entries(), last + options.chunk_events));
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
  if (options.classes.empty())
    throw UsageError("no input classes: give --class qcd=PATH, ttbar=PATH, wjets=PATH");
  if (options.out.empty()) throw UsageError("no output directory (--out)");
  if (options.chunk_events == 0) throw UsageError("chunk size must be positive");
  ingest::SchemaMapping schema = ingest::schema_by_name(options.schema);
  std::vector<Input> inputs;
  for (const ClassSpec& spec : options.classes)
    for (const std::string& pattern : spec.inputs)
      for (std::string& path : expand_inputs(pattern))
        inputs.push_back({inputs.size(), std::move(path), &spec});
  if (inputs.empty()) throw UsageError("no input files");

  fs::create_directories(options.out);
  // Temporary files of an interrupted run are never complete parts.
  for (const auto& entry : fs::directory_iterator(options.out))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) fs::remove(entry.path());
  if (!options.resume && fs::exists(options.out / parquet::kManifestName))
    throw UsageError("output directory already holds a dataset: remove it, or use --resume to finish it",
                     {options.out.string()});

  IngestSummary summary;
  for (const ClassSpec& spec : options.classes)
    summary.classes.push_back({spec.name, spec.label, 0, 0, 0, {}, 0});
  auto class_of = [&](const Input& input) -> ClassSummary& {
    for (auto& c : summary.classes)
      if (c.label == input.spec->label) return c;
    throw InternalError("class summary missing");
  };
  // Total entries for the progress bar (cheap: tree or RNTuple metadata only).
  uint64_t total_entries = 0;
  for (const Input& input : inputs) {
    try {
      total_entries += EventReader::entries_in(input.path, schema.tree);
    } catch (const Error&) {
      if (options.on_error == OnError::Fail) throw;
    }
  }
  Progress progress("ingest", total_entries, "events", options.progress);
  std::mutex mutex;
  std::vector<uint64_t> part_rows(inputs.size(), 0);
  std::vector<bool> part_written(inputs.size(), false);
  std::atomic<bool> failed{false};

  parallel_for(inputs.size(), options.threads, [&](size_t i) {
    if (failed) return;
    const Input& input = inputs[i];
    fs::path part = options.out / parquet::part_name(input.index);
    auto t0 = std::chrono::steady_clock::now();
    if (options.resume && fs::exists(part)) {
      // A part that exists is complete (parts are renamed into place only when finished).
      auto reader = parquet::FileReader::open(part.string());
      SelectionCounts counts;
      if (const std::string* meta = reader->metadata_value("trigml")) {
        auto j = nlohmann::json::parse(*meta);
        counts.read = j["counts"]["read"];
        counts.selected = j["counts"]["selected"];
        counts.empty_particle_map = j["counts"]["rejected_empty_particle_map"];
        counts.no_lepton = j["counts"]["rejected_no_lepton"];
        counts.no_isolated_lepton = j["counts"]["rejected_no_isolated_lepton"];
      }
      progress.advance(counts.read);
      std::lock_guard lock(mutex);
      ClassSummary& c = class_of(input);
      c.files++, c.resumed_files++;
      c.counts.add(counts);
      part_rows[i] = reader->rows();
      part_written[i] = true;
      return;
    }
    try {
      SelectionCounts counts = ingest_file(input, part, schema, options, progress);
      double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::lock_guard lock(mutex);
      ClassSummary& c = class_of(input);
      c.files++;
      c.counts.add(counts);
      c.seconds += seconds;
      part_rows[i] = counts.selected;
      part_written[i] = true;
    } catch (const Error& e) {
      if (options.on_error == OnError::Fail) {
        failed = true;
        throw;
      }
      std::lock_guard lock(mutex);
      ClassSummary& c = class_of(input);
      c.files++, c.skipped_files++;
      summary.skipped.emplace_back(input.path, e.what());
    }
  });
  progress.finish();

  parquet::DatasetManifest manifest;
  manifest.schema = output_schema();
  for (size_t i = 0; i < inputs.size(); ++i)
    if (part_written[i]) manifest.parts.push_back({parquet::part_name(inputs[i].index), part_rows[i]});
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
  write_manifest(options.out, manifest);
  summary.parts = manifest.parts.size();
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace trigml::ingest

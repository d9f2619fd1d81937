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

// One unit of work, and the part it becomes: a whole input file, or a cluster-aligned range of the
// entries of a file larger than IngestOptions::part_entries. The units depend on the inputs and that
// size only, never on the number of ranks, so neither do the parts.
struct Unit {
  size_t input = 0;
  bool whole = true;             // every entry of the file (also when counting them failed)
  uint64_t first = 0, last = 0;  // entries, when not whole
  uint64_t entries = 0;          // its weight in the split: the entries it reads
  std::string part;
};

// The units of one input with `entries` entries and these cluster boundaries: ranges that end at
// the first boundary at least part_entries past their start; the whole input when it has no
// boundaries to cut at (an RNTuple).
std::vector<Unit> units_of(size_t input, uint64_t entries, const std::vector<uint64_t>& boundaries,
                           uint64_t part_entries) {
  if (entries <= part_entries || boundaries.empty())
    return {{input, true, 0, entries, entries, parquet::part_name(input)}};
  std::vector<Unit> units;
  uint64_t start = 0;
  for (uint64_t boundary : boundaries) {
    if (boundary <= start || (boundary - start < part_entries && boundary != entries)) continue;
    units.push_back({input, false, start, boundary, boundary - start,
                     fmt::format("part-{:05d}-{:04d}.parquet", input, units.size())});
    start = boundary;
  }
  return units;
}

// What became of one unit, on the rank that read it; sent to every rank as JSON.
struct InputOutcome {
  enum State { Written, Resumed, Skipped } state = Written;
  uint64_t rows = 0;
  SelectionCounts counts;
  double seconds = 0;
  std::string error;  // when skipped
};

nlohmann::json to_json(size_t unit, const InputOutcome& o) {
  return {{"unit", unit},         {"state", static_cast<int>(o.state)},
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

// Reads one unit (an input file or a range of its entries) and writes its selected events as one
// part.
SelectionCounts ingest_unit(const Input& input, const Unit& unit, const fs::path& part_path,
                            const ingest::SchemaMapping& schema, const IngestOptions& options,
                            Progress& progress) {
  EventReader reader(input.path, schema);
  const uint64_t begin = unit.whole ? 0 : unit.first, end = unit.whole ? reader.entries() : unit.last;
  if (end > reader.entries())
    throw FormatError(fmt::format("the tree has {} entries, fewer than when the work was planned ({})",
                                  reader.entries(), end),
                      {io::printable_location(input.path)});
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
  for (uint64_t first = begin; first < end;) {
    uint64_t last = std::min(end, first + options.chunk_events);
    batch.clear();
    uint64_t before = counts.read;
    reader.read_ahead(last, std::min(end, last + options.chunk_events));
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
  if (!unit.whole) meta["input"]["range"] = {unit.first, unit.last};
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
    if (options.part_entries == 0) throw UsageError("entries per part must be positive");
    ingest::SchemaMapping mapping = ingest::schema_by_name(options.schema);
    for (const ClassSpec& spec : options.classes)
      for (const std::string& pattern : spec.inputs)
        for (std::string& path : expand_inputs(pattern)) inputs.push_back({std::move(path), &spec});
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

  // --on-error skip passes over an input only for what is wrong with that input (corrupt,
  // truncated, unreadable): a failed write (a full disk), a usage or an internal error stops the run.
  auto skips = [&](const Error& e, const Input& input) {
    if (options.on_error != OnError::Skip) return false;
    // A stop from outside (InterruptedError) stops the whole run, whatever file it came during.
    if (dynamic_cast<const InternalError*>(&e) || dynamic_cast<const UsageError*>(&e) ||
        dynamic_cast<const InterruptedError*>(&e))
      return false;
    const std::string& file = e.context().file;
    return file == input.path || file == io::printable_location(input.path);
  };
  // The units of work, from every input's entries and cluster boundaries (tree metadata only:
  // cheap), found by the ranks in turn; their entries balance them across the ranks and size the
  // progress bar. An unreadable input is one unit of weight 0 when it is to be skipped (its error is
  // reported when it is ingested).
  const std::string my_plan = dist::together("ingest: planning", [&] {
    nlohmann::json plan = nlohmann::json::array();
    const dist::Range share = dist::even_share(inputs.size(), dist::rank(), dist::size());
    for (size_t i = share.first; i < share.last; ++i) {
      try {
        const uint64_t entries = EventReader::entries_in(inputs[i].path, schema.tree);
        plan.push_back({{"entries", entries},
                        {"boundaries", entries > options.part_entries
                                           ? EventReader::cluster_boundaries_in(inputs[i].path, schema.tree)
                                           : std::vector<uint64_t>{}}});
      } catch (const Error& e) {
        if (!skips(e, inputs[i])) throw;
        plan.push_back({{"entries", 0}, {"boundaries", std::vector<uint64_t>{}}});
      }
    }
    return plan.dump();
  });
  std::vector<Unit> units;
  size_t planned = 0;  // inputs, in order
  for (const std::string& text : dist::all_gather(my_plan, "ingest: planning"))
    for (const auto& j : nlohmann::json::parse(text)) {
      for (Unit& unit : units_of(planned, j.at("entries").get<uint64_t>(),
                                 j.at("boundaries").get<std::vector<uint64_t>>(), options.part_entries))
        units.push_back(std::move(unit));
      ++planned;
    }
  std::vector<uint64_t> weights;
  for (const Unit& unit : units) weights.push_back(unit.entries);
  const std::vector<int> owner = dist::assign_by_weight(weights, dist::size());
  std::vector<size_t> mine;
  uint64_t my_entries = 0;
  for (size_t u = 0; u < units.size(); ++u)
    if (owner[u] == dist::rank()) mine.push_back(u), my_entries += units[u].entries;

  Progress progress("ingest", my_entries, "events", options.progress && dist::is_root());
  std::vector<InputOutcome> outcomes(units.size());
  std::atomic<bool> failed{false};
  dist::together("ingest: reading the inputs", [&] {
    parallel_for(mine.size(), options.threads, [&](size_t k) {
      if (failed) return;
      const Unit& unit = units[mine[k]];
      const Input& input = inputs[unit.input];
      InputOutcome& outcome = outcomes[mine[k]];
      fs::path part = options.out / unit.part;
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
        outcome.counts = ingest_unit(input, unit, part, schema, options, progress);
        outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        outcome.rows = outcome.counts.selected;
        outcome.state = InputOutcome::Written;
      } catch (const Error& e) {
        if (!skips(e, input)) {
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
  for (size_t u : mine) my_outcomes.push_back(to_json(u, outcomes[u]));
  for (const std::string& text : dist::all_gather(my_outcomes.dump(), "ingest: outcomes"))
    for (const auto& j : nlohmann::json::parse(text))
      outcomes[j.at("unit").get<size_t>()] = outcome_from_json(j);

  IngestSummary summary;
  for (const ClassSpec& spec : options.classes)
    summary.classes.push_back({spec.name, spec.label, 0, 0, 0, {}, 0});
  auto class_of = [&](const Input& input) -> ClassSummary& {
    for (auto& c : summary.classes)
      if (c.label == input.spec->label) return c;
    throw InternalError("class summary missing");
  };
  // Input by input, its units in entry order: an input is in the dataset whole or not at all.
  parquet::DatasetManifest manifest;
  manifest.schema = output_schema();
  for (size_t u = 0; u < units.size();) {
    const size_t first_unit = u;
    while (u < units.size() && units[u].input == units[first_unit].input) ++u;
    const Input& input = inputs[units[first_unit].input];
    ClassSummary& c = class_of(input);
    c.files++;
    const InputOutcome* skipped = nullptr;
    bool resumed = true;
    for (size_t k = first_unit; k < u; ++k) {
      c.seconds += outcomes[k].seconds;
      if (outcomes[k].state == InputOutcome::Skipped && !skipped) skipped = &outcomes[k];
      resumed = resumed && outcomes[k].state == InputOutcome::Resumed;
    }
    if (skipped) {
      c.skipped_files++;
      summary.skipped.emplace_back(input.path, skipped->error);
      continue;
    }
    if (resumed) c.resumed_files++;
    for (size_t k = first_unit; k < u; ++k) {
      c.counts.add(outcomes[k].counts);
      manifest.parts.push_back({units[k].part, outcomes[k].rows});
    }
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

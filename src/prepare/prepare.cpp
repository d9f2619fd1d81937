#include "prepare/prepare.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/parallel.hpp"
#include "common/terminal.hpp"
#include "parquet/dataset.hpp"
#include "prepare/steps.hpp"

namespace trigml::prepare {

namespace fs = std::filesystem;

namespace {

constexpr size_t kHlf = physics::kHighLevelFeatures;
constexpr size_t kWidth = physics::kParticleFeatures;
constexpr uint64_t kShuffleStream = 64;
constexpr size_t kWriteBatch = 1000;  // rows per write call: row groups then never depend on buckets

const std::vector<std::string> kClassNames = {"qcd", "ttbar", "wjets"};

std::vector<std::string> input_columns() {
  std::vector<std::string> columns = {"label"};
  for (auto n : physics::kHighLevelNames) columns.emplace_back(n);
  columns.insert(columns.end(), {"particles", "source_file", "entry"});
  return columns;
}

std::vector<parquet::ColumnSpec> output_schema() {
  using parquet::ColumnType;
  return {{"label", ColumnType::Int32},         {"encoded_label", ColumnType::FloatList},
          {"HLF_input", ColumnType::FloatList}, {"GRU_input", ColumnType::FloatListList},
          {"n_particles", ColumnType::Int16},   {"source_file", ColumnType::String},
          {"entry", ColumnType::Int64}};
}

// One prepared event in memory (and in the shuffle's bucket files).
struct Event {
  uint64_t key = 0;
  int32_t label = 0;
  int64_t entry = 0;
  std::array<float, kHlf> hlf{};
  std::vector<float> particles;
  std::string source;
};

void write_event(std::ostream& out, const Event& e) {
  uint32_t n = static_cast<uint32_t>(e.particles.size()), s = static_cast<uint32_t>(e.source.size());
  out.write(reinterpret_cast<const char*>(&e.key), 8);
  out.write(reinterpret_cast<const char*>(&e.label), 4);
  out.write(reinterpret_cast<const char*>(&e.entry), 8);
  out.write(reinterpret_cast<const char*>(e.hlf.data()), kHlf * 4);
  out.write(reinterpret_cast<const char*>(&n), 4);
  out.write(reinterpret_cast<const char*>(e.particles.data()), static_cast<std::streamsize>(n * 4));
  out.write(reinterpret_cast<const char*>(&s), 4);
  out.write(e.source.data(), s);
}

bool read_event(std::istream& in, Event& e) {
  uint32_t n = 0, s = 0;
  if (!in.read(reinterpret_cast<char*>(&e.key), 8)) return false;
  in.read(reinterpret_cast<char*>(&e.label), 4);
  in.read(reinterpret_cast<char*>(&e.entry), 8);
  in.read(reinterpret_cast<char*>(e.hlf.data()), kHlf * 4);
  in.read(reinterpret_cast<char*>(&n), 4);
  e.particles.resize(n);
  in.read(reinterpret_cast<char*>(e.particles.data()), static_cast<std::streamsize>(n * 4));
  in.read(reinterpret_cast<char*>(&s), 4);
  e.source.resize(s);
  in.read(e.source.data(), s);
  if (!in) throw IoError("shuffle bucket file is truncated");
  return true;
}

// Accumulates events and writes them in fixed-size batches.
class SplitWriter {
 public:
  SplitWriter(fs::path directory, uint64_t rows_per_part, std::string metadata)
      : directory_(std::move(directory)), rows_per_part_(rows_per_part), metadata_(std::move(metadata)) {
    fs::create_directories(directory_);
  }
  void add(Event&& e) {
    pending_.push_back(std::move(e));
    if (pending_.size() == kWriteBatch) flush();
  }
  void finish() {
    flush();
    close_part();
    parquet::DatasetManifest manifest;
    manifest.schema = output_schema();
    manifest.parts = parts_;
    manifest.metadata = nlohmann::json::parse(metadata_);
    parquet::write_manifest(directory_, manifest);
  }
  uint64_t rows() const { return total_; }

 private:
  void flush() {
    size_t done = 0;
    while (done < pending_.size()) {
      if (!writer_) {
        parquet::WriterOptions options;
        options.codec = parquet::Codec::Snappy;
        options.metadata = {{"trigml.preprocessing", metadata_}};
        writer_ = std::make_unique<parquet::Writer>(directory_ / parquet::part_name(parts_.size()), output_schema(), options);
      }
      size_t n = std::min<size_t>(pending_.size() - done, rows_per_part_ - part_rows_);
      write_rows(std::span(pending_).subspan(done, n));
      done += n;
      part_rows_ += n;
      total_ += n;
      if (part_rows_ == rows_per_part_) close_part();
    }
    pending_.clear();
  }
  void write_rows(std::span<Event> events) {
    labels_.clear(), encoded_.clear(), encoded_offsets_.assign(1, 0), hlf_.clear(), hlf_offsets_.assign(1, 0);
    particles_.clear(), particle_offsets_.assign(1, 0), counts_.clear(), sources_.clear(), entries_.clear();
    for (const Event& e : events) {
      labels_.push_back(e.label);
      for (int c = 0; c < 3; ++c) encoded_.push_back(c == e.label ? 1.0f : 0.0f);
      encoded_offsets_.push_back(static_cast<int64_t>(encoded_.size()));
      hlf_.insert(hlf_.end(), e.hlf.begin(), e.hlf.end());
      hlf_offsets_.push_back(static_cast<int64_t>(hlf_.size()));
      particles_.insert(particles_.end(), e.particles.begin(), e.particles.end());
      particle_offsets_.push_back(particle_offsets_.back() + static_cast<int64_t>(e.particles.size() / kWidth));
      counts_.push_back(static_cast<int16_t>(e.particles.size() / kWidth));
      sources_.push_back(e.source);
      entries_.push_back(e.entry);
    }
    std::vector<parquet::ColumnValues> v(7);
    v[0].int32s = labels_;
    v[1].floats = encoded_, v[1].offsets = encoded_offsets_;
    v[2].floats = hlf_, v[2].offsets = hlf_offsets_;
    v[3].floats = particles_, v[3].offsets = particle_offsets_, v[3].inner_width = kWidth;
    v[4].int16s = counts_;
    v[5].strings = sources_;
    v[6].int64s = entries_;
    writer_->write(events.size(), v);
  }
  void close_part() {
    if (!writer_) return;
    writer_->close();
    parts_.push_back({parquet::part_name(parts_.size()), part_rows_});
    writer_.reset();
    part_rows_ = 0;
  }

  fs::path directory_;
  uint64_t rows_per_part_;
  std::string metadata_;
  std::unique_ptr<parquet::Writer> writer_;
  std::vector<parquet::DatasetPart> parts_;
  uint64_t part_rows_ = 0, total_ = 0;
  std::vector<Event> pending_;
  std::vector<int32_t> labels_;
  std::vector<float> encoded_, hlf_, particles_;
  std::vector<int64_t> encoded_offsets_, hlf_offsets_, particle_offsets_, entries_;
  std::vector<int16_t> counts_;
  std::vector<std::string> sources_;
};

// Streams the input dataset row group by row group, calling f(global index, event) per event.
template <typename F>
void for_each_event(const fs::path& input, const std::vector<std::string>& columns, bool with_particles, F&& f) {
  parquet::DatasetReader reader(input, columns);
  std::vector<parquet::ColumnData> data;
  uint64_t global = 0;
  Event e;
  while (reader.next(data)) {
    const auto& labels = data[0];
    for (uint64_t r = 0; r < labels.rows; ++r, ++global) {
      e.label = labels.as<int32_t>()[r];
      if (data.size() > 1) {
        for (size_t k = 0; k < kHlf; ++k) e.hlf[k] = data[1 + k].as<float>()[r];
      }
      if (with_particles) {
        const auto& p = data[1 + kHlf];
        int64_t first = p.offsets[0][r], last = p.offsets[0][r + 1];
        int64_t begin = p.offsets[1][static_cast<size_t>(first)], end = p.offsets[1][static_cast<size_t>(last)];
        if (end - begin != (last - first) * static_cast<int64_t>(kWidth))
          throw FormatError(fmt::format("event {} has particle rows that are not {} features wide", global, kWidth),
                            {input.string()});
        auto values = p.as<float>();
        e.particles.assign(values.begin() + begin, values.begin() + end);
        const auto& s = data[2 + kHlf];
        e.source.assign(reinterpret_cast<const char*>(s.values.data()) + s.string_offsets[r],
                        static_cast<size_t>(s.string_offsets[r + 1] - s.string_offsets[r]));
        e.entry = data[3 + kHlf].as<int64_t>()[r];
      }
      f(global, e);
    }
  }
}

enum class Destination : uint8_t { Drop, Train, Test };

}  // namespace

PrepareSummary run_prepare(const PrepareOptions& o) {
  auto start = std::chrono::steady_clock::now();
  if (o.out.empty()) throw UsageError("no output directory (--out)");
  if (!(o.test_fraction > 0 && o.test_fraction < 1))
    throw UsageError(fmt::format("--test-fraction {} must be between 0 and 1", o.test_fraction));
  if (o.rows_per_part == 0) throw UsageError("rows per part must be positive");
  if (fs::exists(o.out)) throw UsageError("output directory exists already; remove it first", {o.out.string()});
  // Check the input is an ingest output before any work.
  auto files = parquet::dataset_files(o.input);
  {
    auto first = parquet::FileReader::open(files.front().string());
    for (const auto& name : input_columns()) {
      try {
        first->column(name);
      } catch (const NotFoundError&) {
        throw UsageError(fmt::format("not an ingest output: no column '{}' (run trigml ingest first)", name),
                         {files.front().string()});
      }
    }
  }
  PrepareSummary summary;
  summary.classes = kClassNames;

  // Pass 1: labels → which events are kept, and in which split.
  std::vector<int32_t> labels;
  for_each_event(o.input, {"label"}, false, [&](uint64_t, const Event& e) {
    if (e.label < 0 || e.label > 2) throw FormatError(fmt::format("label {} is not 0, 1 or 2", e.label), {o.input.string()});
    labels.push_back(e.label);
  });
  std::vector<uint64_t> sizes(3, 0);
  for (int32_t l : labels) ++sizes[static_cast<size_t>(l)];
  for (size_t c = 0; c < 3; ++c)
    if (sizes[c] == 0) throw UsageError(fmt::format("class '{}' has no events: nothing to balance", kClassNames[c]), {o.input.string()});
  summary.available = sizes;
  auto kept = balance(sizes, o.seed, o.balance_ratio);
  std::vector<std::vector<bool>> test(3);
  for (size_t c = 0; c < 3; ++c)
    test[c] = split_test(static_cast<uint64_t>(std::count(kept[c].begin(), kept[c].end(), true)), o.test_fraction, o.seed,
                         static_cast<int32_t>(c));
  std::vector<Destination> destination(labels.size(), Destination::Drop);
  summary.train.assign(3, 0), summary.test.assign(3, 0);
  {
    std::vector<uint64_t> class_index(3, 0), kept_index(3, 0);
    for (size_t g = 0; g < labels.size(); ++g) {
      auto c = static_cast<size_t>(labels[g]);
      if (kept[c][class_index[c]++]) {
        bool is_test = test[c][kept_index[c]++];
        destination[g] = is_test ? Destination::Test : Destination::Train;
        ++(is_test ? summary.test : summary.train)[c];
      }
    }
  }

  // Pass 2: fit the scalers on the training split only (choices.md #7).
  MinMaxScaler hlf_scaler;
  ParticleScaler particle_scaler;
  {
    for_each_event(o.input, input_columns(), true, [&](uint64_t g, const Event& e) {
      if (destination[g] != Destination::Train) return;
      hlf_scaler.update(e.hlf);
      particle_scaler.accumulate(e.particles);
    });
    hlf_scaler.finish();
    particle_scaler.finish();
  }

  nlohmann::json pre;
  pre["format"] = "trigml-preprocessing";
  pre["version"] = 1;
  pre["classes"] = kClassNames;
  pre["high_level_features"] = nlohmann::json::array();
  for (size_t k = 0; k < kHlf; ++k)
    pre["high_level_features"].push_back({{"name", physics::kHighLevelNames[k]}, {"min", hlf_scaler.min[k]}, {"max", hlf_scaler.max[k]}});
  pre["constant_high_level_features"] = hlf_scaler.constant_features;
  pre["particle_features"] = nlohmann::json::array();
  for (size_t k = 0; k < kWidth; ++k)
    pre["particle_features"].push_back({{"name", physics::kParticleNames[k]},
                                        {"mean", particle_scaler.mean[k]},
                                        {"std", particle_scaler.stddev[k]},
                                        {"scaled", particle_scaler.scaled[k]}});
  pre["max_particles"] = physics::SelectionConfig{}.max_particles();
  pre["particle_order"] = "descending ΔR to the lepton; the lepton last; padding never stored";
  pre["seed"] = o.seed;
  pre["test_fraction"] = o.test_fraction;
  pre["balance_ratio"] = o.balance_ratio;
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& f : files) inputs.push_back({{"file", fs::absolute(f).string()}, {"bytes", fs::file_size(f)}});
  pre["inputs"] = inputs;
  pre["events"] = {{"available", summary.available}, {"train", summary.train}, {"test", summary.test}};
  pre["trigml_version"] = TRIGML_VERSION;
  std::string metadata = pre.dump();
  summary.preprocessing = pre;

  // Pass 3: transform; the test split in stable order, the training split into key-range buckets.
  uint64_t train_events = summary.train[0] + summary.train[1] + summary.train[2];
  uint64_t input_bytes = 0;
  for (const auto& f : files) input_bytes += fs::file_size(f);
  // Bytes in memory per event, estimated from the (compressed) input: generous by a factor 4.
  double per_event = 4.0 * static_cast<double>(input_bytes) / static_cast<double>(std::max<size_t>(1, labels.size()));
  uint64_t buckets = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(per_event * static_cast<double>(train_events) /
                                                                          static_cast<double>(std::max<uint64_t>(1, o.memory_limit / 2)))));
  summary.shuffle_buckets = buckets;
  fs::path staging = o.out;
  staging += fmt::format(".tmp-{}", ::getpid());
  fs::remove_all(staging);
  fs::create_directories(staging / "shuffle");
  try {
    Progress progress("prepare", labels.size() + train_events, "events", o.progress);
    SplitWriter test_writer(staging / "test", o.rows_per_part, metadata);
    std::vector<std::ofstream> bucket_files;
    for (uint64_t b = 0; b < buckets; ++b)
      bucket_files.emplace_back(staging / "shuffle" / fmt::format("bucket-{:05d}.bin", b), std::ios::binary);
    std::vector<float> scratch;
    std::vector<std::pair<double, uint32_t>> order;
    for_each_event(o.input, input_columns(), true, [&](uint64_t g, const Event& in) {
      progress.advance();
      if (destination[g] == Destination::Drop) return;
      Event e = in;
      for (size_t k = 0; k < kHlf; ++k) e.hlf[k] = hlf_scaler.transform(k, e.hlf[k]);
      sort_by_delta_r(e.particles, scratch, order);  // ΔR uses the unscaled η and φ
      particle_scaler.transform(e.particles);
      if (destination[g] == Destination::Test) {
        test_writer.add(std::move(e));
        return;
      }
      e.key = random_key(o.seed, kShuffleStream, g);
      // Keys are uniform: the top bits choose the bucket, so bucket order is key order.
      uint64_t b = buckets == 1 ? 0 : e.key / (UINT64_MAX / buckets + 1);
      write_event(bucket_files[b], e);
    });
    test_writer.finish();
    for (auto& f : bucket_files) f.close();
    // Pass 4: each bucket sorted by key and written: the training split, globally shuffled.
    SplitWriter train_writer(staging / "train", o.rows_per_part, metadata);
    std::vector<Event> bucket;
    for (uint64_t b = 0; b < buckets; ++b) {
      fs::path path = staging / "shuffle" / fmt::format("bucket-{:05d}.bin", b);
      bucket.clear();
      {
        std::ifstream in(path, std::ios::binary);
        Event e;
        while (read_event(in, e)) bucket.push_back(e);
      }
      fs::remove(path);
      std::sort(bucket.begin(), bucket.end(), [](const Event& a, const Event& c) { return a.key < c.key; });
      for (Event& e : bucket) {
        train_writer.add(std::move(e));
        progress.advance();
      }
    }
    train_writer.finish();
    progress.finish();
    fs::remove_all(staging / "shuffle");
    std::string text = pre.dump(1) + "\n";
    AtomicFile json_file(staging / "preprocessing.json");
    json_file.write(std::as_bytes(std::span(text.data(), text.size())));
    json_file.commit();
    fs::rename(staging, o.out);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(staging, ignored);
    throw;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace trigml::prepare

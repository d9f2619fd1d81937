#include "prepare/prepare.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <span>
#include <string_view>

#include "common/atomic_file.hpp"
#include "common/buffer.hpp"
#include "common/error.hpp"
#include "common/parallel.hpp"
#include "common/terminal.hpp"
#include "io/source.hpp"
#include "io/url.hpp"
#include "parquet/dataset.hpp"
#include "prepare/steps.hpp"

namespace trigml::prepare {

namespace fs = std::filesystem;

namespace {

// An input part as the preprocessing record names it (a URL without its credentials) and its size.
std::string recorded_name(const fs::path& part) {
  return io::is_remote(part.string()) ? io::printable_location(part.string()) : fs::absolute(part).string();
}
uint64_t size_of(const fs::path& part) {
  return io::is_remote(part.string()) ? io::open_source(part.string())->size() : fs::file_size(part);
}

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

// One event on its way through prepare: fixed fields by value, particles and source as views into
// buffers that are reused from event to event (the input's columns copied once, or a staging
// file's bytes).
struct EventView {
  uint64_t key = 0;
  int32_t label = 0;
  int64_t entry = 0;
  std::array<float, kHlf> hlf{};
  std::span<const float> particles;  // row-major, kWidth floats per particle
  std::string_view source;
};

// Staging files (the shuffle's buckets, the test split) hold events as records: key, label,
// entry, the high-level features, the particle float count and floats, the source's length and
// bytes, zero bytes up to a multiple of 4, in native byte order (they never leave this run).
// Records then start 4-byte aligned and their floats can be used in place.
constexpr size_t kRecordFixedBytes = 8 + 4 + 8 + kHlf * 4 + 4;
size_t padding(size_t source_bytes) {
  return (4 - source_bytes % 4) % 4;
}

// One staging file (a shuffle bucket, or the test split). Records collect in memory and are
// appended to the file only in chunks of `spill_bytes`, so what fits the memory budget is never
// written out and read back. Each event's particles are sorted by ΔR straight into its record.
class StagingFile {
 public:
  // `expected_bytes`, a generous estimate of what will be added, is reserved (up to the spill
  // size) so that the records are not copied as the buffer grows; pages never written to take no
  // memory.
  StagingFile(fs::path path, size_t spill_bytes, size_t expected_bytes)
      : path_(std::move(path)), spill_bytes_(spill_bytes) {
    pending_.reserve(std::min(spill_bytes_, expected_bytes));
  }

  void add(const EventView& e, std::vector<uint64_t>& order) {
    const auto n = static_cast<uint32_t>(e.particles.size()), s = static_cast<uint32_t>(e.source.size());
    const size_t bytes = kRecordFixedBytes + n * 4ull + 4 + s + padding(s);
    if (!pending_.empty() && pending_.size() + bytes > spill_bytes_) spill();
    const size_t at = pending_.size();
    pending_.resize(at + bytes);
    std::byte* p = pending_.data() + at;
    auto put = [&p](const void* data, size_t size) {
      std::memcpy(p, data, size);
      p += size;
    };
    put(&e.key, 8), put(&e.label, 4), put(&e.entry, 8), put(e.hlf.data(), kHlf * 4), put(&n, 4);
    sort_by_delta_r(e.particles, std::span(reinterpret_cast<float*>(p), n), order);
    p += n * 4ull;
    put(&s, 4), put(e.source.data(), s);
    std::memset(p, 0, padding(s));
  }

  // After the last add: if anything went to disk, the rest follows it.
  void finish() {
    if (!file_.is_open()) return;
    spill();
    file_.close();
    if (!file_) throw IoError("cannot write a staging file", {path_.string()});
  }
  bool on_disk() const { return spilled_; }
  ByteBuffer& pending() { return pending_; }
  const fs::path& path() const { return path_; }

 private:
  void spill() {
    if (!file_.is_open()) file_.open(path_, std::ios::binary);
    spilled_ = true;
    file_.write(reinterpret_cast<const char*>(pending_.data()),
                static_cast<std::streamsize>(pending_.size()));
    if (!file_) throw IoError("cannot write a staging file", {path_.string()});
    pending_.clear();
  }

  fs::path path_;
  size_t spill_bytes_;
  ByteBuffer pending_;
  std::ofstream file_;
  bool spilled_ = false;
};

// Parses the record at `at` of a staging file's bytes and moves `at` past it; false (and `at`
// unchanged) when the bytes end before the record does. The view's particles and source point
// into `bytes`.
bool parse_event(std::span<std::byte> bytes, size_t& at, EventView& e) {
  if (bytes.size() - at < kRecordFixedBytes) return false;
  const std::byte* p = bytes.data() + at;
  uint32_t n, s;
  std::memcpy(&n, p + kRecordFixedBytes - 4, 4);
  size_t position = at + kRecordFixedBytes;
  if ((bytes.size() - position) / 4 < n + 1ull) return false;
  std::memcpy(&s, bytes.data() + position + n * 4ull, 4);
  if (bytes.size() - position - n * 4ull - 4 < s + padding(s)) return false;
  std::memcpy(&e.key, p, 8), std::memcpy(&e.label, p + 8, 4), std::memcpy(&e.entry, p + 12, 8);
  std::memcpy(e.hlf.data(), p + 20, kHlf * 4);
  e.particles = std::span(reinterpret_cast<const float*>(bytes.data() + position), n);
  position += n * 4ull + 4;
  e.source = std::string_view(reinterpret_cast<const char*>(bytes.data() + position), s);
  at = position + s + padding(s);
  return true;
}

// Scales events (as they are copied into its column buffers) and writes them in fixed-size
// batches.
class SplitWriter {
 public:
  SplitWriter(fs::path directory, uint64_t rows_per_part, parquet::Codec codec, std::string metadata,
              const MinMaxScaler& hlf_scaler, const ParticleScaler& particle_scaler)
      : directory_(std::move(directory)),
        rows_per_part_(rows_per_part),
        codec_(codec),
        metadata_(std::move(metadata)),
        hlf_scaler_(hlf_scaler),
        particle_scaler_(particle_scaler),
        sources_(kWriteBatch) {
    fs::create_directories(directory_);
  }
  void add(const EventView& e) {
    labels_.push_back(e.label);
    for (int c = 0; c < 3; ++c) encoded_.push_back(c == e.label ? 1.0f : 0.0f);
    encoded_offsets_.push_back(static_cast<int64_t>(encoded_.size()));
    for (size_t k = 0; k < kHlf; ++k) hlf_.push_back(hlf_scaler_.transform(k, e.hlf[k]));
    hlf_offsets_.push_back(static_cast<int64_t>(hlf_.size()));
    const size_t at = particles_.size();
    particles_.resize(at + e.particles.size());
    particle_scaler_.transform(e.particles, std::span(particles_).subspan(at));
    particle_offsets_.push_back(particle_offsets_.back() + static_cast<int64_t>(e.particles.size() / kWidth));
    counts_.push_back(static_cast<int16_t>(e.particles.size() / kWidth));
    sources_[labels_.size() - 1].assign(e.source);
    entries_.push_back(e.entry);
    if (labels_.size() == kWriteBatch || part_rows_ + labels_.size() == rows_per_part_) flush();
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
    size_t n = labels_.size();
    if (n == 0) return;
    if (!writer_) {
      parquet::WriterOptions options;
      options.codec = codec_;
      options.metadata = {{"trigml.preprocessing", metadata_}};
      writer_ = std::make_unique<parquet::Writer>(directory_ / parquet::part_name(parts_.size()),
                                                  output_schema(), options);
    }
    std::vector<parquet::ColumnValues> v(7);
    v[0].int32s = labels_;
    v[1].floats = encoded_, v[1].offsets = encoded_offsets_;
    v[2].floats = hlf_, v[2].offsets = hlf_offsets_;
    v[3].floats = particles_, v[3].offsets = particle_offsets_, v[3].inner_width = kWidth;
    v[4].int16s = counts_;
    v[5].strings = std::span(sources_).first(n);
    v[6].int64s = entries_;
    writer_->write(n, v);
    part_rows_ += n;
    total_ += n;
    labels_.clear(), encoded_.clear(), encoded_offsets_.assign(1, 0), hlf_.clear(), hlf_offsets_.assign(1, 0);
    particles_.clear(), particle_offsets_.assign(1, 0), counts_.clear(), entries_.clear();
    if (part_rows_ == rows_per_part_) close_part();
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
  parquet::Codec codec_;
  std::string metadata_;
  const MinMaxScaler& hlf_scaler_;
  const ParticleScaler& particle_scaler_;
  std::unique_ptr<parquet::Writer> writer_;
  std::vector<parquet::DatasetPart> parts_;
  uint64_t part_rows_ = 0, total_ = 0;
  std::vector<int32_t> labels_;
  std::vector<float> encoded_, hlf_;
  UninitializedVector<float> particles_;  // overwritten as it grows
  std::vector<int64_t> encoded_offsets_{0}, hlf_offsets_{0}, particle_offsets_{0}, entries_;
  std::vector<int16_t> counts_;
  std::vector<std::string> sources_;  // kWriteBatch strings whose capacity is reused
};

// Streams the input dataset row group by row group (decoding up to `threads` at once), calling f(global
// index, event) for every event that wanted(global index) accepts. The event's particles and source
// are views into the decoded row group.
template <typename Wanted, typename F>
void for_each_event(const fs::path& input, const std::vector<std::string>& columns, unsigned threads,
                    Wanted&& wanted, F&& f) {
  parquet::DatasetReader reader(input, columns, {.threads = threads});
  std::vector<parquet::ColumnData> data;
  uint64_t global = 0;
  EventView e;
  const bool full = columns.size() > 1;
  while (reader.next(data)) {
    const auto& labels = data[0];
    for (uint64_t r = 0; r < labels.rows; ++r, ++global) {
      if (!wanted(global)) continue;
      e.label = labels.as<int32_t>()[r];
      if (full) {
        for (size_t k = 0; k < kHlf; ++k) e.hlf[k] = data[1 + k].as<float>()[r];
        const auto& p = data[1 + kHlf];
        int64_t first = p.offsets[0][r], last = p.offsets[0][r + 1];
        int64_t begin = p.offsets[1][static_cast<size_t>(first)],
                end = p.offsets[1][static_cast<size_t>(last)];
        if (end - begin != (last - first) * static_cast<int64_t>(kWidth))
          throw FormatError(
              fmt::format("event {} has particle rows that are not {} features wide", global, kWidth),
              {input.string()});
        e.particles = p.as<float>().subspan(static_cast<size_t>(begin), static_cast<size_t>(end - begin));
        const auto& s = data[2 + kHlf];
        e.source = std::string_view(reinterpret_cast<const char*>(s.values.data()) + s.string_offsets[r],
                                    static_cast<size_t>(s.string_offsets[r + 1] - s.string_offsets[r]));
        e.entry = data[3 + kHlf].as<int64_t>()[r];
      }
      f(global, e);
    }
  }
}

// What preprocessing.json (and every output file's metadata) holds.
nlohmann::json preprocessing_json(const PrepareOptions& o, const PrepareSummary& summary,
                                  const std::vector<fs::path>& files, const MinMaxScaler& hlf_scaler,
                                  const ParticleScaler& particle_scaler) {
  nlohmann::json pre;
  pre["format"] = "trigml-preprocessing";
  pre["version"] = 1;
  pre["classes"] = kClassNames;
  pre["high_level_features"] = nlohmann::json::array();
  for (size_t k = 0; k < kHlf; ++k)
    pre["high_level_features"].push_back(
        {{"name", physics::kHighLevelNames[k]}, {"min", hlf_scaler.min[k]}, {"max", hlf_scaler.max[k]}});
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
  for (const auto& f : files) inputs.push_back({{"file", recorded_name(f)}, {"bytes", size_of(f)}});
  pre["inputs"] = inputs;
  pre["events"] = {{"available", summary.available}, {"train", summary.train}, {"test", summary.test}};
  pre["trigml_version"] = TRIGML_VERSION;
  return pre;
}

enum class Destination : uint8_t { Drop, Train, Test };

// The summary of an output that a finished run made (prepare renames its staging directory into
// place only when complete) with these options; an error if other options made it.
PrepareSummary finished_already(const PrepareOptions& o) {
  const fs::path record = o.out / "preprocessing.json";
  if (!fs::exists(record))
    throw UsageError("exists but holds no preprocessing.json: not a prepare output", {o.out.string()});
  std::ifstream in(record);
  PrepareSummary summary;
  try {
    summary.preprocessing = nlohmann::json::parse(in);
    const nlohmann::json& pre = summary.preprocessing;
    const std::vector<std::pair<const char*, nlohmann::json>> wanted = {
        {"seed", o.seed}, {"test_fraction", o.test_fraction}, {"balance_ratio", o.balance_ratio}};
    for (const auto& [name, value] : wanted)
      if (pre.at(name) != value)
        throw UsageError(fmt::format("made with {} = {} where {} is asked for: remove it or change --out",
                                     name, pre.at(name).dump(), value.dump()),
                         {o.out.string()});
    summary.classes = pre.at("classes").get<std::vector<std::string>>();
    summary.available = pre.at("events").at("available").get<std::vector<uint64_t>>();
    summary.train = pre.at("events").at("train").get<std::vector<uint64_t>>();
    summary.test = pre.at("events").at("test").get<std::vector<uint64_t>>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("unreadable preprocessing record: {}", e.what()), {record.string()});
  }
  return summary;
}

}  // namespace

PrepareSummary run_prepare(const PrepareOptions& o) {
  auto start = std::chrono::steady_clock::now();
  if (o.out.empty()) throw UsageError("no output directory (--out)");
  if (!(o.test_fraction > 0 && o.test_fraction < 1))
    throw UsageError(fmt::format("--test-fraction {} must be between 0 and 1", o.test_fraction));
  if (o.rows_per_part == 0) throw UsageError("rows per part must be positive");
  if (fs::exists(o.out)) {
    if (!o.resume)
      throw UsageError("output directory exists already; remove it first (or --resume to keep it)",
                       {o.out.string()});
    return finished_already(o);
  }
  if (o.resume) remove_stale_temporaries(o.out);
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
  for_each_event(
      o.input, {"label"}, o.threads, [](uint64_t) { return true; },
      [&](uint64_t, const EventView& e) {
        if (e.label < 0 || e.label > 2)
          throw FormatError(fmt::format("label {} is not 0, 1 or 2", e.label), {o.input.string()});
        labels.push_back(e.label);
      });
  std::vector<uint64_t> sizes(3, 0);
  for (int32_t l : labels) ++sizes[static_cast<size_t>(l)];
  for (size_t c = 0; c < 3; ++c)
    if (sizes[c] == 0)
      throw UsageError(fmt::format("class '{}' has no events: nothing to balance", kClassNames[c]),
                       {o.input.string()});
  summary.available = sizes;
  auto kept = balance(sizes, o.seed, o.balance_ratio);
  std::vector<std::vector<bool>> test(3);
  for (size_t c = 0; c < 3; ++c)
    test[c] = split_test(static_cast<uint64_t>(std::count(kept[c].begin(), kept[c].end(), true)),
                         o.test_fraction, o.seed, static_cast<int32_t>(c));
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

  // Pass 2, the only full read of the input: the scalers are fitted on the training split only
  // (choices.md #7) while the kept events, their particles sorted by ΔR (which uses the
  // unscaled η and φ), are staged unscaled: the test split in input order, the training split in
  // key-range buckets; a quarter of the memory budget holds them before they go to disk. Pass 3
  // scales what it reads back.
  MinMaxScaler hlf_scaler;
  ParticleScaler particle_scaler;
  uint64_t train_events = summary.train[0] + summary.train[1] + summary.train[2];
  uint64_t input_bytes = 0;
  for (const auto& f : files) input_bytes += size_of(f);
  // Bytes in memory per event, estimated from the (compressed) input: generous by a factor 4.
  double per_event =
      4.0 * static_cast<double>(input_bytes) / static_cast<double>(std::max<size_t>(1, labels.size()));
  uint64_t buckets = std::max<uint64_t>(
      1, static_cast<uint64_t>(std::ceil(per_event * static_cast<double>(train_events) /
                                         static_cast<double>(std::max<uint64_t>(1, o.memory_limit / 2)))));
  summary.shuffle_buckets = buckets;
  fs::path staging = o.out;
  staging += fmt::format(".tmp-{}", ::getpid());
  fs::remove_all(staging);
  fs::create_directories(staging / "shuffle");
  const fs::path test_path = staging / "shuffle" / "test.bin";
  try {
    Progress progress("prepare", labels.size() + train_events, "events", o.progress);
    const size_t spill_bytes = std::max<size_t>(64 << 10, o.memory_limit / 4 / (buckets + 1));
    const uint64_t test_events = summary.test[0] + summary.test[1] + summary.test[2];
    auto expected_bytes = [&](uint64_t events) {
      return static_cast<size_t>(per_event * static_cast<double>(events));
    };
    StagingFile test_file(test_path, spill_bytes, expected_bytes(test_events));
    std::vector<StagingFile> bucket_files;
    bucket_files.reserve(buckets);
    for (uint64_t b = 0; b < buckets; ++b)
      bucket_files.emplace_back(staging / "shuffle" / fmt::format("bucket-{:05d}.bin", b), spill_bytes,
                                expected_bytes(train_events / buckets + 1));
    {
      std::vector<uint64_t> order;
      for_each_event(
          o.input, input_columns(), o.threads,
          [&](uint64_t g) {
            progress.advance();
            return destination[g] != Destination::Drop;
          },
          [&](uint64_t g, EventView& e) {
            if (destination[g] == Destination::Train) {
              hlf_scaler.update(e.hlf);
              particle_scaler.accumulate(e.particles);
            }
            if (destination[g] == Destination::Test) {
              e.key = 0;
              test_file.add(e, order);
              return;
            }
            e.key = random_key(o.seed, kShuffleStream, g);
            // Keys are uniform: the top bits choose the bucket, so bucket order is key order.
            uint64_t b = buckets == 1 ? 0 : e.key / (UINT64_MAX / buckets + 1);
            bucket_files[b].add(e, order);
          });
      test_file.finish();
      for (auto& f : bucket_files) f.finish();
    }
    hlf_scaler.finish();
    particle_scaler.finish();
    summary.preprocessing = preprocessing_json(o, summary, files, hlf_scaler, particle_scaler);
    const std::string metadata = summary.preprocessing.dump();

    // Pass 3: scaled and written; the test split in input order, then the training split bucket
    // by bucket, each sorted by key: globally shuffled.
    // Records in place when they never left memory; a spilled bucket is read back whole.
    ByteBuffer loaded;
    auto records = [&](StagingFile& f) -> std::span<std::byte> {
      if (!f.on_disk()) return f.pending();
      loaded.resize(fs::file_size(f.path()));
      std::ifstream in(f.path(), std::ios::binary);
      if (!in.read(reinterpret_cast<char*>(loaded.data()), static_cast<std::streamsize>(loaded.size())))
        throw IoError("cannot read a staging file", {f.path().string()});
      fs::remove(f.path());
      return loaded;
    };
    auto release = [](StagingFile& f) { ByteBuffer().swap(f.pending()); };
    EventView e;
    {
      SplitWriter test_writer(staging / "test", o.rows_per_part, o.codec, metadata, hlf_scaler,
                              particle_scaler);
      if (!test_file.on_disk()) {
        std::span<std::byte> bytes = test_file.pending();
        size_t at = 0;
        while (parse_event(bytes, at, e)) test_writer.add(e);
        if (at != bytes.size()) throw IoError("staging records are truncated", {test_path.string(), at});
      } else {
        // Read in slices of the memory budget: the test split is not bounded by a bucket's size.
        std::ifstream in(test_path, std::ios::binary);
        const size_t slice = std::clamp<size_t>(o.memory_limit / 4, 1 << 20, 64 << 20);
        size_t carried = 0;  // bytes at the start of `loaded` that belong to an unfinished record
        while (true) {
          loaded.resize(carried + slice);
          in.read(reinterpret_cast<char*>(loaded.data() + carried), static_cast<std::streamsize>(slice));
          size_t have = carried + static_cast<size_t>(in.gcount());
          if (have == carried) break;
          size_t at = 0;
          while (parse_event(std::span(loaded).first(have), at, e)) test_writer.add(e);
          std::memmove(loaded.data(), loaded.data() + at, have - at);
          carried = have - at;
          if (!in) break;
        }
        if (carried) throw IoError("staging file is truncated", {test_path.string()});
        fs::remove(test_path);
      }
      release(test_file);
      test_writer.finish();
    }
    SplitWriter train_writer(staging / "train", o.rows_per_part, o.codec, metadata, hlf_scaler,
                             particle_scaler);
    std::vector<std::pair<uint64_t, size_t>> order;  // key, record offset
    for (auto& bucket : bucket_files) {
      std::span<std::byte> bytes = records(bucket);
      order.clear();
      for (size_t at = 0; at < bytes.size();) {
        size_t record = at;
        if (!parse_event(bytes, at, e))
          throw IoError("staging records are truncated", {bucket.path().string(), at});
        order.emplace_back(e.key, record);
      }
      std::sort(order.begin(), order.end());
      for (auto [key, record] : order) {
        parse_event(bytes, record, e);
        train_writer.add(e);
        progress.advance();
      }
      release(bucket);
    }
    train_writer.finish();
    progress.finish();
    fs::remove_all(staging / "shuffle");
    std::string text = summary.preprocessing.dump(1) + "\n";
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

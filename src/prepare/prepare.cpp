#include "prepare/prepare.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <span>
#include <string_view>

#include "common/atomic_file.hpp"
#include "common/buffer.hpp"
#include "common/error.hpp"
#include "common/parallel.hpp"
#include "common/terminal.hpp"
#include "dist/dist.hpp"
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

  // After the last add: if anything went to disk, the rest follows it. A file another rank reads
  // (`for_another_rank`) is always written, even when empty, so that a missing file means a lost one.
  void finish(bool for_another_rank) {
    if (!file_.is_open() && !for_another_rank) return;
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
// batches, into parts numbered from `first_part` (a rank writes a contiguous run of a split's parts).
class SplitWriter {
 public:
  SplitWriter(fs::path directory, uint64_t first_part, uint64_t rows_per_part, parquet::Codec codec,
              std::string metadata, const MinMaxScaler& hlf_scaler, const ParticleScaler& particle_scaler)
      : directory_(std::move(directory)),
        next_part_(first_part),
        rows_per_part_(rows_per_part),
        codec_(codec),
        metadata_(std::move(metadata)),
        hlf_scaler_(hlf_scaler),
        particle_scaler_(particle_scaler),
        sources_(kWriteBatch) {}
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
      writer_ = std::make_unique<parquet::Writer>(directory_ / parquet::part_name(next_part_),
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
    ++next_part_;
    writer_.reset();
    part_rows_ = 0;
  }

  fs::path directory_;
  uint64_t next_part_;
  uint64_t rows_per_part_;
  parquet::Codec codec_;
  std::string metadata_;
  const MinMaxScaler& hlf_scaler_;
  const ParticleScaler& particle_scaler_;
  std::unique_ptr<parquet::Writer> writer_;
  uint64_t part_rows_ = 0, total_ = 0;
  std::vector<int32_t> labels_;
  std::vector<float> encoded_, hlf_;
  UninitializedVector<float> particles_;  // overwritten as it grows
  std::vector<int64_t> encoded_offsets_{0}, hlf_offsets_{0}, particle_offsets_{0}, entries_;
  std::vector<int16_t> counts_;
  std::vector<std::string> sources_;  // kWriteBatch strings whose capacity is reused
};

// Streams one part of the input dataset row group by row group (decoding up to `threads` at once),
// calling f(global index, event) for every event that wanted(global index) accepts; the part's first
// row has the global index `first_index`. Returns the part's rows. The event's particles and source are
// views into the decoded row group.
template <typename Wanted, typename F>
uint64_t for_each_event(const fs::path& input, uint64_t first_index, const std::vector<std::string>& columns,
                        unsigned threads, Wanted&& wanted, F&& f) {
  parquet::DatasetReader reader(input, columns, {.threads = threads});
  std::vector<parquet::ColumnData> data;
  uint64_t global = first_index;
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
  return global - first_index;
}

// What preprocessing.json (and every output file's metadata) holds.
nlohmann::json preprocessing_json(const PrepareOptions& o, const PrepareSummary& summary,
                                  const std::vector<fs::path>& files, const std::vector<uint64_t>& file_bytes,
                                  const MinMaxScaler& hlf_scaler, const ParticleScaler& particle_scaler) {
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
  for (size_t f = 0; f < files.size(); ++f)
    inputs.push_back({{"file", recorded_name(files[f])}, {"bytes", file_bytes[f]}});
  pre["inputs"] = inputs;
  pre["events"] = {{"available", summary.available}, {"train", summary.train}, {"test", summary.test}};
  pre["trigml_version"] = TRIGML_VERSION;
  return pre;
}

enum class Destination : uint8_t { Drop, Train, Test };
constexpr size_t kTest = 0, kTrain = 1;  // the splits, in the order their parts are shared out
const char* const kSplitNames[] = {"test", "train"};

// A range of one split's output rows (the test split in input order, the training split in key
// order) that one rank stages, sorts and writes: a shuffle bucket. Each rank writes a contiguous run
// of whole parts, cut into buckets that fit its memory budget.
struct Bucket {
  size_t split = kTrain;
  uint64_t first = 0, last = 0;  // output rows
  int owner = 0;
};

std::vector<Bucket> plan_buckets(const std::array<uint64_t, 2>& split_rows, uint64_t rows_per_part,
                                 uint64_t bucket_rows) {
  // Whole parts share out: weights are the parts' rows, test parts first.
  std::vector<uint64_t> part_rows;
  std::array<uint64_t, 2> parts{};
  for (size_t split : {kTest, kTrain}) {
    parts[split] = (split_rows[split] + rows_per_part - 1) / rows_per_part;
    for (uint64_t p = 0; p < parts[split]; ++p)
      part_rows.push_back(std::min(rows_per_part, split_rows[split] - p * rows_per_part));
  }
  // A bucket is a whole number of parts when the budget holds one, else a slice of one.
  const uint64_t chunk = bucket_rows >= rows_per_part ? bucket_rows / rows_per_part * rows_per_part
                                                      : std::max<uint64_t>(1, bucket_rows);
  std::vector<Bucket> buckets;
  for (int r = 0; r < dist::size(); ++r) {
    const dist::Range share = dist::contiguous_share(part_rows, r, dist::size());
    for (size_t split : {kTest, kTrain}) {
      const uint64_t offset = split == kTest ? 0 : parts[kTest];
      const uint64_t first_part = std::clamp<uint64_t>(share.first, offset, offset + parts[split]) - offset;
      const uint64_t last_part = std::clamp<uint64_t>(share.last, offset, offset + parts[split]) - offset;
      const uint64_t last_row = std::min(split_rows[split], last_part * rows_per_part);
      for (uint64_t row = first_part * rows_per_part; row < last_row; row += chunk)
        buckets.push_back({split, row, std::min(last_row, row + chunk), r});
    }
  }
  return buckets;
}

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
  std::optional<PrepareSummary> finished;
  dist::together("prepare: resume", [&] {
    if (o.resume && fs::exists(o.out)) finished = finished_already(o);
    if (o.resume && !finished && dist::is_root()) remove_stale_temporaries(o.out);
  });
  if (finished) return *finished;
  // Every rank checks the options and the input and reads every label (one small column): what is
  // kept, in which split and where every output row goes is then known on every rank alike.
  PrepareSummary summary;
  summary.classes = kClassNames;
  std::vector<fs::path> files;
  std::vector<uint64_t> file_bytes;  // sized once: a remote part's size costs a request
  std::vector<uint64_t> file_rows;
  std::vector<Destination> destination;
  dist::together("prepare: labels", [&] {
    if (o.out.empty()) throw UsageError("no output directory (--out)");
    if (!(o.test_fraction > 0 && o.test_fraction < 1))
      throw UsageError(fmt::format("--test-fraction {} must be between 0 and 1", o.test_fraction));
    if (o.rows_per_part == 0) throw UsageError("rows per part must be positive");
    if (fs::exists(o.out))
      throw UsageError("output directory exists already; remove it first (or --resume to keep it)",
                       {o.out.string()});
    // Check the input is an ingest output before any work.
    files = parquet::dataset_files(o.input);
    for (const auto& f : files) file_bytes.push_back(size_of(f));
    {
      auto first = parquet::FileReader::open(files.front().string());
      for (const auto& name : input_columns()) {
        try {
          first->column(name);
        } catch (const NotFoundError&) {
          throw UsageError(
              fmt::format("not an ingest output: no column '{}' (run trigml ingest first)", name),
              {files.front().string()});
        }
      }
    }
    // Pass 1: labels → which events are kept, and in which split.
    std::vector<int32_t> labels;
    for (const fs::path& file : files)
      file_rows.push_back(for_each_event(
          file, labels.size(), {"label"}, o.threads, [](uint64_t) { return true; },
          [&](uint64_t, const EventView& e) {
            if (e.label < 0 || e.label > 2)
              throw FormatError(fmt::format("label {} is not 0, 1 or 2", e.label), {file.string()});
            labels.push_back(e.label);
          }));
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
    destination.assign(labels.size(), Destination::Drop);
    summary.train.assign(3, 0), summary.test.assign(3, 0);
    std::vector<uint64_t> class_index(3, 0), kept_index(3, 0);
    for (size_t g = 0; g < labels.size(); ++g) {
      auto c = static_cast<size_t>(labels[g]);
      if (kept[c][class_index[c]++]) {
        bool is_test = test[c][kept_index[c]++];
        destination[g] = is_test ? Destination::Test : Destination::Train;
        ++(is_test ? summary.test : summary.train)[c];
      }
    }
  });
  const uint64_t events = destination.size();
  const std::array<uint64_t, 2> split_rows = {summary.test[0] + summary.test[1] + summary.test[2],
                                              summary.train[0] + summary.train[1] + summary.train[2]};

  // Where every output row goes. The training split is shuffled by sorting on per-event random keys;
  // a bucket of it is the range of keys of its rows (from the first row's key on).
  std::vector<std::pair<uint64_t, uint64_t>> train_keys;  // key, global index
  train_keys.reserve(split_rows[kTrain]);
  for (uint64_t g = 0; g < events; ++g)
    if (destination[g] == Destination::Train)
      train_keys.emplace_back(random_key(o.seed, kShuffleStream, g), g);
  std::sort(train_keys.begin(), train_keys.end());
  uint64_t input_bytes = 0;
  for (uint64_t bytes : file_bytes) input_bytes += bytes;
  // Bytes in memory per event, estimated from the (compressed) input: generous by a factor 4. Half
  // the budget holds the bucket being sorted.
  const double per_event =
      4.0 * static_cast<double>(input_bytes) / static_cast<double>(std::max<uint64_t>(1, events));
  const auto bucket_rows =
      static_cast<uint64_t>(static_cast<double>(std::max<uint64_t>(1, o.memory_limit / 2)) / per_event);
  const std::vector<Bucket> buckets = plan_buckets(split_rows, o.rows_per_part, bucket_rows);
  summary.shuffle_buckets = buckets.size();
  std::array<std::vector<size_t>, 2> buckets_of;  // per split, in row order
  for (size_t b = 0; b < buckets.size(); ++b) buckets_of[buckets[b].split].push_back(b);
  std::vector<std::pair<uint64_t, uint64_t>>
      train_starts;  // (key, index) of each training bucket's first row
  for (size_t b : buckets_of[kTrain]) train_starts.push_back(train_keys[buckets[b].first]);
  std::vector<std::pair<uint64_t, uint64_t>>().swap(train_keys);
  auto bucket_of = [&](size_t split, uint64_t row_or_key, uint64_t g) -> size_t {
    if (split == kTest) {
      auto after = std::upper_bound(buckets_of[kTest].begin(), buckets_of[kTest].end(), row_or_key,
                                    [&](uint64_t row, size_t b) { return row < buckets[b].first; });
      return *(after - 1);
    }
    auto after = std::upper_bound(train_starts.begin(), train_starts.end(), std::pair{row_or_key, g});
    return buckets_of[kTrain][static_cast<size_t>(after - train_starts.begin()) - 1];
  };

  // The staging directory every rank shares (rank 0's name), renamed into place when complete.
  fs::path staging = o.out;
  staging += dist::broadcast(fmt::format(".tmp-{}", ::getpid()), "prepare: staging directory");
  auto staging_file = [&](size_t bucket, int from) {
    return staging / "shuffle" / fmt::format("bucket-{:05d}-from-{:04d}.bin", bucket, from);
  };
  try {
    dist::together("prepare: staging directory", [&] {
      if (!dist::is_root()) return;
      fs::remove_all(staging);
      for (const char* dir : {"shuffle", "train", "test"}) fs::create_directories(staging / dir);
    });
    // Pass 2, the only full read of the input, each rank reading a contiguous share of its parts:
    // the scalers are fitted on the training split only (choices.md #7), one partial fit per input
    // part, while the kept events, their particles sorted by ΔR (which uses the unscaled η and φ),
    // are staged unscaled into the buckets of the rank that writes their rows; a quarter of the
    // memory budget holds them before they go to disk. Pass 3 scales what it reads back.
    const dist::Range my_files = dist::contiguous_share(file_rows, dist::rank(), dist::size());
    uint64_t my_first = 0, my_events = 0;
    for (size_t f = 0; f < my_files.last; ++f) (f < my_files.first ? my_first : my_events) += file_rows[f];
    uint64_t my_rows = 0;
    for (const Bucket& b : buckets)
      if (b.owner == dist::rank()) my_rows += b.last - b.first;
    Progress progress("prepare", my_events + my_rows, "events", o.progress && dist::is_root());
    const size_t spill_bytes = std::max<size_t>(64 << 10, o.memory_limit / 4 / (buckets.size() + 1));
    std::vector<StagingFile> bucket_files;
    std::vector<double> scaler_states;  // per part of my share: the min-max then the particle scaler's
    dist::together("prepare: staging", [&] {
      bucket_files.reserve(buckets.size());
      for (size_t b = 0; b < buckets.size(); ++b)
        bucket_files.emplace_back(
            staging_file(b, dist::rank()), spill_bytes,
            static_cast<size_t>(per_event * static_cast<double>(buckets[b].last - buckets[b].first)) /
                static_cast<size_t>(dist::size()));
      uint64_t test_row = static_cast<uint64_t>(std::count(
          destination.begin(), destination.begin() + static_cast<int64_t>(my_first), Destination::Test));
      std::vector<uint64_t> order;
      uint64_t first = my_first;
      for (size_t f = my_files.first; f < my_files.last; ++f) {
        MinMaxScaler part_hlf;
        ParticleScaler part_particles;
        first += for_each_event(
            files[f], first, input_columns(), o.threads,
            [&](uint64_t g) {
              progress.advance();
              return destination[g] != Destination::Drop;
            },
            [&](uint64_t g, EventView& e) {
              if (destination[g] == Destination::Test) {
                e.key = g;  // the test split keeps the input order
                bucket_files[bucket_of(kTest, test_row++, g)].add(e, order);
                return;
              }
              part_hlf.update(e.hlf);
              part_particles.accumulate(e.particles);
              e.key = random_key(o.seed, kShuffleStream, g);
              bucket_files[bucket_of(kTrain, e.key, g)].add(e, order);
            });
        for (const std::vector<double>& values : {part_hlf.state(), part_particles.state()})
          scaler_states.insert(scaler_states.end(), values.begin(), values.end());
      }
      for (size_t b = 0; b < buckets.size(); ++b) bucket_files[b].finish(buckets[b].owner != dist::rank());
    });

    // The scalers of the whole training split: the parts' partial fits merged in part order, so that
    // the sums (and so the scaled values) are the same bits for any number of ranks.
    MinMaxScaler hlf_scaler;
    ParticleScaler particle_scaler;
    {
      const std::vector<double> states =
          dist::all_gather_values(std::span<const double>(scaler_states), "prepare: scalers");
      const size_t hlf_size = MinMaxScaler{}.state().size(), particle_size = ParticleScaler{}.state().size();
      for (size_t at = 0; at < states.size(); at += hlf_size + particle_size) {
        hlf_scaler.merge(std::span(states).subspan(at, hlf_size));
        particle_scaler.merge(std::span(states).subspan(at + hlf_size, particle_size));
      }
    }
    const std::string metadata = dist::together("prepare: scalers", [&] {
      hlf_scaler.finish();
      particle_scaler.finish();
      summary.preprocessing = preprocessing_json(o, summary, files, file_bytes, hlf_scaler, particle_scaler);
      return summary.preprocessing.dump();
    });

    // Pass 3, each rank its buckets: scaled and written, every bucket sorted by key (the test split's
    // keys are the input order, the training split's its shuffle).
    dist::together("prepare: writing", [&] {
      ByteBuffer loaded;
      std::vector<std::pair<uint64_t, size_t>> order;  // key, record offset
      std::array<std::unique_ptr<SplitWriter>, 2> writers;
      EventView e;
      for (size_t b = 0; b < buckets.size(); ++b) {
        const Bucket& bucket = buckets[b];
        if (bucket.owner != dist::rank()) continue;
        auto& writer = writers[bucket.split];
        if (!writer)
          writer = std::make_unique<SplitWriter>(staging / kSplitNames[bucket.split],
                                                 bucket.first / o.rows_per_part, o.rows_per_part, o.codec,
                                                 metadata, hlf_scaler, particle_scaler);
        // Every rank's records for the bucket, in rank order (the input order): kept in memory when
        // they never left this rank.
        std::span<std::byte> bytes;
        StagingFile& own = bucket_files[b];
        if (dist::size() == 1 && !own.on_disk()) {
          bytes = own.pending();
        } else {
          loaded.clear();
          for (int from = 0; from < dist::size(); ++from) {
            if (from == dist::rank() && !own.on_disk()) {
              loaded.insert(loaded.end(), own.pending().begin(), own.pending().end());
              continue;
            }
            const fs::path path = staging_file(b, from);
            if (!fs::exists(path))
              throw IoError(
                  fmt::format("the staging file of rank {} is missing: do all ranks share the output "
                              "directory's file system?",
                              from),
                  {path.string()});
            const size_t at = loaded.size();
            loaded.resize(at + fs::file_size(path));
            std::ifstream in(path, std::ios::binary);
            if (!in.read(reinterpret_cast<char*>(loaded.data() + at),
                         static_cast<std::streamsize>(loaded.size() - at)))
              throw IoError("cannot read a staging file", {path.string()});
            fs::remove(path);
          }
          bytes = loaded;
        }
        order.clear();
        for (size_t at = 0; at < bytes.size();) {
          size_t record = at;
          if (!parse_event(bytes, at, e))
            throw IoError("staging records are truncated", {staging_file(b, dist::rank()).string(), at});
          order.emplace_back(e.key, record);
        }
        if (order.size() != bucket.last - bucket.first)
          throw InternalError(fmt::format("shuffle bucket {} holds {} events, not {}", b, order.size(),
                                          bucket.last - bucket.first));
        std::sort(order.begin(), order.end());
        for (auto [key, record] : order) {
          parse_event(bytes, record, e);
          writer->add(e);
          progress.advance();
        }
        ByteBuffer().swap(own.pending());
      }
      for (auto& writer : writers)
        if (writer) writer->finish();
    });
    progress.finish();

    // Rank 0 completes the output once every rank has written its parts.
    dist::together("prepare: manifests", [&] {
      if (!dist::is_root()) return;
      for (size_t split : {kTest, kTrain}) {
        parquet::DatasetManifest manifest;
        manifest.schema = output_schema();
        for (uint64_t row = 0, part = 0; row < split_rows[split]; row += o.rows_per_part, ++part)
          manifest.parts.push_back(
              {parquet::part_name(part), std::min<uint64_t>(o.rows_per_part, split_rows[split] - row)});
        manifest.metadata = nlohmann::json::parse(metadata);
        parquet::write_manifest(staging / kSplitNames[split], manifest);
      }
      fs::remove_all(staging / "shuffle");
      std::string text = summary.preprocessing.dump(1) + "\n";
      AtomicFile json_file(staging / "preprocessing.json");
      json_file.write(std::as_bytes(std::span(text.data(), text.size())));
      json_file.commit();
      fs::rename(staging, o.out);
    });
  } catch (...) {
    std::error_code ignored;
    if (dist::is_root()) fs::remove_all(staging, ignored);
    throw;
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace trigml::prepare

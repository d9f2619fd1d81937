// A prepared dataset (`trigml prepare`'s train/ or test/ directory) as training and evaluation see
// it: its preprocessing record and its row groups, decoded into columnar blocks of events.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "parquet/reader.hpp"

namespace trigml::train {

// Events in columns: each event's high-level features, its particle rows (the lepton last) and
// its label. Reused across reads: clear() keeps the capacity.
struct EventBlock {
  size_t hlf_features = 0;
  size_t particle_features = 0;
  std::vector<int32_t> labels;
  std::vector<float> hlf;                    // events × hlf_features
  std::vector<int64_t> particle_offsets{0};  // events + 1, in particle rows
  std::vector<float> particles;              // rows × particle_features
  std::vector<int64_t> rows;                 // each event's row index in the dataset

  size_t size() const { return labels.size(); }
  int64_t length(size_t event) const { return particle_offsets[event + 1] - particle_offsets[event]; }
  void clear();
  void reserve_like(const EventBlock& other);
  // Appends the events [first, last) of `other`.
  void append(const EventBlock& other, size_t first, size_t last);
};

// A contiguous run of rows inside one row group of one part file.
struct RowSlice {
  size_t part = 0;
  size_t row_group = 0;
  uint64_t first = 0;  // within the row group
  uint64_t rows = 0;
  uint64_t dataset_row = 0;  // the dataset row of `first`
};

class PreparedData {
 public:
  // `path` is a prepared dataset directory (train/ or test/) or a prepare output directory, in
  // which case `split` ("train" or "test") picks the subdirectory.
  static std::filesystem::path resolve(const std::filesystem::path& path, const std::string& split);

  explicit PreparedData(const std::filesystem::path& dataset);
  ~PreparedData();

  const std::filesystem::path& path() const { return path_; }
  const nlohmann::json& preprocessing() const { return preprocessing_; }
  const std::vector<std::string>& classes() const { return classes_; }
  size_t hlf_features() const { return hlf_features_; }
  size_t particle_features() const { return particle_features_; }
  uint64_t events() const { return events_; }

  // The rows [first, last) of the dataset as row-group slices, in dataset order.
  std::vector<RowSlice> slices(uint64_t first, uint64_t last) const;
  // Which inputs to decode (labels and rows always): a model that does not use a column skips it.
  struct ColumnChoice {
    bool hlf = true;
    bool particles = true;
  };
  // Decodes a slice and appends its events to `out` (a column not chosen leaves its feature width
  // 0 and, for particles, every event with zero rows). Thread-safe for distinct callers' buffers.
  void read(const RowSlice& slice, const ColumnChoice& choice, EventBlock& out,
            std::vector<parquet::ColumnData>& scratch) const;
  // The traceability columns (source_file, entry) of the rows [first, last).
  void read_origin(uint64_t first, uint64_t last, std::vector<std::string>& source_files,
                   std::vector<int64_t>& entries) const;

 private:
  struct Part {
    std::unique_ptr<parquet::FileReader> reader;
    std::vector<uint64_t> group_rows;
    size_t label = 0, hlf = 0, particles = 0, source_file = 0, entry = 0;
  };

  std::filesystem::path path_;
  nlohmann::json preprocessing_;
  std::vector<std::string> classes_;
  size_t hlf_features_ = 0;
  size_t particle_features_ = 0;
  uint64_t events_ = 0;
  std::vector<Part> parts_;
};

}  // namespace trigml::train

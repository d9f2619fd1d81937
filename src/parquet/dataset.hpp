// A dataset is a directory of Parquet part files (part-00000.parquet, ...) with a small manifest
// (_manifest.json: the schema, and the rows of every part). Readers iterate it part by part and
// row group by row group, so memory is bounded by a few row groups, never by the dataset.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

namespace trigml::parquet {

// The pages of the datasets trigml's stages write (ingest, prepare): LZ4_RAW decompresses three
// to six times faster than Snappy at the same size (measured on trigml's particle columns, see
// docs/parquet.md), and DuckDB, Arrow, Polars and Spark 3.5 read it; `--compression snappy`
// writes what every older reader takes.
constexpr Codec kDatasetCodec = Codec::Lz4Raw;

struct DatasetPart {
  std::string file;  // relative to the dataset directory
  uint64_t rows = 0;
};

struct DatasetManifest {
  std::vector<ColumnSpec> schema;
  std::vector<DatasetPart> parts;
  nlohmann::json metadata = nlohmann::json::object();  // free-form: what produced the dataset
  uint64_t rows() const;
};

inline constexpr const char* kManifestName = "_manifest.json";
std::string part_name(size_t index);  // part-00000.parquet

// Writes the manifest atomically.
void write_manifest(const std::filesystem::path& directory, const DatasetManifest& manifest);
// Reads a dataset's manifest; a directory without one (written by another tool) is listed from its
// *.parquet files. A single Parquet file is a dataset of one part.
DatasetManifest read_manifest(const std::filesystem::path& path);
// The part files of a dataset path (a directory or a single file), as full paths.
std::vector<std::filesystem::path> dataset_files(const std::filesystem::path& path);

struct DatasetReadOptions {
  // Row groups decoded at once, each column of each on any of this many threads (0: one per
  // core). Memory then holds up to this many row groups; 1 decodes one at a time on the calling
  // thread. The rows come out in the same order whatever the count.
  unsigned threads = 1;
};

// Reads chosen columns of a dataset in part and row-group order: a row group at a time (next) or
// in batches of N rows that cross row groups and parts (next_batch). Both calls take rows from
// the same position and may be mixed.
class DatasetReader {
 public:
  DatasetReader(const std::filesystem::path& path, std::vector<std::string> columns,
                DatasetReadOptions options = {});
  // Fills `out` (one ColumnData per requested column) with the next row group, or with what a
  // next_batch() call left of it; false at the end. Whole row groups are handed over without a
  // copy (the buffers `out` held are reused for later row groups).
  bool next(std::vector<ColumnData>& out);
  // Fills `out` with the next `rows` rows (fewer only at the end of the dataset), copied out of
  // the decoded row groups; false when no row is left.
  bool next_batch(uint64_t rows, std::vector<ColumnData>& out);
  uint64_t rows() const { return rows_; }  // rows returned so far
  const std::vector<std::filesystem::path>& files() const { return files_; }
  // The part the last returned rows came from (for a batch: its last rows).
  const FileReader& current_file() const;
  // The schema of requested column c in that part.
  const ColumnInfo& column_info(size_t c) const;

 private:
  struct Part {
    std::unique_ptr<FileReader> reader;
    std::vector<size_t> indices;  // of the requested columns
  };
  struct Group {
    std::shared_ptr<const Part> part;
    uint64_t rows = 0;
    std::vector<ColumnData> columns;
  };
  bool decode_more();
  void pop_front();

  std::vector<std::filesystem::path> files_;
  std::vector<std::string> columns_;
  DatasetReadOptions options_;
  size_t file_ = 0;   // next part to open
  size_t group_ = 0;  // next row group of `part_` to decode
  std::shared_ptr<const Part> part_, last_part_;
  std::deque<Group> ready_;                     // decoded, not yet (completely) returned
  uint64_t consumed_ = 0;                       // rows of ready_.front() already returned
  std::vector<std::vector<ColumnData>> spare_;  // buffers of returned row groups, for reuse
  uint64_t rows_ = 0;
};

}  // namespace trigml::parquet

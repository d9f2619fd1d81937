// A dataset is a directory of Parquet part files (part-00000.parquet, ...) with a small manifest
// (_manifest.json: the schema, and the rows of every part). Readers iterate it part by part and
// row group by row group, so memory is bounded by a row group, never by the dataset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

namespace trigml::parquet {

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

// Reads chosen columns of a dataset, one row group at a time, in part and row-group order.
class DatasetReader {
 public:
  DatasetReader(const std::filesystem::path& path, std::vector<std::string> columns);
  // Fills `out` (one ColumnData per requested column) with the next row group; false at the end.
  bool next(std::vector<ColumnData>& out);
  uint64_t rows() const { return rows_; }
  const std::vector<std::filesystem::path>& files() const { return files_; }
  const FileReader& current_file() const { return *reader_; }

 private:
  std::vector<std::filesystem::path> files_;
  std::vector<std::string> columns_;
  size_t file_ = 0;
  size_t group_ = 0;
  std::unique_ptr<FileReader> reader_;
  std::vector<size_t> indices_;
  uint64_t rows_ = 0;
};

}  // namespace trigml::parquet

// Writes Parquet files that Spark, pandas/PyArrow and DuckDB read: flat columns (bool, int16,
// int32, int64, float, nullable float, double, string), list<float> and list<list<float>> in the standard
// three-level list layout, in row groups of a target size, with page statistics, Snappy or ZSTD
// pages and key-value metadata. Rows arrive in column batches; the file appears only on close().
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"
#include "parquet/codec.hpp"
#include "parquet/format.hpp"

namespace trigml::parquet {

// OptionalFloat: a float or null in each row (an OPTIONAL column with definition levels).
enum class ColumnType {
  Bool,
  Int16,
  Int32,
  Int64,
  Float,
  OptionalFloat,
  Double,
  String,
  FloatList,
  FloatListList
};
std::string column_type_name(ColumnType type);

struct ColumnSpec {
  std::string name;
  ColumnType type;
};

// One column's values for a batch of rows.
struct ColumnValues {
  std::span<const uint8_t> bools;
  std::span<const int16_t> int16s;
  std::span<const int32_t> int32s;
  std::span<const int64_t> int64s;
  std::span<const float> floats;     // Float, OptionalFloat's non-null values, the items of the lists
  std::span<const uint8_t> present;  // OptionalFloat: per row, 1 for a value (the next of floats), 0 for null
  std::span<const double> doubles;
  std::span<const std::string> strings;
  const std::string* repeated_string = nullptr;  // String: the same value in every row
  std::span<const int64_t>
      offsets;  // lists: rows + 1 offsets (FloatList: into floats; FloatListList: into inner lists)
  uint32_t inner_width = 0;                // FloatListList: every inner list has this many floats
  std::span<const int64_t> inner_offsets;  // FloatListList with inner lists of varying length
};

struct WriterOptions {
  Codec codec = Codec::Snappy;
  CodecSettings codec_settings;
  uint64_t row_group_bytes = 64 << 20;  // uncompressed bytes buffered before a row group is written
  uint64_t page_bytes = 1 << 20;
  std::vector<std::pair<std::string, std::string>> metadata;
};

class Writer {
 public:
  Writer(const std::filesystem::path& path, std::vector<ColumnSpec> columns, WriterOptions options = {});
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Appends `rows` rows: one ColumnValues per column, in the order of the specs.
  void write(uint64_t rows, std::span<const ColumnValues> columns);
  void set_metadata(const std::string& key, const std::string& value);
  // Writes the last row group and the footer, then renames the file into place.
  void close();
  uint64_t rows() const { return rows_; }

 private:
  struct Column;
  void append(uint64_t rows, std::span<const ColumnValues> batch);
  void flush_row_group();

  std::filesystem::path path_;
  std::unique_ptr<AtomicFile> file_;
  WriterOptions options_;
  std::vector<ColumnSpec> specs_;
  std::vector<std::unique_ptr<Column>> columns_;
  FileMetaData metadata_;
  uint64_t rows_ = 0;
  uint64_t group_rows_ = 0;
  bool closed_ = false;
};

// The schema elements for a list of columns (root first), as the writer emits them.
std::vector<SchemaElement> schema_for(const std::vector<ColumnSpec>& columns);

}  // namespace trigml::parquet

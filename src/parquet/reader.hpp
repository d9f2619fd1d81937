// Reads Parquet files: the footer and schema, then column chunks of row groups decoded straight
// into contiguous typed buffers plus offsets per list level (and validity where the schema allows
// nulls). Handles files from trigml, PyArrow, Spark (including its legacy two-level lists) and
// DuckDB, Impala, arrow-rs: every encoding of the format, data pages v1 and v2, every codec but LZO,
// and the logical types as Conversion says.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/buffer.hpp"
#include "io/source.hpp"
#include "parquet/format.hpp"

namespace trigml::parquet {

// How stored values become the values a column reads as (`physical`), where they differ.
enum class Conversion {
  None,
  Int96Timestamp,  // INT96 (Impala, Spark): int64 nanoseconds since 1970
  Decimal,         // DECIMAL of any storage: double, unscaled / 10^scale
  Uuid,            // UUID: its 36-character text
  Unsigned32,      // UINT_32 in INT32: int64
  Unsigned64,      // UINT_64 in INT64: int64, an error above its maximum
};

// A leaf column of the file: its path, physical type and the levels its schema implies.
struct ColumnInfo {
  std::string name;  // top-level field name
  std::vector<std::string> path;
  PhysicalType physical = PhysicalType::Float;  // of the values read (see stored, conversion)
  bool is_string = false;                       // byte strings (FIXED_LEN_BYTE_ARRAY too)
  PhysicalType stored = PhysicalType::Float;    // in the file
  int32_t type_length = 0;                      // FIXED_LEN_BYTE_ARRAY
  Conversion conversion = Conversion::None;
  int32_t decimal_scale = 0;
  int16_t int_bits = 0;  // INT32 annotated as a narrower integer (int8, int16)
  int max_definition = 0;
  int max_repetition = 0;
  // Per list level: the definition level at which the list has an element, and at which it is
  // not null (equal to the element level minus one when the list cannot be null).
  std::vector<int> element_definition, present_definition;
  bool leaf_nullable = false;
  bool row_nullable = false;      // a flat optional column
  std::string type_name() const;  // "float", "list<list<float>>", "string" ...
};

// One column of one row group (or of several, appended).
struct ColumnData {
  PhysicalType physical = PhysicalType::Float;
  bool is_string = false;
  ByteBuffer values;                             // one value per leaf slot (nulls as zero / empty)
  std::vector<int64_t> string_offsets{0};        // strings: slots + 1 offsets into values
  std::vector<std::vector<int64_t>> offsets;     // per list level: instances + 1 offsets
  std::vector<std::vector<uint8_t>> list_valid;  // per list level: 1 = not null (empty: none null)
  std::vector<uint8_t> valid;                    // per leaf slot: 1 = not null (empty: none null)
  uint64_t rows = 0;

  size_t slots() const;
  size_t value_width() const;  // bytes per leaf slot of a fixed-width column (booleans: 1)
  template <typename T>
  std::span<const T> as() const {
    return {reinterpret_cast<const T*>(values.data()), values.size() / sizeof(T)};
  }
  void clear(const ColumnInfo& info);
  // Appends rows [first, first + count) of `from`, a column of the same type: values, offsets
  // rebased, validity (materialised as all-valid where only one side has nulls).
  void append_rows(const ColumnData& from, uint64_t first, uint64_t count);
};

class FileReader {
 public:
  static std::unique_ptr<FileReader> open(const std::string& path);
  static std::unique_ptr<FileReader> open(std::unique_ptr<io::ByteSource> source);
  ~FileReader();

  const std::string& name() const { return source_->name(); }
  uint64_t bytes() const { return source_->size(); }
  const FileMetaData& metadata() const { return metadata_; }
  uint64_t rows() const { return static_cast<uint64_t>(metadata_.num_rows); }
  size_t row_groups() const { return metadata_.row_groups.size(); }
  const std::vector<ColumnInfo>& columns() const { return columns_; }
  // Index of a column by name (top-level field name or dotted path); NotFoundError lists them.
  size_t column(const std::string& name) const;
  const std::string* metadata_value(const std::string& key) const;

  // Appends the column's values of one row group to `out` (call out.clear(info) first).
  void read(size_t row_group, size_t column, ColumnData& out) const;
  // Fetches the chunks of `columns` in each of `row_groups` in one vector read and keeps each
  // until read() decodes it, so a remote row group costs one request instead of one per column.
  // In the background, read() waits for the request only when it needs one of its chunks: a
  // reader asks for the next row groups so that their fetch overlaps the current ones' decoding.
  // Does nothing for a file in memory, or for chunks already fetched. Thread-safe.
  enum class Fetch { Now, InBackground };
  void prefetch(std::span<const size_t> row_groups, std::span<const size_t> columns,
                Fetch when = Fetch::Now) const;

 private:
  struct Request;
  struct Prefetched;
  explicit FileReader(std::unique_ptr<io::ByteSource> source);
  void read_footer();
  // Appends the chunk's values as stored (ColumnInfo::stored) to `out`.
  void decode(size_t row_group, size_t column, ColumnData& out) const;
  // The byte range of a column chunk, checked against the file.
  io::ByteRange chunk_range(size_t row_group, size_t column) const;

  std::unique_ptr<io::ByteSource> source_;
  FileMetaData metadata_;
  std::vector<ColumnInfo> columns_;
  mutable std::mutex prefetch_mutex_;
  mutable std::vector<Prefetched> prefetched_;  // fetched (or being fetched), not yet decoded
};

}  // namespace trigml::parquet

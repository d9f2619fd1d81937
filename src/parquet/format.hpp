// Parquet's file metadata (parquet.thrift), the parts trigml writes and reads, with their
// compact-protocol encoding and decoding.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "parquet/thrift.hpp"

namespace trigml::parquet {

enum class PhysicalType : int32_t {
  Boolean = 0,
  Int32 = 1,
  Int64 = 2,
  Int96 = 3,
  Float = 4,
  Double = 5,
  ByteArray = 6,
  FixedLenByteArray = 7
};
enum class Repetition : int32_t { Required = 0, Optional = 1, Repeated = 2 };
enum class ConvertedType : int32_t {
  Utf8 = 0,
  Map = 1,
  MapKeyValue = 2,
  List = 3,
  Decimal = 5,
  Uint32 = 13,
  Uint64 = 14,
  Int8 = 15,
  Int16 = 16
};
// Members of the LogicalType union, by field id, that change how values read.
enum class LogicalType : int32_t { None = 0, String = 1, List = 3, Decimal = 5, Integer = 10, Uuid = 14 };
enum class Encoding : int32_t {
  Plain = 0,
  PlainDictionary = 2,
  Rle = 3,
  BitPacked = 4,
  DeltaBinaryPacked = 5,
  DeltaLengthByteArray = 6,
  DeltaByteArray = 7,
  RleDictionary = 8,
  ByteStreamSplit = 9
};
std::string encoding_name(Encoding encoding);
// Lz4 is Hadoop's framed LZ4 (deprecated by the format); Lz4Raw is the plain LZ4 block.
enum class Codec : int32_t {
  Uncompressed = 0,
  Snappy = 1,
  Gzip = 2,
  Lzo = 3,
  Brotli = 4,
  Lz4 = 5,
  Zstd = 6,
  Lz4Raw = 7
};
enum class PageType : int32_t { DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3 };

std::string codec_name(Codec codec);
// The codec trigml writes for a name as the command line takes it: uncompressed (or none), snappy,
// zstd, lz4_raw (or lz4). UsageError for anything else.
Codec parse_codec(const std::string& name);
std::string physical_type_name(PhysicalType type);

struct SchemaElement {
  std::optional<PhysicalType> type;
  std::optional<int32_t> type_length;
  std::optional<Repetition> repetition;
  std::string name;
  int32_t num_children = 0;
  std::optional<ConvertedType> converted_type;
  // The LogicalType annotation's union member (any id; see LogicalType), with its parameters.
  int32_t logical_type = 0;
  int8_t integer_bits = 0;
  bool integer_signed = true;
  int32_t scale = 0, precision = 0;  // DECIMAL: from the logical type or the converted type's fields
};

struct Statistics {
  std::optional<std::string> min_value, max_value;
  std::optional<int64_t> null_count;
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::Float;
  std::vector<Encoding> encodings;
  std::vector<std::string> path;
  Codec codec = Codec::Uncompressed;
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
  Statistics statistics;
};

struct RowGroup {
  std::vector<ColumnMetaData> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
};

struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::vector<std::pair<std::string, std::string>> key_value;
  std::string created_by;
};

struct PageHeader {
  PageType type = PageType::DataPage;
  int32_t uncompressed_size = 0;
  int32_t compressed_size = 0;
  int32_t num_values = 0;
  Encoding encoding = Encoding::Plain;
  Encoding definition_level_encoding = Encoding::Rle;
  Encoding repetition_level_encoding = Encoding::Rle;
  // Data page v2
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t definition_levels_bytes = 0;
  int32_t repetition_levels_bytes = 0;
  bool is_compressed = true;
};

void encode(const FileMetaData& metadata, std::vector<std::byte>& out);
void encode(const PageHeader& header, std::vector<std::byte>& out);
FileMetaData decode_file_metadata(io::Cursor& cursor);
PageHeader decode_page_header(io::Cursor& cursor);

}  // namespace trigml::parquet

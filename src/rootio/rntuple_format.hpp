// RNTuple metadata (format 1.0): the anchor in its key, the header, footer and page-list
// envelopes, and the descriptions they hold (fields, columns, clusters, page locations).
// Parsing is pure: bytes in, descriptions out; every failure is a FormatError naming the envelope
// and the byte, or an UnsupportedError naming the construct.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/cursor.hpp"

namespace trigml::rootio::rntuple {

// The format's checksum (XXH3-64, seed 0) of anchors, envelopes and pages.
uint64_t checksum(std::span<const std::byte> bytes);

// The ROOT::RNTuple object: where the header and footer envelopes are (big-endian, checksummed).
struct Anchor {
  uint16_t epoch = 0, major = 0, minor = 0, patch = 0;
  uint64_t seek_header = 0, nbytes_header = 0, len_header = 0;
  uint64_t seek_footer = 0, nbytes_footer = 0, len_footer = 0;
  uint64_t max_key_size = 0;
};

// The key payload of a ROOT::RNTuple (class version header, fields, XXH3 checksum).
Anchor parse_anchor(std::span<const std::byte> payload, const io::BufferOrigin& origin);

// A byte range of the file: where a page or an envelope is stored.
struct Locator {
  uint64_t offset = 0;
  uint64_t size = 0;  // bytes on storage (compressed)
};

enum class EnvelopeType : uint16_t { Header = 1, Footer = 2, PageList = 3 };

// Checks an (uncompressed) envelope's type, length and XXH3-64 checksum; returns its payload
// (between the 8-byte preamble and the checksum).
std::span<const std::byte> envelope_payload(std::span<const std::byte> envelope, EnvelopeType expected,
                                            const io::BufferOrigin& origin);
// The envelope's checksum (its last 8 bytes), which footer and page lists refer to.
uint64_t envelope_checksum(std::span<const std::byte> envelope);

enum class StructuralRole : uint16_t { Leaf = 0, Collection = 1, Record = 2, Variant = 3, Streamer = 4 };

struct FieldDescription {
  uint32_t field_version = 0;
  uint32_t type_version = 0;
  uint32_t parent = 0;  // a top-level field is its own parent
  StructuralRole role = StructuralRole::Leaf;
  uint16_t flags = 0;
  std::string name;
  std::string type_name;
  std::string type_alias;
  std::string description;
  uint64_t array_size = 0;  // repetitive fields (std::array<T, N>): N
  bool projected = false;
  uint32_t source_field = 0;
  std::vector<uint32_t> children;  // field ids, in schema order
  // Physical column ids per representation, in column order (principal column first).
  std::vector<std::vector<uint32_t>> representations;

  bool repetitive() const { return (flags & 0x01) != 0; }
};

// Column types of the format (BinaryFormatSpecification.md, "Column Description").
enum class ColumnType : uint16_t {
  Bit = 0x00,
  Byte = 0x01,
  Char = 0x02,
  Int8 = 0x03,
  UInt8 = 0x04,
  Int16 = 0x05,
  UInt16 = 0x06,
  Int32 = 0x07,
  UInt32 = 0x08,
  Int64 = 0x09,
  UInt64 = 0x0A,
  Real16 = 0x0B,
  Real32 = 0x0C,
  Real64 = 0x0D,
  Index32 = 0x0E,
  Index64 = 0x0F,
  Switch = 0x10,
  SplitInt16 = 0x11,
  SplitUInt16 = 0x12,
  SplitInt32 = 0x13,
  SplitUInt32 = 0x14,
  SplitInt64 = 0x15,
  SplitUInt64 = 0x16,
  SplitReal16 = 0x17,
  SplitReal32 = 0x18,
  SplitReal64 = 0x19,
  SplitIndex32 = 0x1A,
  SplitIndex64 = 0x1B,
  Real32Trunc = 0x1C,
  Real32Quant = 0x1D,
};

std::string column_type_name(ColumnType type);  // "SplitReal32", or "unknown column type 0x42"

struct ColumnDescription {
  ColumnType type = ColumnType::Byte;
  uint16_t bits_on_storage = 0;
  uint32_t field = 0;
  uint16_t flags = 0;
  uint16_t representation = 0;
  int64_t first_element = 0;  // deferred columns (added during writing) start later
};

struct PageDescription {
  uint32_t elements = 0;
  bool has_checksum = false;  // an XXH3-64 of the stored bytes follows the page
  Locator locator;
};

// One column's pages in one cluster.
struct ColumnPages {
  bool suppressed = false;     // a secondary representation, inactive in this cluster
  uint64_t first_element = 0;  // the column's element index where this cluster starts
  uint32_t compression = 0;    // algorithm * 100 + level
  std::vector<PageDescription> pages;
};

struct Cluster {
  uint64_t first_entry = 0;
  uint64_t entries = 0;
  std::vector<ColumnPages> columns;  // by physical column id
};

struct ClusterGroup {
  uint64_t min_entry = 0;
  uint64_t entry_span = 0;
  uint32_t clusters = 0;
  uint64_t page_list_length = 0;  // uncompressed
  Locator page_list;
};

struct Description {
  std::string name;
  std::string description;
  std::string writer;
  std::vector<FieldDescription> fields;    // by field id
  std::vector<ColumnDescription> columns;  // by physical column id
  uint64_t header_checksum = 0;
  std::vector<ClusterGroup> groups;
  std::vector<Cluster> clusters;  // in entry order, over all groups
};

// Fills name, schema and header checksum from the header envelope (decompressed).
void parse_header(std::span<const std::byte> envelope, Description& description,
                  const io::BufferOrigin& origin);
// Adds the schema extension and cluster groups from the footer envelope.
void parse_footer(std::span<const std::byte> envelope, Description& description,
                  const io::BufferOrigin& origin);
// Appends a group's clusters and their page locations from its page-list envelope.
void parse_page_list(std::span<const std::byte> envelope, const ClusterGroup& group, Description& description,
                     const io::BufferOrigin& origin);

}  // namespace trigml::rootio::rntuple

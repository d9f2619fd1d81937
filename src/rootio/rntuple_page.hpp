// RNTuple pages: how a column type's stored bytes become elements. Split columns store the
// first bytes of all elements, then the second bytes, and so on; signed split integers are also
// zigzag-encoded, split index columns delta-encoded; all of it within one page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "common/buffer.hpp"
#include "rootio/column.hpp"
#include "rootio/rntuple_format.hpp"

namespace trigml::rootio::rntuple {

enum class ElementKind {
  Number,  // values of `type`
  Index,   // offsets of a collection's items, relative to the cluster
  Switch,  // a variant's alternative (tag, 0 = none) and the index in it, relative to the cluster
};

struct ColumnEncoding {
  ColumnType column = ColumnType::Byte;
  ElementKind kind = ElementKind::Number;
  ElementType type = ElementType::UInt8;  // Number: the decoded type
  uint32_t stored_bits = 8;               // per element on storage
  bool split = false;
  bool zigzag = false;
  bool delta = false;
};

// The encoding of a column type; UnsupportedError for unknown types and the reduced-precision
// reals (Real32Trunc, Real32Quant). `where` names the column in messages.
ColumnEncoding column_encoding(const ColumnDescription& column, const ErrorContext& where);

// Bytes an uncompressed page of `elements` elements takes.
uint64_t page_bytes(const ColumnEncoding& encoding, uint64_t elements);

// A column's decoded elements, page after page.
struct ColumnElements {
  ByteBuffer values;              // Number
  std::vector<uint64_t> indices;  // Index: end offsets; Switch: index in the alternative
  std::vector<uint32_t> tags;     // Switch
};

// Appends one uncompressed page (exactly page_bytes(encoding, elements) bytes).
void decode_page(const ColumnEncoding& encoding, std::span<const std::byte> page, uint32_t elements,
                 ColumnElements& out);

}  // namespace trigml::rootio::rntuple

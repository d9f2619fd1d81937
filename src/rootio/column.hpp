// Layer 5 output: a branch read over an entry range, as contiguous typed values plus offsets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/buffer.hpp"
#include "rootio/value.hpp"

namespace trigml::rootio {

enum class ElementType : uint8_t {
  Bool,
  Int8,
  UInt8,
  Int16,
  UInt16,
  Int32,
  UInt32,
  Int64,
  UInt64,
  Float32,
  Float64
};

size_t element_size(ElementType type);
std::string_view element_type_name(ElementType type);

// One line per type, as a table.
// clang-format off
template <typename T>
constexpr ElementType element_type_of();
template <> constexpr ElementType element_type_of<bool>() { return ElementType::Bool; }
template <> constexpr ElementType element_type_of<int8_t>() { return ElementType::Int8; }
template <> constexpr ElementType element_type_of<uint8_t>() { return ElementType::UInt8; }
template <> constexpr ElementType element_type_of<int16_t>() { return ElementType::Int16; }
template <> constexpr ElementType element_type_of<uint16_t>() { return ElementType::UInt16; }
template <> constexpr ElementType element_type_of<int32_t>() { return ElementType::Int32; }
template <> constexpr ElementType element_type_of<uint32_t>() { return ElementType::UInt32; }
template <> constexpr ElementType element_type_of<int64_t>() { return ElementType::Int64; }
template <> constexpr ElementType element_type_of<uint64_t>() { return ElementType::UInt64; }
template <> constexpr ElementType element_type_of<float>() { return ElementType::Float32; }
template <> constexpr ElementType element_type_of<double>() { return ElementType::Float64; }
// clang-format on

struct Column {
  enum class Kind { Numeric, String, Object };
  Kind kind = Kind::Numeric;
  ElementType type = ElementType::Float32;  // Numeric: the value type (Bool stored as one byte)
  std::vector<uint32_t> shape;              // fixed inner dimensions of each item ("Edges[4]": {4})
  // Jagged levels, outermost first; level 0 has entries + 1 offsets into level 1 (or into the
  // items), and so on. For strings the innermost level delimits the characters in `values`.
  std::vector<std::vector<uint64_t>> offsets;
  ByteBuffer values;           // native-endian numbers, or string characters
  std::vector<Value> objects;  // Object: one value per entry
  uint64_t entries = 0;

  size_t item_width() const;  // numbers per item: product of shape
  size_t value_count() const { return kind == Kind::Numeric ? values.size() / element_size(type) : 0; }

  template <typename T>
  std::span<const T> as() const {
    return {reinterpret_cast<const T*>(values.data()), values.size() / sizeof(T)};
  }
  double number(size_t index) const;  // one value widened to double
  // One entry as a dynamic value (numbers, lists, strings, objects), for printing.
  Value entry(uint64_t index) const;

  // Empties the column for reuse as `layout` describes (kind, type, shape, levels), keeping capacity.
  void reset_like(const Column& layout);
};

}  // namespace trigml::rootio

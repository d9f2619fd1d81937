#include "rootio/rntuple_page.hpp"

#include <cmath>
#include <cstring>

#include "common/error.hpp"

namespace trigml::rootio::rntuple {

namespace {

ColumnEncoding number(ColumnType column, ElementType type, uint32_t bits, bool split = false,
                      bool zigzag = false) {
  return {column, ElementKind::Number, type, bits, split, zigzag, false};
}

ColumnEncoding index(ColumnType column, uint32_t bits, bool split) {
  return {column, ElementKind::Index, ElementType::UInt64, bits, split, false, split};
}

// Undoes the byte split: byte b of element i is stored at b * count + i.
void unsplit(std::span<const std::byte> page, size_t width, size_t count, std::byte* out) {
  for (size_t b = 0; b < width; ++b) {
    const std::byte* plane = page.data() + b * count;
    for (size_t i = 0; i < count; ++i) out[i * width + b] = plane[i];
  }
}

template <typename U>
void zigzag_decode(std::byte* data, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    U x;
    std::memcpy(&x, data + i * sizeof(U), sizeof(U));
    x = static_cast<U>((x >> 1) ^ (U{0} - (x & U{1})));
    std::memcpy(data + i * sizeof(U), &x, sizeof(U));
  }
}

float half_to_float(uint16_t half) {
  int exponent = (half >> 10) & 0x1F;
  int mantissa = half & 0x3FF;
  float magnitude;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // subnormal
  } else if (exponent == 31) {
    magnitude = mantissa == 0 ? INFINITY : NAN;
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  }
  return (half & 0x8000) ? -magnitude : magnitude;
}

template <typename T>
void append_indices(const std::byte* data, size_t count, bool delta, std::vector<uint64_t>& out) {
  uint64_t running = 0;
  for (size_t i = 0; i < count; ++i) {
    T value;
    std::memcpy(&value, data + i * sizeof(T), sizeof(T));
    running = delta ? running + value : value;
    out.push_back(running);
  }
}

}  // namespace

ColumnEncoding column_encoding(const ColumnDescription& column, const ErrorContext& where) {
  using E = ElementType;
  using C = ColumnType;
  ColumnEncoding encoding;
  switch (column.type) {
    case C::Bit: encoding = number(C::Bit, E::Bool, 1); break;
    case C::Byte: encoding = number(C::Byte, E::UInt8, 8); break;
    case C::Char: encoding = number(C::Char, E::Int8, 8); break;
    case C::Int8: encoding = number(C::Int8, E::Int8, 8); break;
    case C::UInt8: encoding = number(C::UInt8, E::UInt8, 8); break;
    case C::Int16: encoding = number(C::Int16, E::Int16, 16); break;
    case C::UInt16: encoding = number(C::UInt16, E::UInt16, 16); break;
    case C::Int32: encoding = number(C::Int32, E::Int32, 32); break;
    case C::UInt32: encoding = number(C::UInt32, E::UInt32, 32); break;
    case C::Int64: encoding = number(C::Int64, E::Int64, 64); break;
    case C::UInt64: encoding = number(C::UInt64, E::UInt64, 64); break;
    case C::Real16: encoding = number(C::Real16, E::Float32, 16); break;
    case C::Real32: encoding = number(C::Real32, E::Float32, 32); break;
    case C::Real64: encoding = number(C::Real64, E::Float64, 64); break;
    case C::Index32: encoding = index(C::Index32, 32, false); break;
    case C::Index64: encoding = index(C::Index64, 64, false); break;
    case C::Switch: encoding = {C::Switch, ElementKind::Switch, E::UInt64, 96, false, false, false}; break;
    case C::SplitInt16: encoding = number(C::SplitInt16, E::Int16, 16, true, true); break;
    case C::SplitUInt16: encoding = number(C::SplitUInt16, E::UInt16, 16, true); break;
    case C::SplitInt32: encoding = number(C::SplitInt32, E::Int32, 32, true, true); break;
    case C::SplitUInt32: encoding = number(C::SplitUInt32, E::UInt32, 32, true); break;
    case C::SplitInt64: encoding = number(C::SplitInt64, E::Int64, 64, true, true); break;
    case C::SplitUInt64: encoding = number(C::SplitUInt64, E::UInt64, 64, true); break;
    case C::SplitReal16: encoding = number(C::SplitReal16, E::Float32, 16, true); break;
    case C::SplitReal32: encoding = number(C::SplitReal32, E::Float32, 32, true); break;
    case C::SplitReal64: encoding = number(C::SplitReal64, E::Float64, 64, true); break;
    case C::SplitIndex32: encoding = index(C::SplitIndex32, 32, true); break;
    case C::SplitIndex64: encoding = index(C::SplitIndex64, 64, true); break;
    default:
      throw UnsupportedError(fmt::format("column type {} is not supported", column_type_name(column.type)),
                             where);
  }
  if (column.bits_on_storage != encoding.stored_bits)
    throw FormatError(
        fmt::format("column of type {} with {} bits per element, expected {}", column_type_name(column.type),
                    column.bits_on_storage, encoding.stored_bits),
        where);
  return encoding;
}

uint64_t page_bytes(const ColumnEncoding& encoding, uint64_t elements) {
  return (elements * encoding.stored_bits + 7) / 8;
}

void decode_page(const ColumnEncoding& encoding, std::span<const std::byte> page, uint32_t elements,
                 ColumnElements& out) {
  const size_t count = elements;
  // An empty page may come with no bytes at all; memcpy from its null pointer is undefined.
  if (count == 0) return;
  if (encoding.kind == ElementKind::Switch) {
    for (size_t i = 0; i < count; ++i) {
      uint64_t index;
      uint32_t tag;
      std::memcpy(&index, page.data() + i * 12, 8);
      std::memcpy(&tag, page.data() + i * 12 + 8, 4);
      out.indices.push_back(index);
      out.tags.push_back(tag);
    }
    return;
  }
  if (encoding.column == ColumnType::Bit) {
    size_t begin = out.values.size();
    out.values.resize(begin + count);
    for (size_t i = 0; i < count; ++i)
      out.values[begin + i] =
          std::byte{static_cast<uint8_t>((std::to_integer<uint8_t>(page[i / 8]) >> (i % 8)) & 1)};
    return;
  }

  const size_t width = encoding.stored_bits / 8;
  ByteBuffer joined;
  const std::byte* raw = page.data();
  if (encoding.split) {
    joined.resize(count * width);
    unsplit(page, width, count, joined.data());
    raw = joined.data();
  }
  if (encoding.kind == ElementKind::Index) {
    if (width == 4)
      append_indices<uint32_t>(raw, count, encoding.delta, out.indices);
    else
      append_indices<uint64_t>(raw, count, encoding.delta, out.indices);
    return;
  }

  size_t begin = out.values.size();
  out.values.resize(begin + count * element_size(encoding.type));
  std::byte* target = out.values.data() + begin;
  if (width == 2 && encoding.type == ElementType::Float32) {
    for (size_t i = 0; i < count; ++i) {
      uint16_t half;
      std::memcpy(&half, raw + i * 2, 2);
      float value = half_to_float(half);
      std::memcpy(target + i * 4, &value, 4);
    }
    return;
  }
  std::memcpy(target, raw, count * width);
  if (encoding.zigzag) {
    if (width == 2) zigzag_decode<uint16_t>(target, count);
    if (width == 4) zigzag_decode<uint32_t>(target, count);
    if (width == 8) zigzag_decode<uint64_t>(target, count);
  }
}

}  // namespace trigml::rootio::rntuple

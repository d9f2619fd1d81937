// Parquet's RLE / bit-packed hybrid encoding, used for repetition and definition levels and for
// dictionary indices.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "rootio/cursor.hpp"

namespace trigml::parquet {

inline int bit_width(uint32_t max_value) {
  int bits = 0;
  while (max_value >> bits) ++bits;
  return bits;
}

// Appends the encoding of `values` (each < 2^bits) to `out`: runs of equal values as RLE runs,
// everything else in bit-packed groups of 8.
void encode_hybrid(std::span<const uint16_t> values, int bits, std::vector<std::byte>& out);

// Decodes `count` values from `in` (exactly its bytes); FormatError via the cursor on bad input.
void decode_hybrid(rootio::Cursor& in, int bits, size_t count, std::vector<uint32_t>& out);

}  // namespace trigml::parquet

// Parquet's value encodings other than PLAIN and dictionaries (Encodings.md), for reading:
// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY, BYTE_STREAM_SPLIT, and the
// deprecated BIT_PACKED levels. Each decodes a page's values in one pass into buffers the caller
// reuses from page to page; bad input fails through the cursor (file, page, offset).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/buffer.hpp"
#include "io/cursor.hpp"

namespace trigml::parquet {

// Appends `count` DELTA_BINARY_PACKED integers (int32_t or int64_t, little-endian, wrapping as the
// writer's arithmetic did) to `out`, leaving `in` after the last miniblock that holds a value.
template <typename T>
void decode_delta_binary_packed(io::Cursor& in, size_t count, ByteBuffer& out);

// Reads `count` DELTA_BINARY_PACKED int32 values into `out` (replacing its contents).
void decode_delta_lengths(io::Cursor& in, size_t count, std::vector<int32_t>& out);

// Byte arrays, as views: into the page for DELTA_LENGTH_BYTE_ARRAY, into `scratch` (rebuilt from
// prefixes and suffixes) for DELTA_BYTE_ARRAY. `lengths` and `scratch` are reused buffers.
void decode_delta_length_byte_array(io::Cursor& in, size_t count, std::vector<int32_t>& lengths,
                                    std::vector<std::span<const std::byte>>& out);
void decode_delta_byte_array(io::Cursor& in, size_t count, std::vector<int32_t>& prefixes,
                             std::vector<int32_t>& lengths, std::vector<std::byte>& scratch,
                             std::vector<std::span<const std::byte>>& out);

// Appends `count` BYTE_STREAM_SPLIT values of `width` bytes (the rest of `in`, exactly) to `out`.
void decode_byte_stream_split(io::Cursor& in, size_t count, size_t width, ByteBuffer& out);

// The deprecated BIT_PACKED level encoding of data pages v1: `count` levels of `bits` bits each,
// packed from the most significant bit of each byte, with no length prefix. Consumes its bytes
// from `in` and re-encodes the levels as the RLE/bit-packed hybrid into `hybrid`, so that one level
// reader serves both (only legacy files pay for the copy).
void transcode_bit_packed_levels(io::Cursor& in, int bits, size_t count, std::vector<std::byte>& hybrid);

}  // namespace trigml::parquet

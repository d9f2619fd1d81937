// ROOT's compressed-object format: a payload is a sequence of blocks, each with a 9-byte header
// (2-byte algorithm tag, method byte, 3-byte little-endian compressed and uncompressed sizes).
// Decompression is a pure function from bytes to bytes, testable with one block.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "io/cursor.hpp"

namespace trigml::rootio {

enum class CompressionAlgorithm { None, Zlib, Lzma, Lz4, Zstd, Mixed };

std::string_view algorithm_name(CompressionAlgorithm algorithm);

// Decompresses `compressed` (one or more blocks) into exactly `out.size()` bytes and returns the
// algorithm used. Errors name the origin (file, key) and the block's byte offset.
CompressionAlgorithm decompress(std::span<const std::byte> compressed, std::span<std::byte> out,
                                const io::BufferOrigin& origin);

// The uncompressed bytes that the block headers of `compressed` declare, following the headers
// while they fit: an object's stated size is checked against it before anything is allocated.
uint64_t declared_size(std::span<const std::byte> compressed);

// The algorithm of the first block, without decompressing (for `inspect`).
CompressionAlgorithm peek_algorithm(std::span<const std::byte> compressed);

}  // namespace trigml::rootio

// Page compression: Snappy, ZSTD and (for reading other writers' files) GZIP.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "common/buffer.hpp"
#include "parquet/format.hpp"

namespace trigml::parquet {

// Replaces `out` with the compressed bytes (a ByteBuffer: sized to the bound without zero-filling).
void compress(Codec codec, std::span<const std::byte> in, ByteBuffer& out, int zstd_level = 1);
// Decompresses into exactly out.size() bytes; throws FormatError (with `where`) on corrupt input.
void decompress(Codec codec, std::span<const std::byte> in, std::span<std::byte> out,
                const ErrorContext& where);

}  // namespace trigml::parquet

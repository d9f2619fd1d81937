// Page compression: Snappy, ZSTD, LZ4_RAW and, for reading other writers' files, GZIP, BROTLI and
// Hadoop's framed LZ4.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "common/buffer.hpp"
#include "parquet/format.hpp"

namespace trigml::parquet {

// How hard the codecs work: readers need neither setting.
struct CodecSettings {
  int zstd_level = 1;
  // LZ4's fast mode (LZ4_compress_fast): a larger step skips more of the input that found no
  // match. On trigml's particle floats 4 compresses 1.35 times faster than LZ4's default of 1
  // for pages 3 % larger, and decompresses as fast (docs/parquet.md).
  int lz4_acceleration = 4;
};

// Replaces `out` with the compressed bytes (a ByteBuffer: sized to the bound without zero-filling).
void compress(Codec codec, std::span<const std::byte> in, ByteBuffer& out,
              const CodecSettings& settings = {});
// Decompresses into exactly out.size() bytes; throws FormatError (with `where`) on corrupt input.
void decompress(Codec codec, std::span<const std::byte> in, std::span<std::byte> out,
                const ErrorContext& where);

}  // namespace trigml::parquet

// ROOT's block compression format, as written into keys and baskets: each block is a 9-byte header
// (2-character algorithm tag, method byte, 3-byte little-endian compressed and uncompressed sizes)
// followed by the payload; a buffer larger than kMaxBlockBytes is split into several blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "rootio/writer.hpp"

struct libdeflate_compressor;
struct ZSTD_CCtx_s;

namespace trigml::rootio {

inline constexpr size_t kBlockHeaderBytes = 9;
inline constexpr size_t kMaxBlockBytes = 0xffffff;
inline constexpr size_t kLz4ChecksumBytes = 8;

// ROOT's fCompress value: algorithm * 100 + level (0 when nothing is compressed).
int32_t compression_setting(Compression algorithm, int level);

// Compresses whole buffers into ROOT blocks. Owns its compressor state and reuses it across calls,
// so compressing basket after basket allocates nothing once the output buffer has grown.
class BlockCompressor {
 public:
  // Throws UsageError for a level outside 1..9 (any level with Compression::None).
  BlockCompressor(Compression algorithm, int level);
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;
  ~BlockCompressor();

  // Replaces `output` with the blocks for `input`. Returns false when compression is off or would not
  // make the data smaller; ROOT then stores the bytes as they are, and so must the caller.
  bool compress(std::span<const std::byte> input, std::vector<std::byte>& output);

 private:
  // Compresses one block's payload into `out` (of `capacity` bytes); returns its size, 0 on failure.
  size_t compress_payload(std::span<const std::byte> block, std::byte* out, size_t capacity);
  size_t payload_bound(size_t block_bytes) const;

  Compression algorithm_;
  int level_;
  libdeflate_compressor* deflate_ = nullptr;
  ZSTD_CCtx_s* zstd_ = nullptr;
  std::vector<std::byte> lz4_state_;  // LZ4's (or LZ4 HC's) working memory, allocated once
};

}  // namespace trigml::rootio

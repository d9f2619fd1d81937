#include "rootio/compress.hpp"

#include <libdeflate.h>
#include <lz4.h>
#include <lz4hc.h>
#include <xxhash.h>
#include <zstd.h>

#include <algorithm>

#include "common/error.hpp"

namespace trigml::rootio {

namespace {

// ROOT uses LZ4's fast compressor below this level and LZ4 HC (at the same level) from it on.
constexpr int kFirstLz4HcLevel = 4;

int algorithm_code(Compression algorithm) {
  switch (algorithm) {
    case Compression::None: return 0;
    case Compression::Zlib: return 1;
    case Compression::LZ4: return 4;
    case Compression::ZSTD: return 5;
  }
  throw InternalError("unknown compression algorithm");
}

void put_little_endian_24(std::byte* out, size_t value) {
  out[0] = static_cast<std::byte>(value & 0xff);
  out[1] = static_cast<std::byte>((value >> 8) & 0xff);
  out[2] = static_cast<std::byte>((value >> 16) & 0xff);
}

}  // namespace

int32_t compression_setting(Compression algorithm, int level) {
  if (algorithm == Compression::None || level == 0) return 0;
  return algorithm_code(algorithm) * 100 + level;
}

BlockCompressor::BlockCompressor(Compression algorithm, int level) : algorithm_(algorithm), level_(level) {
  if (algorithm == Compression::None) return;
  if (level < 1 || level > 9)
    throw UsageError(fmt::format("compression level {} is outside ROOT's range 1..9", level));
  switch (algorithm) {
    case Compression::Zlib:
      deflate_ = libdeflate_alloc_compressor(level);
      if (!deflate_) throw InternalError("libdeflate could not allocate a compressor");
      break;
    case Compression::LZ4:
      lz4_state_.resize(level >= kFirstLz4HcLevel ? static_cast<size_t>(LZ4_sizeofStateHC())
                                                  : static_cast<size_t>(LZ4_sizeofState()));
      break;
    case Compression::ZSTD:
      zstd_ = ZSTD_createCCtx();
      if (!zstd_) throw InternalError("zstd could not allocate a compression context");
      break;
    case Compression::None: break;
  }
}

BlockCompressor::~BlockCompressor() {
  if (deflate_) libdeflate_free_compressor(deflate_);
  if (zstd_) ZSTD_freeCCtx(zstd_);
}

size_t BlockCompressor::payload_bound(size_t block_bytes) const {
  switch (algorithm_) {
    case Compression::Zlib: return libdeflate_zlib_compress_bound(deflate_, block_bytes);
    case Compression::LZ4:
      return kLz4ChecksumBytes + static_cast<size_t>(LZ4_compressBound(static_cast<int>(block_bytes)));
    case Compression::ZSTD: return ZSTD_compressBound(block_bytes);
    case Compression::None: break;
  }
  return block_bytes;
}

size_t BlockCompressor::compress_payload(std::span<const std::byte> block, std::byte* out, size_t capacity) {
  switch (algorithm_) {
    case Compression::Zlib:
      return libdeflate_zlib_compress(deflate_, block.data(), block.size(), out, capacity);
    case Compression::LZ4: {
      // The checksum covers the compressed bytes and precedes them (big-endian XXH64, seed 0).
      const char* source = reinterpret_cast<const char*>(block.data());
      char* destination = reinterpret_cast<char*>(out + kLz4ChecksumBytes);
      const int source_size = static_cast<int>(block.size());
      const int destination_capacity = static_cast<int>(capacity - kLz4ChecksumBytes);
      const int compressed = level_ >= kFirstLz4HcLevel
                                 ? LZ4_compress_HC_extStateHC(lz4_state_.data(), source, destination,
                                                              source_size, destination_capacity, level_)
                                 : LZ4_compress_fast_extState(lz4_state_.data(), source, destination,
                                                              source_size, destination_capacity, 1);
      if (compressed <= 0) return 0;
      const uint64_t checksum = XXH64(destination, static_cast<size_t>(compressed), 0);
      for (size_t i = 0; i < kLz4ChecksumBytes; ++i)
        out[i] = static_cast<std::byte>((checksum >> (8 * (kLz4ChecksumBytes - 1 - i))) & 0xff);
      return kLz4ChecksumBytes + static_cast<size_t>(compressed);
    }
    case Compression::ZSTD: {
      const size_t compressed = ZSTD_compressCCtx(zstd_, out, capacity, block.data(), block.size(), level_);
      return ZSTD_isError(compressed) ? 0 : compressed;
    }
    case Compression::None: break;
  }
  return 0;
}

bool BlockCompressor::compress(std::span<const std::byte> input, std::vector<std::byte>& output) {
  if (algorithm_ == Compression::None || input.empty()) return false;
  char tag[2] = {0, 0};
  uint8_t method = 0;
  switch (algorithm_) {
    case Compression::Zlib: tag[0] = 'Z', tag[1] = 'L', method = 8; break;  // Z_DEFLATED
    case Compression::LZ4: tag[0] = 'L', tag[1] = '4', method = LZ4_VERSION_MAJOR; break;
    case Compression::ZSTD: tag[0] = 'Z', tag[1] = 'S', method = ZSTD_VERSION_MAJOR; break;
    case Compression::None: return false;
  }

  size_t capacity = 0;
  for (size_t done = 0; done < input.size(); done += kMaxBlockBytes)
    capacity += kBlockHeaderBytes + payload_bound(std::min(kMaxBlockBytes, input.size() - done));
  output.resize(capacity);

  size_t written = 0;
  for (size_t done = 0; done < input.size(); done += kMaxBlockBytes) {
    const auto block = input.subspan(done, std::min(kMaxBlockBytes, input.size() - done));
    std::byte* header = output.data() + written;
    const size_t payload =
        compress_payload(block, header + kBlockHeaderBytes, capacity - written - kBlockHeaderBytes);
    // A block's sizes must fit in 24 bits; an incompressible block could exceed that.
    if (payload == 0 || payload > kMaxBlockBytes) return false;
    header[0] = static_cast<std::byte>(tag[0]);
    header[1] = static_cast<std::byte>(tag[1]);
    header[2] = static_cast<std::byte>(method);
    put_little_endian_24(header + 3, payload);
    put_little_endian_24(header + 6, block.size());
    written += kBlockHeaderBytes + payload;
    if (written >= input.size()) return false;
  }
  output.resize(written);
  return true;
}

}  // namespace trigml::rootio

#include "rootio/decompress.hpp"

#include <libdeflate.h>
#include <lz4.h>
#include <lzma.h>
#include <xxhash.h>
#include <zstd.h>

#include <memory>

namespace trigml::rootio {

namespace {

constexpr size_t kBlockHeaderSize = 9;
constexpr size_t kLz4ChecksumSize = 8;

uint32_t three_bytes(const std::byte* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16);
}

CompressionAlgorithm classify(const std::byte* header) {
  char a = static_cast<char>(header[0]);
  char b = static_cast<char>(header[1]);
  if (a == 'Z' && b == 'L') return CompressionAlgorithm::Zlib;
  if (a == 'X' && b == 'Z') return CompressionAlgorithm::Lzma;
  if (a == 'L' && b == '4') return CompressionAlgorithm::Lz4;
  if (a == 'Z' && b == 'S') return CompressionAlgorithm::Zstd;
  return CompressionAlgorithm::None;
}

struct DeflateDecompressor {
  libdeflate_decompressor* handle = libdeflate_alloc_decompressor();
  ~DeflateDecompressor() { libdeflate_free_decompressor(handle); }
};

libdeflate_decompressor* thread_deflate() {
  thread_local DeflateDecompressor decompressor;
  return decompressor.handle;
}

struct ZstdContext {
  ZSTD_DCtx* handle = ZSTD_createDCtx();
  ~ZstdContext() { ZSTD_freeDCtx(handle); }
};

ZSTD_DCtx* thread_zstd() {
  thread_local ZstdContext context;
  return context.handle;
}

[[noreturn]] void block_error(const io::BufferOrigin& origin, size_t block_offset, const std::string& what) {
  ErrorContext context{origin.file, origin.file_offset, origin.describe()};
  context.object += fmt::format(", compressed block at byte {} of the payload", block_offset);
  throw FormatError(what, context);
}

void inflate_zlib(std::span<const std::byte> in, std::span<std::byte> out, const io::BufferOrigin& origin,
                  size_t block_offset) {
  size_t produced = 0;
  libdeflate_result result;
  // ROOT writes a zlib stream (2-byte header, deflate data, adler32); very old files and some
  // writers store raw deflate data after "ZL" instead, so fall back to that.
  bool zlib_header = in.size() >= 2 && (static_cast<unsigned>(in[0]) & 0x0f) == 8 &&
                     ((static_cast<unsigned>(in[0]) << 8) | static_cast<unsigned>(in[1])) % 31 == 0;
  if (zlib_header) {
    result =
        libdeflate_zlib_decompress(thread_deflate(), in.data(), in.size(), out.data(), out.size(), &produced);
  } else {
    result = libdeflate_deflate_decompress(thread_deflate(), in.data(), in.size(), out.data(), out.size(),
                                           &produced);
  }
  if (result != LIBDEFLATE_SUCCESS || produced != out.size())
    block_error(origin, block_offset,
                fmt::format("zlib block is corrupt (libdeflate result {}, {} of {} bytes produced)",
                            static_cast<int>(result), produced, out.size()));
}

void inflate_lzma(std::span<const std::byte> in, std::span<std::byte> out, const io::BufferOrigin& origin,
                  size_t block_offset) {
  lzma_stream stream = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&stream, UINT64_MAX, 0) != LZMA_OK)
    block_error(origin, block_offset, "cannot initialise the LZMA decoder");
  stream.next_in = reinterpret_cast<const uint8_t*>(in.data());
  stream.avail_in = in.size();
  stream.next_out = reinterpret_cast<uint8_t*>(out.data());
  stream.avail_out = out.size();
  lzma_ret ret = lzma_code(&stream, LZMA_FINISH);
  size_t produced = out.size() - stream.avail_out;
  lzma_end(&stream);
  if ((ret != LZMA_STREAM_END && ret != LZMA_OK) || produced != out.size())
    block_error(origin, block_offset,
                fmt::format("LZMA block is corrupt (liblzma code {}, {} of {} bytes produced)",
                            static_cast<int>(ret), produced, out.size()));
}

void inflate_lz4(std::span<const std::byte> in, std::span<std::byte> out, const io::BufferOrigin& origin,
                 size_t block_offset) {
  if (in.size() < kLz4ChecksumSize)
    block_error(origin, block_offset, "LZ4 block is shorter than its checksum");
  uint64_t stored = io::load_big_endian<uint64_t>(in.data());
  auto payload = in.subspan(kLz4ChecksumSize);
  uint64_t computed = XXH64(payload.data(), payload.size(), 0);
  if (stored != computed)
    block_error(origin, block_offset,
                fmt::format("LZ4 block checksum mismatch: stored xxhash64 {:016x}, computed {:016x}", stored,
                            computed));
  int produced =
      LZ4_decompress_safe(reinterpret_cast<const char*>(payload.data()), reinterpret_cast<char*>(out.data()),
                          static_cast<int>(payload.size()), static_cast<int>(out.size()));
  if (produced < 0 || static_cast<size_t>(produced) != out.size())
    block_error(origin, block_offset,
                fmt::format("LZ4 block is corrupt ({} of {} bytes produced)", produced, out.size()));
}

void inflate_zstd(std::span<const std::byte> in, std::span<std::byte> out, const io::BufferOrigin& origin,
                  size_t block_offset) {
  size_t produced = ZSTD_decompressDCtx(thread_zstd(), out.data(), out.size(), in.data(), in.size());
  if (ZSTD_isError(produced) || produced != out.size())
    block_error(
        origin, block_offset,
        fmt::format("ZSTD block is corrupt ({})",
                    ZSTD_isError(produced) ? ZSTD_getErrorName(produced)
                                           : fmt::format("{} of {} bytes produced", produced, out.size())));
}

}  // namespace

std::string_view algorithm_name(CompressionAlgorithm algorithm) {
  switch (algorithm) {
    case CompressionAlgorithm::None: return "none";
    case CompressionAlgorithm::Zlib: return "zlib";
    case CompressionAlgorithm::Lzma: return "lzma";
    case CompressionAlgorithm::Lz4: return "lz4";
    case CompressionAlgorithm::Zstd: return "zstd";
    case CompressionAlgorithm::Mixed: return "mixed";
  }
  return "unknown";
}

uint64_t declared_size(std::span<const std::byte> compressed) {
  uint64_t total = 0;
  for (size_t in_pos = 0; compressed.size() - in_pos >= kBlockHeaderSize;) {
    const std::byte* header = compressed.data() + in_pos;
    total += three_bytes(header + 6);
    in_pos += kBlockHeaderSize + three_bytes(header + 3);
    if (in_pos > compressed.size()) break;
  }
  return total;
}

CompressionAlgorithm peek_algorithm(std::span<const std::byte> compressed) {
  if (compressed.size() < kBlockHeaderSize) return CompressionAlgorithm::None;
  return classify(compressed.data());
}

CompressionAlgorithm decompress(std::span<const std::byte> compressed, std::span<std::byte> out,
                                const io::BufferOrigin& origin) {
  size_t in_pos = 0;
  size_t out_pos = 0;
  CompressionAlgorithm seen = CompressionAlgorithm::None;
  while (out_pos < out.size()) {
    if (compressed.size() - in_pos < kBlockHeaderSize)
      block_error(origin, in_pos,
                  fmt::format("compressed payload ends after {} bytes, {} of {} bytes decompressed", in_pos,
                              out_pos, out.size()));
    const std::byte* header = compressed.data() + in_pos;
    CompressionAlgorithm algorithm = classify(header);
    if (algorithm == CompressionAlgorithm::None) {
      if (static_cast<char>(header[0]) == 'C' && static_cast<char>(header[1]) == 'S')
        throw UnsupportedError("ROOT's pre-zlib 'CS' compression algorithm is not supported",
                               {origin.file, origin.file_offset, origin.describe()});
      block_error(origin, in_pos,
                  fmt::format("unknown compression block tag {:02x} {:02x} (expected ZL, XZ, L4 or ZS)",
                              static_cast<unsigned>(header[0]), static_cast<unsigned>(header[1])));
    }
    uint32_t block_in = three_bytes(header + 3);
    uint32_t block_out = three_bytes(header + 6);
    if (block_in > compressed.size() - in_pos - kBlockHeaderSize)
      block_error(origin, in_pos,
                  fmt::format("block claims {} compressed bytes but only {} remain", block_in,
                              compressed.size() - in_pos - kBlockHeaderSize));
    if (block_out > out.size() - out_pos)
      block_error(origin, in_pos,
                  fmt::format("block claims {} uncompressed bytes but only {} of the object remain",
                              block_out, out.size() - out_pos));
    if (block_out == 0) block_error(origin, in_pos, "block claims 0 uncompressed bytes");
    auto block = compressed.subspan(in_pos + kBlockHeaderSize, block_in);
    auto target = out.subspan(out_pos, block_out);
    switch (algorithm) {
      case CompressionAlgorithm::Zlib: inflate_zlib(block, target, origin, in_pos); break;
      case CompressionAlgorithm::Lzma: inflate_lzma(block, target, origin, in_pos); break;
      case CompressionAlgorithm::Lz4: inflate_lz4(block, target, origin, in_pos); break;
      case CompressionAlgorithm::Zstd: inflate_zstd(block, target, origin, in_pos); break;
      default: break;
    }
    seen =
        (seen == CompressionAlgorithm::None || seen == algorithm) ? algorithm : CompressionAlgorithm::Mixed;
    in_pos += kBlockHeaderSize + block_in;
    out_pos += block_out;
  }
  return seen;
}

}  // namespace trigml::rootio

#include "parquet/codec.hpp"

#include <brotli/decode.h>
#include <libdeflate.h>
#include <lz4.h>
#include <snappy.h>
#include <zstd.h>

#include <cstring>

namespace trigml::parquet {

namespace {

// One LZ4 block of exactly out.size() bytes; false if the block is corrupt or of another size.
bool lz4_block(std::span<const std::byte> in, std::span<std::byte> out) {
  if (in.size() > LZ4_MAX_INPUT_SIZE || out.size() > LZ4_MAX_INPUT_SIZE) return false;
  int length =
      LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                          static_cast<int>(in.size()), static_cast<int>(out.size()));
  return length >= 0 && static_cast<size_t>(length) == out.size();
}

uint32_t big_endian_u32(const std::byte* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | static_cast<uint32_t>(p[3]);
}

// The LZ4 codec as Hadoop (parquet-mr) writes it: frames of a big-endian uncompressed size, a
// big-endian compressed size and one LZ4 block. False if the bytes are not such frames.
bool hadoop_lz4(std::span<const std::byte> in, std::span<std::byte> out) {
  size_t produced = 0;
  while (!in.empty()) {
    if (in.size() < 8) return false;
    const size_t uncompressed = big_endian_u32(in.data()), compressed = big_endian_u32(in.data() + 4);
    in = in.subspan(8);
    if (compressed > in.size() || uncompressed > out.size() - produced) return false;
    if (!lz4_block(in.first(compressed), out.subspan(produced, uncompressed))) return false;
    in = in.subspan(compressed);
    produced += uncompressed;
  }
  return produced == out.size();
}

}  // namespace

void compress(Codec codec, std::span<const std::byte> in, ByteBuffer& out, const CodecSettings& settings) {
  const char* data = reinterpret_cast<const char*>(in.data());
  switch (codec) {
    case Codec::Uncompressed:
      out.resize(in.size());
      if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
      return;
    case Codec::Snappy: {
      out.resize(snappy::MaxCompressedLength(in.size()));
      size_t length = 0;
      snappy::RawCompress(data, in.size(), reinterpret_cast<char*>(out.data()), &length);
      out.resize(length);
      return;
    }
    case Codec::Zstd: {
      out.resize(ZSTD_compressBound(in.size()));
      size_t length = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), settings.zstd_level);
      if (ZSTD_isError(length))
        throw InternalError(fmt::format("ZSTD compression failed: {}", ZSTD_getErrorName(length)));
      out.resize(length);
      return;
    }
    case Codec::Lz4Raw: {
      if (in.size() > LZ4_MAX_INPUT_SIZE)
        throw UsageError(fmt::format("a page of {} bytes is too large for LZ4", in.size()));
      out.resize(static_cast<size_t>(LZ4_compressBound(static_cast<int>(in.size()))));
      int length = LZ4_compress_fast(data, reinterpret_cast<char*>(out.data()), static_cast<int>(in.size()),
                                     static_cast<int>(out.size()), settings.lz4_acceleration);
      if (length <= 0 && !in.empty()) throw InternalError("LZ4 compression failed");
      out.resize(static_cast<size_t>(length));
      return;
    }
    default: throw UsageError(fmt::format("trigml does not write {} pages", codec_name(codec)));
  }
}

void decompress(Codec codec, std::span<const std::byte> in, std::span<std::byte> out,
                const ErrorContext& where) {
  switch (codec) {
    case Codec::Uncompressed:
      if (in.size() != out.size())
        throw FormatError(
            fmt::format("uncompressed page holds {} bytes, its header says {}", in.size(), out.size()),
            where);
      if (!in.empty()) std::memcpy(out.data(), in.data(), in.size());
      return;
    case Codec::Snappy: {
      size_t length = 0;
      const char* data = reinterpret_cast<const char*>(in.data());
      if (!snappy::GetUncompressedLength(data, in.size(), &length) || length != out.size() ||
          !snappy::RawUncompress(data, in.size(), reinterpret_cast<char*>(out.data())))
        throw FormatError(
            fmt::format("corrupt Snappy page ({} bytes, expected {} uncompressed)", in.size(), out.size()),
            where);
      return;
    }
    case Codec::Zstd: {
      size_t length = ZSTD_decompress(out.data(), out.size(), in.data(), in.size());
      if (ZSTD_isError(length) || length != out.size())
        throw FormatError(
            fmt::format("corrupt ZSTD page: {}",
                        ZSTD_isError(length) ? ZSTD_getErrorName(length) : "wrong uncompressed size"),
            where);
      return;
    }
    case Codec::Lz4Raw:
      if (!lz4_block(in, out))
        throw FormatError(
            fmt::format("corrupt LZ4 page ({} bytes, expected {} uncompressed)", in.size(), out.size()),
            where);
      return;
    case Codec::Lz4:
      // Deprecated: Hadoop's frames as the format says, or (older parquet-cpp) a bare LZ4 block.
      if (!hadoop_lz4(in, out) && !lz4_block(in, out))
        throw FormatError(
            fmt::format(
                "corrupt LZ4 page ({} bytes, expected {} uncompressed in Hadoop's frames or one block)",
                in.size(), out.size()),
            where);
      return;
    case Codec::Brotli: {
      size_t length = out.size();
      if (BrotliDecoderDecompress(in.size(), reinterpret_cast<const uint8_t*>(in.data()), &length,
                                  reinterpret_cast<uint8_t*>(out.data())) != BROTLI_DECODER_RESULT_SUCCESS ||
          length != out.size())
        throw FormatError(
            fmt::format("corrupt BROTLI page ({} bytes, expected {} uncompressed)", in.size(), out.size()),
            where);
      return;
    }
    case Codec::Gzip: {
      thread_local libdeflate_decompressor* inflater = libdeflate_alloc_decompressor();
      size_t length = 0;
      if (libdeflate_gzip_decompress(inflater, in.data(), in.size(), out.data(), out.size(), &length) !=
              LIBDEFLATE_SUCCESS ||
          length != out.size())
        throw FormatError("corrupt GZIP page", where);
      return;
    }
    default:
      throw UnsupportedError(
          fmt::format(
              "{} pages: trigml reads uncompressed, snappy, gzip, brotli, lz4, zstd and lz4_raw pages",
              codec_name(codec)),
          where);
  }
}

}  // namespace trigml::parquet

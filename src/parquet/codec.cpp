#include "parquet/codec.hpp"

#include <libdeflate.h>
#include <lz4.h>
#include <snappy.h>
#include <zstd.h>

#include <cstring>

namespace trigml::parquet {

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
    case Codec::Lz4Raw: {
      if (in.size() > LZ4_MAX_INPUT_SIZE || out.size() > LZ4_MAX_INPUT_SIZE)
        throw FormatError(
            fmt::format("LZ4 page of {} bytes ({} uncompressed) is too large", in.size(), out.size()), where);
      int length =
          LZ4_decompress_safe(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(out.data()),
                              static_cast<int>(in.size()), static_cast<int>(out.size()));
      if (length < 0 || static_cast<size_t>(length) != out.size())
        throw FormatError(
            fmt::format("corrupt LZ4 page ({} bytes, expected {} uncompressed)", in.size(), out.size()),
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
    default: throw UnsupportedError(fmt::format("{} pages are not supported", codec_name(codec)), where);
  }
}

}  // namespace trigml::parquet

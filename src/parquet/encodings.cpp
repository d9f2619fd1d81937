#include "parquet/encodings.hpp"

#include <cstring>
#include <limits>
#include <type_traits>

#include "parquet/levels.hpp"

namespace trigml::parquet {

namespace {

uint64_t read_uleb(io::Cursor& in) {
  uint64_t value = 0;
  for (int shift = 0;; shift += 7) {
    if (shift > 63) in.fail("varint of a delta header is too long");
    uint8_t b = in.u8();
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return value;
  }
}

uint64_t unzigzag(uint64_t v) {
  return (v >> 1) ^ (~(v & 1) + 1);
}

// Bits [bit, bit + width) of little-endian bit-packed `data` (width <= 64).
inline uint64_t unpack_bits(const std::byte* data, size_t bit, unsigned width) {
  if (width == 0) return 0;
  size_t byte = bit >> 3;
  const unsigned shift = bit & 7;
  uint64_t value = static_cast<uint64_t>(data[byte]) >> shift;
  for (unsigned got = 8 - shift; got < width; got += 8) value |= static_cast<uint64_t>(data[++byte]) << got;
  return width == 64 ? value : value & ((uint64_t{1} << width) - 1);
}

// DELTA_BINARY_PACKED (Encodings.md): a header (values per block, miniblocks per block, value
// count, first value), then blocks of a minimum delta, one bit width per miniblock and the
// miniblocks, each of which holds (delta - minimum) packed at its width. The last miniblock with
// values is padded to full size; later ones of the last block are absent.
template <typename T, typename Allocate, typename Store>
void decode_deltas(io::Cursor& in, size_t count, Allocate&& allocate, Store&& store) {
  using Unsigned = std::make_unsigned_t<T>;
  const uint64_t block_size = read_uleb(in), miniblocks = read_uleb(in), total = read_uleb(in);
  // Sizes as the format's 32-bit counts allow: a miniblock's bytes cannot overflow.
  if (block_size == 0 || block_size % 128 != 0 || block_size > (uint64_t{1} << 31) || miniblocks == 0 ||
      block_size % miniblocks != 0 || (block_size / miniblocks) % 32 != 0)
    in.fail(
        fmt::format("DELTA_BINARY_PACKED blocks of {} values in {} miniblocks: the format wants a "
                    "multiple of 128 in miniblocks of a multiple of 32",
                    block_size, miniblocks));
  if (total != count)
    in.fail(fmt::format("DELTA_BINARY_PACKED stream holds {} values where the page has {}", total, count));
  // Every block takes at least its minimum delta and bit widths: a bound on the values the bytes
  // can hold, checked before the caller's buffers are sized for them.
  if (count > 1 && (count - 2) / block_size >= in.remaining() / (1 + miniblocks))
    in.fail(fmt::format("{} DELTA_BINARY_PACKED values cannot fit in {} bytes", count, in.remaining()));
  auto value = static_cast<Unsigned>(unzigzag(read_uleb(in)));
  allocate();
  if (count == 0) return;
  store(0, static_cast<T>(value));
  const size_t per_miniblock = static_cast<size_t>(block_size / miniblocks);
  for (size_t done = 1; done < count;) {
    const auto min_delta = static_cast<Unsigned>(unzigzag(read_uleb(in)));
    const auto widths = in.bytes(static_cast<size_t>(miniblocks));
    for (size_t m = 0; m < miniblocks && done < count; ++m) {
      const auto width = static_cast<unsigned>(widths[m]);
      if (width > 8 * sizeof(T))
        in.fail(fmt::format("DELTA_BINARY_PACKED miniblock of {}-bit deltas for {}-bit values", width,
                            8 * sizeof(T)));
      const std::byte* packed = in.bytes(per_miniblock * width / 8).data();
      const size_t take = std::min(per_miniblock, count - done);
      for (size_t i = 0; i < take; ++i) {
        value += min_delta + static_cast<Unsigned>(unpack_bits(packed, i * width, width));
        store(done++, static_cast<T>(value));
      }
    }
  }
}

}  // namespace

template <typename T>
void decode_delta_binary_packed(io::Cursor& in, size_t count, ByteBuffer& out) {
  const size_t at = out.size();
  std::byte* target = nullptr;
  decode_deltas<T>(
      in, count,
      [&] {
        out.resize(at + count * sizeof(T));
        target = out.data() + at;
      },
      [&](size_t i, T v) { std::memcpy(target + i * sizeof(T), &v, sizeof(T)); });
}

template void decode_delta_binary_packed<int32_t>(io::Cursor&, size_t, ByteBuffer&);
template void decode_delta_binary_packed<int64_t>(io::Cursor&, size_t, ByteBuffer&);

void decode_delta_lengths(io::Cursor& in, size_t count, std::vector<int32_t>& out) {
  decode_deltas<int32_t>(
      in, count, [&] { out.resize(count); },
      [&](size_t i, int32_t v) {
        if (v < 0) in.fail(fmt::format("negative byte array length or prefix {}", v));
        out[i] = v;
      });
}

void decode_delta_length_byte_array(io::Cursor& in, size_t count, std::vector<int32_t>& lengths,
                                    std::vector<std::span<const std::byte>>& out) {
  decode_delta_lengths(in, count, lengths);
  for (int32_t length : lengths) out.push_back(in.bytes(static_cast<size_t>(length)));
}

void decode_delta_byte_array(io::Cursor& in, size_t count, std::vector<int32_t>& prefixes,
                             std::vector<int32_t>& lengths, std::vector<std::byte>& scratch,
                             std::vector<std::span<const std::byte>>& out) {
  decode_delta_lengths(in, count, prefixes);
  decode_delta_lengths(in, count, lengths);
  // Sized first, then filled: the views must not move.
  size_t total = 0;
  for (size_t i = 0, previous = 0; i < count; ++i) {
    const auto prefix = static_cast<size_t>(prefixes[i]);
    if (prefix > previous)
      in.fail(fmt::format("DELTA_BYTE_ARRAY value {} shares a prefix of {} bytes with a previous value of {}",
                          i, prefix, previous));
    previous = prefix + static_cast<size_t>(lengths[i]);
    total += previous;
  }
  // Shared prefixes may legitimately make the values much larger than the page, not beyond a
  // page's 32-bit size though.
  if (total > std::numeric_limits<uint32_t>::max())
    in.fail(fmt::format("DELTA_BYTE_ARRAY values of {} bytes from a {}-byte page", total, in.size()));
  scratch.resize(total);
  size_t at = 0;
  for (size_t i = 0; i < count; ++i) {
    const auto prefix = static_cast<size_t>(prefixes[i]);
    const auto suffix = in.bytes(static_cast<size_t>(lengths[i]));
    if (prefix > 0) std::memcpy(scratch.data() + at, out.back().data(), prefix);
    if (!suffix.empty()) std::memcpy(scratch.data() + at + prefix, suffix.data(), suffix.size());
    out.emplace_back(scratch.data() + at, prefix + suffix.size());
    at += prefix + suffix.size();
  }
}

void decode_byte_stream_split(io::Cursor& in, size_t count, size_t width, ByteBuffer& out) {
  if (width == 0 || in.remaining() / width != count || in.remaining() % width != 0)
    in.fail(fmt::format("BYTE_STREAM_SPLIT page holds {} bytes for {} values of {} bytes", in.remaining(),
                        count, width));
  const std::byte* streams = in.bytes(count * width).data();
  const size_t at = out.size();
  out.resize(at + count * width);
  std::byte* target = out.data() + at;
  for (size_t b = 0; b < width; ++b)
    for (size_t i = 0; i < count; ++i) target[i * width + b] = streams[b * count + i];
}

void transcode_bit_packed_levels(io::Cursor& in, int bits, size_t count, std::vector<std::byte>& hybrid) {
  const size_t bytes = (count * static_cast<size_t>(bits) + 7) / 8;
  const std::byte* packed = in.bytes(bytes).data();
  HybridEncoder encoder(bits);
  size_t bit = 0;
  for (size_t i = 0; i < count; ++i) {
    uint32_t level = 0;
    for (int k = 0; k < bits; ++k, ++bit)
      level = (level << 1) | ((static_cast<uint32_t>(packed[bit / 8]) >> (7 - bit % 8)) & 1);
    encoder.add(level, 1);
  }
  hybrid.clear();
  encoder.finish(hybrid);
}

}  // namespace trigml::parquet

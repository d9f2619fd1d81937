#include "parquet/levels.hpp"

namespace trigml::parquet {

namespace {

void put_varint(std::vector<std::byte>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(std::byte(static_cast<uint8_t>(v | 0x80)));
    v >>= 7;
  }
  out.push_back(std::byte(static_cast<uint8_t>(v)));
}

void put_value(std::vector<std::byte>& out, uint32_t value, int bits) {
  for (int b = 0; b < (bits + 7) / 8; ++b) out.push_back(std::byte(static_cast<uint8_t>(value >> (8 * b))));
}

// Bit-packs values[begin, begin + 8 × groups) (missing values are zero).
void put_packed(std::vector<std::byte>& out, std::span<const uint16_t> values, size_t begin, size_t groups, int bits) {
  put_varint(out, (groups << 1) | 1);
  uint64_t buffer = 0;
  int filled = 0;
  for (size_t i = 0; i < groups * 8; ++i) {
    uint64_t v = begin + i < values.size() ? values[begin + i] : 0;
    buffer |= v << filled;
    filled += bits;
    while (filled >= 8) {
      out.push_back(std::byte(static_cast<uint8_t>(buffer)));
      buffer >>= 8;
      filled -= 8;
    }
  }
}

}  // namespace

void encode_hybrid(std::span<const uint16_t> values, int bits, std::vector<std::byte>& out) {
  if (bits == 0) return;
  size_t i = 0;
  size_t packed_start = 0;  // values [packed_start, i) still need to be written bit-packed
  auto flush_packed = [&](size_t end) {
    // Bit-packed groups hold multiples of 8 values; the caller only flushes at such boundaries
    // or at the very end.
    if (end > packed_start) put_packed(out, values, packed_start, (end - packed_start + 7) / 8, bits);
    packed_start = end;
  };
  while (i < values.size()) {
    size_t run = 1;
    while (i + run < values.size() && values[i + run] == values[i]) ++run;
    // Long runs that start on a group boundary of the pending packed values become RLE runs.
    if (run >= 8 && (i - packed_start) % 8 == 0) {
      flush_packed(i);
      put_varint(out, run << 1);
      put_value(out, values[i], bits);
      i += run;
      packed_start = i;
    } else {
      i += run;
    }
  }
  flush_packed(values.size());
}

void decode_hybrid(rootio::Cursor& in, int bits, size_t count, std::vector<uint32_t>& out) {
  out.clear();
  out.reserve(count);
  if (bits == 0) {
    out.assign(count, 0);
    return;
  }
  if (bits > 32) in.fail(fmt::format("level or index bit width {} is impossible", bits));
  const uint64_t mask = bits == 32 ? 0xFFFFFFFFull : (uint64_t{1} << bits) - 1;
  while (out.size() < count) {
    uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      if (shift > 63) in.fail("run header varint is too long");
      uint8_t b = in.u8();
      header |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    if (header & 1) {
      uint64_t groups = header >> 1;
      uint64_t bytes = groups * static_cast<uint64_t>(bits);
      if (bytes > in.remaining()) in.fail(fmt::format("bit-packed run of {} groups runs past the end", groups));
      auto data = in.bytes(static_cast<size_t>(bytes));
      uint64_t buffer = 0;
      int filled = 0;
      size_t position = 0;
      for (uint64_t v = 0; v < groups * 8 && out.size() < count; ++v) {
        while (filled < bits) {
          buffer |= static_cast<uint64_t>(data[position++]) << filled;
          filled += 8;
        }
        out.push_back(static_cast<uint32_t>(buffer & mask));
        buffer >>= bits;
        filled -= bits;
      }
    } else {
      uint64_t run = header >> 1;
      if (run == 0) in.fail("empty RLE run");
      uint32_t value = 0;
      for (int b = 0; b < (bits + 7) / 8; ++b) value |= static_cast<uint32_t>(in.u8()) << (8 * b);
      if (run > count - out.size()) run = count - out.size();
      out.insert(out.end(), run, value);
    }
  }
}

}  // namespace trigml::parquet

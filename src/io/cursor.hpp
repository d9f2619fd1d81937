// Layer 2 of the reader: a position in a byte buffer plus big-endian (and little-endian) decoders.
// Every read is bounds-checked; a failure names the file, the object being read and the offset.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "common/error.hpp"

namespace trigml::io {

// Where a buffer came from, for error messages.
struct BufferOrigin {
  std::string file;
  std::string object;         // "key 'events;1' (TTree)", "file footer"
  uint64_t file_offset = 0;   // file offset of the buffer's first byte, or of its key if decompressed
  bool decompressed = false;  // offsets inside the buffer are then not file offsets
  // A basket is named by its branch and index, formatted only when an error is described: the
  // tree reader has one origin per basket, and formatting its name costs as much as
  // decompressing a small basket. When `basket_branch` is set, `object` is not used.
  const std::string* basket_branch = nullptr;
  size_t basket_index = 0;
  bool basket_embedded = false;  // kept inside the TTree object rather than written on its own

  // `object`, or "basket 3 of branch 'Jet.PT'".
  std::string describe() const;
};

// The value with its bytes in the other order: ROOT's big-endian <-> this machine's little-endian.
template <typename T>
inline T byte_swapped(T value) {
  if constexpr (sizeof(T) == 1) {
    return value;
  } else {
    using U =
        std::conditional_t<sizeof(T) == 2, uint16_t, std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>>;
    U bits = std::bit_cast<U>(value);
    if constexpr (sizeof(T) == 2) bits = __builtin_bswap16(bits);
    if constexpr (sizeof(T) == 4) bits = __builtin_bswap32(bits);
    if constexpr (sizeof(T) == 8) bits = __builtin_bswap64(bits);
    return std::bit_cast<T>(bits);
  }
}

template <typename T>
inline T load_big_endian(const std::byte* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return byte_swapped(value);
}

class Cursor {
 public:
  Cursor(std::span<const std::byte> data, const BufferOrigin* origin, size_t position = 0)
      : data_(data), origin_(origin), position_(position) {}

  size_t position() const { return position_; }
  size_t size() const { return data_.size(); }
  size_t remaining() const { return data_.size() - position_; }
  std::span<const std::byte> data() const { return data_; }
  const BufferOrigin* origin() const { return origin_; }

  void seek(size_t position) {
    if (position > data_.size())
      fail(fmt::format("jump to byte {} is past the end of a {}-byte buffer", position, data_.size()));
    position_ = position;
  }
  void skip(size_t n) { require(n), position_ += n; }

  template <typename T>
  T read() {
    require(sizeof(T));
    T value = load_big_endian<T>(data_.data() + position_);
    position_ += sizeof(T);
    return value;
  }
  // RNTuple envelopes and pages are little-endian, unlike the rest of a ROOT file.
  template <typename T>
  T read_little_endian() {
    static_assert(std::endian::native == std::endian::little, "trigml reads on little-endian machines");
    require(sizeof(T));
    T value;
    std::memcpy(&value, data_.data() + position_, sizeof(T));
    position_ += sizeof(T);
    return value;
  }
  uint8_t u8() { return read<uint8_t>(); }
  int8_t i8() { return read<int8_t>(); }
  uint16_t u16() { return read<uint16_t>(); }
  int16_t i16() { return read<int16_t>(); }
  uint32_t u32() { return read<uint32_t>(); }
  int32_t i32() { return read<int32_t>(); }
  uint64_t u64() { return read<uint64_t>(); }
  int64_t i64() { return read<int64_t>(); }
  float f32() { return read<float>(); }
  double f64() { return read<double>(); }

  std::span<const std::byte> bytes(size_t n) {
    require(n);
    auto out = data_.subspan(position_, n);
    position_ += n;
    return out;
  }
  // A TString: one length byte, or 255 followed by a 32-bit length, then the characters.
  std::string tstring();
  // A NUL-terminated string (class names in object headers).
  std::string cstring();
  // Skips a TString without copying its characters.
  void skip_tstring() {
    uint32_t length = u8();
    if (length == 255) length = u32();
    skip(length);
  }

  // Throws FormatError naming the file, object and offset of the current position.
  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void fail_at(size_t position, const std::string& what) const;

  void require(size_t n) const {
    if (n > data_.size() - position_) [[unlikely]]
      fail(fmt::format("needed {} bytes but only {} remain in a {}-byte buffer", n, data_.size() - position_,
                       data_.size()));
  }

 private:
  std::span<const std::byte> data_;
  const BufferOrigin* origin_;
  size_t position_;
};

// Builds the error context for a position inside a buffer of the given origin.
ErrorContext context_at(const BufferOrigin* origin, size_t position);

}  // namespace trigml::io

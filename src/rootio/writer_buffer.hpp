// Serialization buffer for the writer: big-endian primitives, TStrings, byte counts and ROOT's
// object/class references (the inverse of Cursor, plus the bookkeeping of TBufferFile's map).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "io/cursor.hpp"

namespace trigml::rootio {

// Stores `value` big-endian at `out`.
template <typename T>
inline void store_big_endian(std::byte* out, T value) {
  T swapped = io::byte_swapped(value);
  std::memcpy(out, &swapped, sizeof(T));
}

class OutBuffer {
 public:
  // ROOT's object and class references are offsets from the start of the key that will hold the
  // buffer, so they count the key header (`reference_base` = its fKeylen) that precedes the object.
  explicit OutBuffer(uint32_t reference_base = 0) : reference_base_(reference_base) {}

  void reset(uint32_t reference_base) {
    data_.clear();
    classes_.clear();
    reference_base_ = reference_base;
  }

  std::span<const std::byte> bytes() const { return data_; }
  size_t size() const { return data_.size(); }

  template <typename T>
  void put(T value) {
    const size_t at = data_.size();
    data_.resize(at + sizeof(T));
    store_big_endian(data_.data() + at, value);
  }
  template <typename T>
  void put_at(size_t position, T value) {
    if (position + sizeof(T) > data_.size()) throw InternalError("patch past the end of an output buffer");
    store_big_endian(data_.data() + position, value);
  }
  void u8(uint8_t v) { put(v); }
  void i16(int16_t v) { put(v); }
  void i32(int32_t v) { put(v); }
  void u32(uint32_t v) { put(v); }
  void i64(int64_t v) { put(v); }
  void f32(float v) { put(v); }
  void f64(double v) { put(v); }
  void bytes(std::span<const std::byte> b) { data_.insert(data_.end(), b.begin(), b.end()); }

  // A TString: one length byte, or 255 and a 32-bit length for 255 characters and more.
  void tstring(std::string_view s) {
    if (s.size() < 255) {
      u8(static_cast<uint8_t>(s.size()));
    } else {
      u8(255);
      i32(static_cast<int32_t>(s.size()));
    }
    bytes(std::as_bytes(std::span(s.data(), s.size())));
  }

  // Byte count + version, as TBufferFile::WriteVersion(cl, kTRUE). Returns the position to pass to
  // end_versioned(), which patches the count once the object is complete.
  size_t begin_versioned(int16_t version) {
    const size_t start = data_.size();
    u32(0);
    i16(version);
    return start;
  }
  void end_versioned(size_t start) { patch_byte_count(start); }

  // TObject's own streamer: version 1, fUniqueID, fBits (no byte count).
  void tobject(uint32_t bits) {
    i16(1);
    u32(0);
    u32(bits);
  }

  // An object written through a pointer (TBufferFile::WriteObjectAny): byte count, then the class,
  // as its name the first time and as a reference afterwards. Returns the object's start position;
  // reference_to(start) is what later pointers to the same object write.
  size_t begin_object(std::string_view class_name) {
    const size_t start = data_.size();
    u32(0);
    for (const auto& [name, tag] : classes_) {
      if (name == class_name) {
        u32(tag | kClassMask);
        return start;
      }
    }
    const size_t tag_position = data_.size();
    u32(kNewClassTag);
    bytes(std::as_bytes(std::span(class_name.data(), class_name.size())));
    u8(0);
    classes_.emplace_back(std::string(class_name), reference_to(tag_position));
    return start;
  }
  void end_object(size_t start) { patch_byte_count(start); }
  uint32_t reference_to(size_t position) const {
    return static_cast<uint32_t>(position + reference_base_ + kMapOffset);
  }
  void object_reference(uint32_t reference) { u32(reference); }
  void null_pointer() { u32(0); }

 private:
  static constexpr uint32_t kByteCountMask = 0x40000000;
  static constexpr uint32_t kClassMask = 0x80000000;
  static constexpr uint32_t kNewClassTag = 0xffffffff;
  static constexpr uint32_t kMapOffset = 2;

  void patch_byte_count(size_t start) {
    const size_t count = data_.size() - start - sizeof(uint32_t);
    if (count >= kByteCountMask) throw UnsupportedError("object larger than ROOT's 1 GB byte-count limit");
    put_at(start, static_cast<uint32_t>(count) | kByteCountMask);
  }

  std::vector<std::byte> data_;
  std::vector<std::pair<std::string, uint32_t>> classes_;  // class name -> reference of its first mention
  uint32_t reference_base_;
};

}  // namespace trigml::rootio

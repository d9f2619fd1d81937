// Thrift's compact protocol, the encoding of Parquet's footer and page headers: just what
// Parquet needs, written by hand (a few hundred lines; no libthrift, no generated code).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/cursor.hpp"

namespace trigml::parquet::thrift {

enum class Type : uint8_t {
  Stop = 0,
  True = 1,
  False = 2,
  Byte = 3,
  I16 = 4,
  I32 = 5,
  I64 = 6,
  Double = 7,
  Binary = 8,
  List = 9,
  Set = 10,
  Map = 11,
  Struct = 12
};

class Writer {
 public:
  explicit Writer(std::vector<std::byte>& out) : out_(out) {}
  void begin_struct() { last_field_.push_back(0); }
  void end_struct() {
    byte(0);
    last_field_.pop_back();
  }
  void field(int16_t id, Type type);
  void field_i32(int16_t id, int32_t v) { field(id, Type::I32), varint(zigzag(v)); }
  void field_i64(int16_t id, int64_t v) { field(id, Type::I64), varint(zigzag(v)); }
  void field_bool(int16_t id, bool v) { field(id, v ? Type::True : Type::False); }
  void field_binary(int16_t id, std::span<const std::byte> v) { field(id, Type::Binary), binary(v); }
  void field_string(int16_t id, const std::string& v) {
    field_binary(id, {reinterpret_cast<const std::byte*>(v.data()), v.size()});
  }
  void field_byte(int16_t id, int8_t v) { field(id, Type::Byte), byte(static_cast<uint8_t>(v)); }
  void list_header(Type element, size_t size);
  void varint(uint64_t v);
  void binary(std::span<const std::byte> v);
  void string(const std::string& v) { binary({reinterpret_cast<const std::byte*>(v.data()), v.size()}); }
  static uint64_t zigzag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }

 private:
  void byte(uint8_t b) { out_.push_back(std::byte{b}); }
  std::vector<std::byte>& out_;
  std::vector<int16_t> last_field_;
};

// Reads fields one by one; unknown fields are skipped, so newer writers' additions are harmless.
class Reader {
 public:
  explicit Reader(io::Cursor& cursor) : cursor_(cursor) {}
  void begin_struct() { last_field_.push_back(0); }
  void end_struct() { last_field_.pop_back(); }
  // The next field's id and type; Type::Stop at the end of the struct.
  std::pair<int16_t, Type> field();
  int64_t integer(Type type);  // I16, I32, I64 (zigzag varints), Byte
  bool boolean(Type type) { return type == Type::True; }
  std::string binary();
  double real();
  std::pair<Type, size_t> list_header();
  void skip(Type type);
  uint64_t varint();
  io::Cursor& cursor() { return cursor_; }

 private:
  io::Cursor& cursor_;
  std::vector<int16_t> last_field_;
  int depth_ = 0;
};

}  // namespace trigml::parquet::thrift

#include "parquet/thrift.hpp"

namespace trigml::parquet::thrift {

void Writer::field(int16_t id, Type type) {
  int16_t delta = static_cast<int16_t>(id - last_field_.back());
  if (delta > 0 && delta <= 15) {
    byte(static_cast<uint8_t>((delta << 4) | static_cast<uint8_t>(type)));
  } else {
    byte(static_cast<uint8_t>(type));
    varint(zigzag(id));
  }
  last_field_.back() = id;
}

void Writer::list_header(Type element, size_t size) {
  if (size < 15) {
    byte(static_cast<uint8_t>((size << 4) | static_cast<uint8_t>(element)));
  } else {
    byte(static_cast<uint8_t>(0xF0 | static_cast<uint8_t>(element)));
    varint(size);
  }
}

void Writer::varint(uint64_t v) {
  while (v >= 0x80) {
    byte(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  byte(static_cast<uint8_t>(v));
}

void Writer::binary(std::span<const std::byte> v) {
  varint(v.size());
  out_.insert(out_.end(), v.begin(), v.end());
}

uint64_t Reader::varint() {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    uint8_t b = cursor_.u8();
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return value;
  }
  cursor_.fail("thrift varint longer than 10 bytes");
}

std::pair<int16_t, Type> Reader::field() {
  uint8_t header = cursor_.u8();
  auto type = static_cast<Type>(header & 0x0f);
  if (type == Type::Stop) return {0, Type::Stop};
  if (static_cast<uint8_t>(type) > 12)
    cursor_.fail(fmt::format("thrift field of unknown type {}", header & 0x0f));
  int16_t id;
  if (header >> 4) {
    id = static_cast<int16_t>(last_field_.back() + (header >> 4));
  } else {
    uint64_t z = varint();
    id = static_cast<int16_t>(static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1));
  }
  last_field_.back() = id;
  return {id, type};
}

int64_t Reader::integer(Type type) {
  if (type == Type::Byte) return static_cast<int8_t>(cursor_.u8());
  if (type != Type::I16 && type != Type::I32 && type != Type::I64)
    cursor_.fail(fmt::format("expected a thrift integer, found type {}", static_cast<int>(type)));
  uint64_t z = varint();
  return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
}

std::string Reader::binary() {
  uint64_t n = varint();
  if (n > cursor_.remaining()) cursor_.fail(fmt::format("thrift string of {} bytes runs past the end", n));
  auto bytes = cursor_.bytes(n);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

double Reader::real() {
  auto bytes = cursor_.bytes(8);
  double v;
  std::memcpy(&v, bytes.data(), 8);  // little-endian on disk, as on every platform trigml runs on
  return v;
}

std::pair<Type, size_t> Reader::list_header() {
  uint8_t header = cursor_.u8();
  size_t size = header >> 4;
  if (size == 15) size = varint();
  if (size > cursor_.remaining())
    cursor_.fail(fmt::format("thrift list of {} elements runs past the end", size));
  return {static_cast<Type>(header & 0x0f), size};
}

void Reader::skip(Type type) {
  if (++depth_ > 64) cursor_.fail("thrift structures nested more than 64 deep");
  switch (type) {
    case Type::True:
    case Type::False: break;
    case Type::Byte: cursor_.u8(); break;
    case Type::I16:
    case Type::I32:
    case Type::I64: varint(); break;
    case Type::Double: cursor_.skip(8); break;
    case Type::Binary: binary(); break;
    case Type::List:
    case Type::Set: {
      auto [element, size] = list_header();
      for (size_t i = 0; i < size; ++i)
        skip(element == Type::False || element == Type::True ? Type::Byte : element);
      break;
    }
    case Type::Map: {
      uint64_t size = varint();
      if (size > cursor_.remaining()) cursor_.fail("thrift map runs past the end");
      if (size) {
        uint8_t types = cursor_.u8();
        for (uint64_t i = 0; i < size; ++i)
          skip(static_cast<Type>(types >> 4)), skip(static_cast<Type>(types & 0xf));
      }
      break;
    }
    case Type::Struct: {
      begin_struct();
      for (auto [id, t] = field(); t != Type::Stop; std::tie(id, t) = field()) skip(t);
      end_struct();
      break;
    }
    default: cursor_.fail(fmt::format("cannot skip thrift type {}", static_cast<int>(type)));
  }
  --depth_;
}

}  // namespace trigml::parquet::thrift

#include "io/cursor.hpp"

namespace trigml::io {

std::string Cursor::tstring() {
  uint32_t length = u8();
  if (length == 255) length = u32();
  auto chars = bytes(length);
  return std::string(reinterpret_cast<const char*>(chars.data()), chars.size());
}

std::string Cursor::cstring() {
  const std::byte* begin = data_.data() + position_;
  const void* end = std::memchr(begin, 0, remaining());
  if (end == nullptr) fail("unterminated string");
  size_t length = static_cast<size_t>(static_cast<const std::byte*>(end) - begin);
  std::string out(reinterpret_cast<const char*>(begin), length);
  position_ += length + 1;
  return out;
}

std::string BufferOrigin::describe() const {
  if (basket_branch == nullptr) return object;
  if (basket_embedded) return fmt::format("embedded basket of branch '{}'", *basket_branch);
  return fmt::format("basket {} of branch '{}'", basket_index, *basket_branch);
}

ErrorContext context_at(const BufferOrigin* origin, size_t position) {
  if (origin == nullptr) return ErrorContext{"", position, ""};
  ErrorContext context{origin->file, origin->file_offset, origin->describe()};
  if (!origin->decompressed) {
    context.offset = origin->file_offset + position;
  } else {
    context.object += fmt::format(", byte {} of the decompressed object at", position);
  }
  return context;
}

void Cursor::fail(const std::string& what) const {
  fail_at(position_, what);
}

void Cursor::fail_at(size_t position, const std::string& what) const {
  throw FormatError(what, context_at(origin_, position));
}

}  // namespace trigml::io

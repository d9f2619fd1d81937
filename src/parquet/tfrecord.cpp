#include "parquet/tfrecord.hpp"

#include <array>
#include <cstring>

namespace trigml::parquet {

namespace {

std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;  // Castagnoli, reflected
    table[i] = c;
  }
  return table;
}

void varint(std::vector<std::byte>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(std::byte(static_cast<uint8_t>(v | 0x80)));
    v >>= 7;
  }
  out.push_back(std::byte(static_cast<uint8_t>(v)));
}

// A length-delimited protobuf field: tag, length, bytes.
void message_field(std::vector<std::byte>& out, int field, std::span<const std::byte> bytes) {
  varint(out, static_cast<uint64_t>(field << 3 | 2));
  varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

uint32_t crc32c(std::span<const std::byte> data) {
  static const auto table = make_table();
  uint32_t crc = 0xFFFFFFFFu;
  for (std::byte b : data) crc = table[(crc ^ static_cast<uint8_t>(b)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(std::span<const std::byte> data) {
  uint32_t crc = crc32c(data);
  return ((crc >> 15) | (crc << 17)) + 0xa282ead8u;
}

void ExampleBuilder::add_floats(const std::string& name, std::span<const float> values) {
  // Feature { float_list (2): FloatList { value (1), packed } }
  std::vector<std::byte> list;
  message_field(list, 1, std::as_bytes(values));
  feature_.clear();
  message_field(feature_, 2, list);
  entry_.clear();
  message_field(entry_, 1, std::as_bytes(std::span(name.data(), name.size())));
  message_field(entry_, 2, feature_);
  message_field(features_, 1, entry_);
}

void ExampleBuilder::add_int64s(const std::string& name, std::span<const int64_t> values) {
  std::vector<std::byte> packed;
  for (int64_t v : values) varint(packed, static_cast<uint64_t>(v));
  std::vector<std::byte> list;
  message_field(list, 1, packed);
  feature_.clear();
  message_field(feature_, 3, list);
  entry_.clear();
  message_field(entry_, 1, std::as_bytes(std::span(name.data(), name.size())));
  message_field(entry_, 2, feature_);
  message_field(features_, 1, entry_);
}

const std::vector<std::byte>& ExampleBuilder::finish() {
  example_.clear();
  message_field(example_, 1, features_);  // Example { features (1): Features { feature (1): map } }
  return example_;
}

TFRecordWriter::TFRecordWriter(const std::filesystem::path& path) : file_(path) {}

void TFRecordWriter::write(std::span<const std::byte> record) {
  // length (8, little-endian) | masked CRC of the length (4) | record | masked CRC of the record (4)
  buffer_.resize(16 + record.size());
  uint64_t length = record.size();
  std::memcpy(buffer_.data(), &length, 8);
  uint32_t header_crc = masked_crc32c(std::span<const std::byte>(buffer_.data(), 8));
  std::memcpy(buffer_.data() + 8, &header_crc, 4);
  if (!record.empty()) std::memcpy(buffer_.data() + 12, record.data(), record.size());
  uint32_t data_crc = masked_crc32c(record);
  std::memcpy(buffer_.data() + 12 + record.size(), &data_crc, 4);
  file_.write(buffer_);
  ++records_;
}

void TFRecordWriter::close() {
  file_.commit();
}

}  // namespace trigml::parquet

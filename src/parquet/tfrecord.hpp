// TFRecord files of tf.train.Example records, for TensorFlow users: each record is a
// little-endian length, its masked CRC32C, the serialized Example, and the Example's masked CRC32C.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/atomic_file.hpp"

namespace trigml::parquet {

uint32_t crc32c(std::span<const std::byte> data);
uint32_t masked_crc32c(std::span<const std::byte> data);  // as TensorFlow stores it

// Builds one tf.train.Example (protobuf wire format) feature by feature; reusable.
class ExampleBuilder {
 public:
  void clear() { features_.clear(); }
  void add_floats(const std::string& name, std::span<const float> values);
  void add_int64s(const std::string& name, std::span<const int64_t> values);
  // The serialized Example.
  const std::vector<std::byte>& finish();

 private:
  std::vector<std::byte> features_;  // serialized map entries
  std::vector<std::byte> feature_, entry_, example_;
};

class TFRecordWriter {
 public:
  explicit TFRecordWriter(const std::filesystem::path& path);
  void write(std::span<const std::byte> record);
  void close();
  uint64_t records() const { return records_; }

 private:
  AtomicFile file_;
  uint64_t records_ = 0;
  std::vector<std::byte> buffer_;
};

}  // namespace trigml::parquet

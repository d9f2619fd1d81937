// The original pipeline's TFRecord layout, for TensorFlow users: one tf.train.Example per event
// with float lists HLF_input (14), GRU_input (padded to 801 × 19, flattened particle by particle,
// padding after the last real particle) and encoded_label (3).
#pragma once

#include <cstdint>
#include <filesystem>

namespace trigml::prepare {

struct ExportSummary {
  uint64_t records = 0;
  uint64_t files = 0;
};

// Writes OUT/train/part-NNNNN.tfrecord and OUT/test/... for a prepared dataset directory.
ExportSummary export_tfrecord(const std::filesystem::path& prepared, const std::filesystem::path& out);

}  // namespace trigml::prepare

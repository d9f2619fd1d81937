// Writes ROOT files with TTrees of flat, fixed-size-array and counter-indexed jagged branches
// that CERN ROOT, uproot and JSROOT read. Data arrives in column batches, never entry by entry.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

namespace trigml::rootio {

enum class Compression { None, Zlib, LZ4, ZSTD };

struct WriterOptions {
  Compression compression = Compression::Zlib;
  int level = 1;                      // ROOT's compression level (1..9)
  uint32_t basket_bytes = 64 * 1024;  // target uncompressed basket size
  uint64_t cluster_entries = 10000;   // baskets of all branches end at multiples of this
  uint64_t seed = 0;                  // dates and UUIDs are derived from it: same seed, same bytes
};

enum class LeafType { Bool, UInt8, Int32, Int64, Float32, Float64 };

using BranchId = uint32_t;

class TreeWriter {
 public:
  virtual ~TreeWriter() = default;

  // Declaring branches, before the first batch. Names may contain dots ("Electron.PT").
  virtual BranchId add_scalar(const std::string& name, LeafType type) = 0;
  virtual BranchId add_fixed_array(const std::string& name, LeafType type, uint32_t length) = 0;
  // An int32 counter branch ("Electron_size"), the length of each entry of its jagged branches.
  virtual BranchId add_counter(const std::string& name) = 0;
  virtual BranchId add_jagged(const std::string& name, LeafType type, BranchId counter) = 0;

  // Filling, one batch of entries at a time: every branch receives the batch's values
  // (scalars: one per entry; fixed arrays: length per entry; jagged: the concatenated values,
  // whose count must equal the sum of the counter's values), then end_batch(entries).
  virtual void fill(BranchId branch, std::span<const uint8_t> values) = 0;  // Bool and UInt8
  virtual void fill(BranchId branch, std::span<const int32_t> values) = 0;  // Int32 and counters
  virtual void fill(BranchId branch, std::span<const int64_t> values) = 0;
  virtual void fill(BranchId branch, std::span<const float> values) = 0;
  virtual void fill(BranchId branch, std::span<const double> values) = 0;
  virtual void end_batch(uint64_t entries) = 0;
};

class FileWriter {
 public:
  // The file is written under a temporary name and appears at `path` only when close() succeeds.
  static std::unique_ptr<FileWriter> create(const std::filesystem::path& path, WriterOptions options = {});
  virtual ~FileWriter() = default;

  virtual TreeWriter& add_tree(const std::string& name, const std::string& title) = 0;
  // A TNamed key in the top directory (metadata such as the generated process).
  virtual void add_named(const std::string& name, const std::string& title) = 0;
  // Flushes every tree, writes the streamer-info record, keys list and free segments, renames.
  virtual void close() = 0;
};

}  // namespace trigml::rootio

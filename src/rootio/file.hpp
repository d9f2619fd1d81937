// Layer 3 of the reader: a ROOT file's header, keys, directories and streamer records.
// Objects are located through keys; their (possibly compressed) payload is read on demand.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/cursor.hpp"
#include "io/source.hpp"
#include "rootio/decompress.hpp"
#include "rootio/streamer.hpp"
#include "rootio/value.hpp"

namespace trigml::rootio {

struct FileHeader {
  int32_t version = 0;  // ROOT version that wrote the file (+1000000 for 64-bit seeks)
  uint64_t begin = 0;   // fBEGIN: first key
  uint64_t end = 0;     // fEND: end of used space
  uint64_t seek_free = 0;
  uint32_t nbytes_free = 0;
  uint32_t nbytes_name = 0;
  uint8_t units = 4;       // bytes per seek pointer
  int32_t compress = 0;    // algorithm * 100 + level
  uint64_t seek_info = 0;  // streamer-info key
  uint32_t nbytes_info = 0;
  bool large() const { return version >= 1000000; }
};

struct Key {
  int32_t nbytes = 0;  // key header plus (compressed) payload
  int16_t version = 0;
  int32_t object_length = 0;  // uncompressed payload size
  uint32_t datime = 0;
  int16_t key_length = 0;
  int16_t cycle = 0;
  uint64_t seek_key = 0;
  uint64_t seek_parent_directory = 0;
  std::string class_name;
  std::string name;
  std::string title;

  bool compressed() const { return object_length != nbytes - key_length; }
  std::string describe() const;  // "key 'events;1' (TTree)"
};

// Whether a key header's class name, name and title are copied out or only skipped (the tree
// reader needs only the sizes of a basket's key, and copying its names would allocate per basket).
enum class KeyNames { Read, Skip };

// Parses a key header at the cursor.
Key read_key_header(io::Cursor& cursor, KeyNames names = KeyNames::Read);

struct KeyEntry {
  std::string path;  // "dir/sub/name"
  Key key;
};

class RootFile : public std::enable_shared_from_this<RootFile> {
 public:
  static std::shared_ptr<RootFile> open(const std::string& location);
  static std::shared_ptr<RootFile> open(std::unique_ptr<io::ByteSource> source);

  const std::string& name() const { return source_->name(); }
  const io::ByteSource& source() const { return *source_; }
  const FileHeader& header() const { return header_; }
  const StreamerRegistry& streamers() const { return streamers_; }

  // Every key, recursing into subdirectories, in file order.
  std::vector<KeyEntry> keys(bool recursive = true) const;
  // The key at a path ("tree", "dir/tree"); the highest cycle unless one is given ("tree;1" also works).
  KeyEntry find_key(std::string_view path, std::optional<int> cycle = std::nullopt) const;

  // The key's payload, decompressed.
  std::vector<std::byte> read_payload(const Key& key, CompressionAlgorithm* algorithm = nullptr) const;
  // The object stored under a key, read through its streamer (TTree, TNamed, histograms ...).
  Value read_object(const Key& key) const;

 private:
  explicit RootFile(std::unique_ptr<io::ByteSource> source);
  void read_header();
  std::vector<Key> read_directory_keys(uint64_t directory_offset, uint32_t directory_bytes,
                                       std::string_view where) const;
  void read_streamers();

  std::unique_ptr<io::ByteSource> source_;
  FileHeader header_;
  std::vector<Key> top_keys_;
  StreamerRegistry streamers_;
};

}  // namespace trigml::rootio

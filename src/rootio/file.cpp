#include "rootio/file.hpp"

#include <algorithm>
#include <functional>

#include "rootio/object.hpp"

namespace trigml::rootio {

namespace {

constexpr size_t kMaxKeyHeader = 4096;  // class name, name and title are short; this bounds one read

bool is_directory_class(std::string_view name) {
  return name == "TDirectory" || name == "TDirectoryFile";
}

}  // namespace

std::string Key::describe() const {
  return fmt::format("key '{};{}' ({})", name, cycle, class_name);
}

Key read_key_header(io::Cursor& cursor, KeyNames names) {
  Key key;
  size_t start = cursor.position();
  key.nbytes = cursor.i32();
  key.version = cursor.i16();
  key.object_length = cursor.i32();
  key.datime = cursor.u32();
  key.key_length = cursor.i16();
  key.cycle = cursor.i16();
  if (key.version > 1000) {
    key.seek_key = cursor.u64();
    key.seek_parent_directory = cursor.u64();
  } else {
    key.seek_key = cursor.u32();
    key.seek_parent_directory = cursor.u32();
  }
  if (names == KeyNames::Read) {
    key.class_name = cursor.tstring();
    key.name = cursor.tstring();
    key.title = cursor.tstring();
  } else {
    for (int i = 0; i < 3; ++i) cursor.skip_tstring();
  }
  if (key.nbytes < 0 || key.object_length < 0 || key.key_length < 0)
    cursor.fail_at(start, fmt::format("key header has negative sizes (nbytes {}, objlen {}, keylen {})",
                                      key.nbytes, key.object_length, key.key_length));
  if (static_cast<size_t>(key.key_length) < cursor.position() - start)
    cursor.fail_at(start, fmt::format("key header length {} is shorter than its {} bytes of fields",
                                      key.key_length, cursor.position() - start));
  return key;
}

std::shared_ptr<RootFile> RootFile::open(const std::string& location) {
  return open(io::open_source(location));
}

std::shared_ptr<RootFile> RootFile::open(std::unique_ptr<io::ByteSource> source) {
  std::shared_ptr<RootFile> file(new RootFile(std::move(source)));
  file->read_header();
  file->read_streamers();
  return file;
}

RootFile::RootFile(std::unique_ptr<io::ByteSource> source) : source_(std::move(source)) {}

void RootFile::read_header() {
  constexpr uint64_t kHeaderBytes = 64;
  uint64_t available = std::min<uint64_t>(kHeaderBytes, source_->size());
  auto bytes = source_->read(0, available);
  io::BufferOrigin origin{name(), "file header", 0, false};
  io::Cursor cursor(bytes, &origin);
  if (bytes.size() < 4 || std::string_view(reinterpret_cast<const char*>(bytes.data()), 4) != "root")
    throw FormatError("not a ROOT file: the first bytes are not 'root'", {name(), 0});
  cursor.skip(4);
  header_.version = cursor.i32();
  header_.begin = cursor.u32();
  if (header_.large()) {
    header_.end = cursor.u64();
    header_.seek_free = cursor.u64();
    header_.nbytes_free = cursor.u32();
    cursor.u32();  // number of free segments
    header_.nbytes_name = cursor.u32();
    header_.units = cursor.u8();
    header_.compress = cursor.i32();
    header_.seek_info = cursor.u64();
    header_.nbytes_info = cursor.u32();
  } else {
    header_.end = cursor.u32();
    header_.seek_free = cursor.u32();
    header_.nbytes_free = cursor.u32();
    cursor.u32();
    header_.nbytes_name = cursor.u32();
    header_.units = cursor.u8();
    header_.compress = cursor.i32();
    header_.seek_info = cursor.u32();
    header_.nbytes_info = cursor.u32();
  }
  if (header_.end > source_->size())
    throw FormatError(fmt::format("file is truncated: the header says it ends at byte {} but it has {} bytes",
                                  header_.end, source_->size()),
                      {name(), 8});
  if (header_.begin < 4 || header_.begin >= header_.end)
    throw FormatError(fmt::format("impossible start of data fBEGIN = {}", header_.begin), {name(), 8});
  // The top directory record follows the TFile key (its header plus the file's name and title).
  uint64_t directory_offset = header_.begin + header_.nbytes_name;
  top_keys_ = read_directory_keys(directory_offset, 0, "top directory");
}

std::vector<Key> RootFile::read_directory_keys(uint64_t directory_offset, uint32_t directory_bytes,
                                               std::string_view where) const {
  constexpr uint64_t kDirectoryRecord = 64;
  uint64_t length = std::max<uint64_t>(directory_bytes, kDirectoryRecord);
  length = std::min<uint64_t>(length, source_->size() - std::min(source_->size(), directory_offset));
  auto bytes = source_->read(directory_offset, length);
  io::BufferOrigin origin{name(), fmt::format("{} record", where), directory_offset, false};
  io::Cursor cursor(bytes, &origin);
  int16_t version = cursor.i16();
  cursor.u32();  // creation time
  cursor.u32();  // modification time
  uint32_t nbytes_keys = cursor.u32();
  cursor.u32();  // nbytes name
  uint64_t seek_keys;
  if (version > 1000) {
    cursor.u64();  // seek of this directory
    cursor.u64();  // seek of the parent
    seek_keys = cursor.u64();
  } else {
    cursor.u32();
    cursor.u32();
    seek_keys = cursor.u32();
  }
  if (seek_keys == 0) return {};
  if (seek_keys >= source_->size() || nbytes_keys > source_->size() - seek_keys)
    throw FormatError(fmt::format("{}: keys list at [{}, {}) lies outside the {}-byte file", where, seek_keys,
                                  seek_keys + nbytes_keys, source_->size()),
                      {name(), directory_offset});
  auto list_bytes = source_->read(seek_keys, nbytes_keys);
  io::BufferOrigin list_origin{name(), fmt::format("keys list of the {}", where), seek_keys, false};
  io::Cursor list(list_bytes, &list_origin);
  Key list_key = read_key_header(list);
  list.seek(static_cast<size_t>(list_key.key_length));
  int32_t count = list.i32();
  if (count < 0 || static_cast<size_t>(count) > list.remaining() / 26)
    list.fail(fmt::format("impossible number of keys {}", count));
  std::vector<Key> keys;
  keys.reserve(static_cast<size_t>(count));
  for (int32_t i = 0; i < count; ++i) keys.push_back(read_key_header(list));
  return keys;
}

void RootFile::read_streamers() {
  if (header_.seek_info == 0) return;
  if (header_.seek_info >= source_->size())
    throw FormatError(fmt::format("streamer-info key at {} lies outside the {}-byte file", header_.seek_info,
                                  source_->size()),
                      {name(), header_.seek_info});
  uint64_t length = std::min<uint64_t>(kMaxKeyHeader, source_->size() - header_.seek_info);
  auto bytes = source_->read(header_.seek_info, length);
  io::BufferOrigin origin{name(), "streamer-info key", header_.seek_info, false};
  io::Cursor cursor(bytes, &origin);
  Key key = read_key_header(cursor);
  key.seek_key = header_.seek_info;
  auto payload = read_payload(key);
  io::BufferOrigin payload_origin{name(), key.describe(), key.seek_key, true};
  io::Cursor object_cursor(payload, &payload_origin);
  ObjectReader reader(object_cursor, nullptr, key.key_length);
  Value list = reader.read_class("TList");
  streamers_ = parse_streamer_list(list);
}

std::vector<std::byte> RootFile::read_payload(const Key& key, CompressionAlgorithm* algorithm) const {
  uint64_t payload_bytes = static_cast<uint64_t>(key.nbytes) - static_cast<uint64_t>(key.key_length);
  if (key.nbytes < key.key_length)
    throw FormatError(fmt::format("{} is shorter ({} bytes) than its header ({} bytes)", key.describe(),
                                  key.nbytes, key.key_length),
                      {name(), key.seek_key});
  auto compressed = source_->read(key.seek_key + static_cast<uint64_t>(key.key_length), payload_bytes);
  if (!key.compressed()) {
    if (algorithm) *algorithm = CompressionAlgorithm::None;
    return compressed;
  }
  constexpr uint64_t kMaxObjectBytes = uint64_t{1} << 32;
  if (static_cast<uint64_t>(key.object_length) > kMaxObjectBytes)
    throw FormatError(
        fmt::format("{} claims an impossible uncompressed size {}", key.describe(), key.object_length),
        {name(), key.seek_key});
  if (uint64_t declared = declared_size(compressed); declared < static_cast<uint64_t>(key.object_length))
    throw FormatError(fmt::format("{} claims {} uncompressed bytes, its compression blocks {}",
                                  key.describe(), key.object_length, declared),
                      {name(), key.seek_key});
  std::vector<std::byte> out(static_cast<size_t>(key.object_length));
  io::BufferOrigin origin{name(), key.describe(), key.seek_key, false};
  CompressionAlgorithm used = decompress(compressed, out, origin);
  if (algorithm) *algorithm = used;
  return out;
}

Value RootFile::read_object(const Key& key) const {
  auto payload = read_payload(key);
  io::BufferOrigin origin{name(), key.describe(), key.seek_key, true};
  io::Cursor cursor(payload, &origin);
  ObjectReader reader(cursor, &streamers_, key.key_length);
  return reader.read_class(key.class_name);
}

std::vector<KeyEntry> RootFile::keys(bool recursive) const {
  std::vector<KeyEntry> out;
  std::function<void(const std::vector<Key>&, const std::string&, int)> walk =
      [&](const std::vector<Key>& keys, const std::string& prefix, int depth) {
        for (const Key& key : keys) {
          out.push_back({prefix + key.name, key});
          if (recursive && is_directory_class(key.class_name)) {
            if (depth > 32) throw FormatError("directories nested more than 32 deep", {name(), key.seek_key});
            // A subdirectory's record is its key's payload (never compressed).
            auto subkeys = read_directory_keys(key.seek_key + static_cast<uint64_t>(key.key_length),
                                               static_cast<uint32_t>(key.nbytes - key.key_length),
                                               fmt::format("directory '{}{}'", prefix, key.name));
            walk(subkeys, prefix + key.name + "/", depth + 1);
          }
        }
      };
  walk(top_keys_, "", 0);
  return out;
}

KeyEntry RootFile::find_key(std::string_view path, std::optional<int> cycle) const {
  std::string wanted(path);
  if (auto semicolon = wanted.rfind(';'); semicolon != std::string::npos && !cycle) {
    cycle = std::atoi(wanted.c_str() + semicolon + 1);
    wanted.resize(semicolon);
  }
  while (!wanted.empty() && wanted.front() == '/') wanted.erase(0, 1);
  const KeyEntry* best = nullptr;
  auto all = keys(true);
  for (const KeyEntry& entry : all) {
    if (entry.path != wanted) continue;
    if (cycle && entry.key.cycle != *cycle) continue;
    if (!best || entry.key.cycle > best->key.cycle) best = &entry;
  }
  if (!best) {
    std::string available;
    for (const KeyEntry& entry : all)
      available += fmt::format("{}{};{}", available.empty() ? "" : ", ", entry.path, entry.key.cycle);
    throw NotFoundError(fmt::format("no key '{}'{} (the file has: {})", wanted,
                                    cycle ? fmt::format(" with cycle {}", *cycle) : "", available),
                        {name()});
  }
  return *best;
}

}  // namespace trigml::rootio

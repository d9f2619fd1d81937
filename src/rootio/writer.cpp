#include "rootio/writer.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <vector>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "rootio/compress.hpp"
#include "rootio/writer_buffer.hpp"
#include "rootio/writer_streamers.hpp"

namespace trigml::rootio {

namespace {

// Layout constants. Every file uses ROOT's large-file format (64-bit seeks in the header, keys and
// directory), whatever its size: one code path, and files may grow past 2 GB.
constexpr int64_t kBegin = 100;  // fBEGIN: the top directory's key
constexpr int32_t kFileVersion =
    1000000 + 62004;                           // large-file flag + the ROOT version whose records we write
constexpr int16_t kKeyVersion = 1004;          // TKey 4, +1000 for 64-bit seeks
constexpr int16_t kDirectoryVersion = 1005;    // TDirectory 5, +1000 for 64-bit seeks
constexpr int16_t kFreeSegmentVersion = 1001;  // TFree 1, +1000 for 64-bit bounds
constexpr int16_t kBasketVersion = 3;
constexpr int16_t kUuidVersion = 1;
constexpr size_t kBasketHeaderBytes = 2 + 4 + 4 + 4 + 4 + 1;  // TBasket's fields after its key header
constexpr size_t kDirectoryRecordBytes = 2 + 4 + 4 + 4 + 4 + 8 + 8 + 8 + 2 + 16;
constexpr int64_t kStartBigFile = 2000000000;
// fEntryOffsetLen of jagged branches (ROOT's TTree::fDefaultEntryOffsetLen): > 0 means that its
// baskets carry an entry-offset array.
constexpr int32_t kEntryOffsetLen = 1000;

// TObject::fBits as ROOT writes them (kNotDeleted | kIsOnHeap, plus what each class sets).
constexpr uint32_t kTreeBits = 0x03000008;
constexpr uint32_t kBranchBits = 0x03400000;
constexpr uint32_t kObjectBits = 0x03000000;
constexpr uint32_t kArrayBits = 0x03000000;
constexpr uint32_t kOwningArrayBits = 0x03004000;  // TCollection::kIsOwner: TTree::fBranches

size_t tstring_size(std::string_view s) {
  return (s.size() < 255 ? 1 : 5) + s.size();
}

// Dates and UUIDs come from the seed so that the same input always gives the same bytes.
struct FileIdentity {
  uint32_t datime = 0;  // TDatime's packed form
  std::array<std::byte, 16> uuid{};
};

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

FileIdentity identity_from_seed(uint64_t seed) {
  uint64_t state = seed;
  const uint64_t date_bits = splitmix64(state);
  const uint32_t year = 2000 + static_cast<uint32_t>(date_bits % 30);
  const uint32_t month = 1 + static_cast<uint32_t>((date_bits >> 8) % 12);
  const uint32_t day = 1 + static_cast<uint32_t>((date_bits >> 16) % 28);
  const uint32_t hour = static_cast<uint32_t>((date_bits >> 24) % 24);
  const uint32_t minute = static_cast<uint32_t>((date_bits >> 32) % 60);
  const uint32_t second = static_cast<uint32_t>((date_bits >> 40) % 60);
  FileIdentity identity;
  identity.datime = (year - 1995) << 26 | month << 22 | day << 17 | hour << 12 | minute << 6 | second;
  for (size_t half = 0; half < 2; ++half) {
    const uint64_t bits = splitmix64(state);
    for (size_t i = 0; i < 8; ++i) identity.uuid[8 * half + i] = static_cast<std::byte>(bits >> (8 * i));
  }
  identity.uuid[6] = (identity.uuid[6] & std::byte{0x0f}) | std::byte{0x40};  // RFC 4122 version 4
  identity.uuid[8] = (identity.uuid[8] & std::byte{0x3f}) | std::byte{0x80};  // RFC 4122 variant
  return identity;
}

struct KeyHeader {
  int32_t nbytes = 0;
  int32_t objlen = 0;
  uint32_t datime = 0;
  int16_t keylen = 0;
  int16_t cycle = 1;
  int64_t seek_key = 0;
  int64_t seek_pdir = 0;
  std::string class_name;
  std::string name;
  std::string title;
};

size_t key_header_size(std::string_view class_name, std::string_view name, std::string_view title) {
  return 4 + 2 + 4 + 4 + 2 + 2 + 8 + 8 + tstring_size(class_name) + tstring_size(name) + tstring_size(title);
}

void write_key_header(OutBuffer& out, const KeyHeader& key) {
  out.i32(key.nbytes);
  out.i16(kKeyVersion);
  out.i32(key.objlen);
  out.u32(key.datime);
  out.i16(key.keylen);
  out.i16(key.cycle);
  out.i64(key.seek_key);
  out.i64(key.seek_pdir);
  out.tstring(key.class_name);
  out.tstring(key.name);
  out.tstring(key.title);
}

int16_t checked_keylen(size_t bytes, const std::string& name) {
  if (bytes > 0x7fff)
    throw UsageError("name or title too long for a ROOT key", {"", {}, fmt::format("key '{}'", name)});
  return static_cast<int16_t>(bytes);
}

struct LeafTypeInfo {
  const char* leaf_class;
  char type_code;  // the letter after '/' in a branch title
  uint32_t size;
  bool is_unsigned;
  const char* description;
};

LeafTypeInfo leaf_type_info(LeafType type) {
  switch (type) {
    case LeafType::Bool: return {"TLeafO", 'O', 1, false, "bool"};
    case LeafType::UInt8: return {"TLeafB", 'b', 1, true, "uint8"};
    case LeafType::Int32: return {"TLeafI", 'I', 4, false, "int32"};
    case LeafType::Int64: return {"TLeafL", 'L', 8, false, "int64"};
    case LeafType::Float32: return {"TLeafF", 'F', 4, false, "float32"};
    case LeafType::Float64: return {"TLeafD", 'D', 8, false, "float64"};
  }
  throw InternalError("unknown leaf type");
}

// State shared by the file and its trees: the output, the key writer and the compressor.
class FileState {
 public:
  FileState(const std::filesystem::path& path, const WriterOptions& writer_options)
      : file(path),
        options(writer_options),
        identity(identity_from_seed(writer_options.seed)),
        compressor(writer_options.compression, writer_options.level),
        file_name(path.filename().string()) {
    if (options.basket_bytes == 0) throw UsageError("basket_bytes must be positive", context());
    if (options.cluster_entries == 0) throw UsageError("cluster_entries must be positive", context());
  }

  ErrorContext context(std::string object = {}) const {
    return {file.path().string(), {}, std::move(object)};
  }

  // Appends one key: its header, `extra_header` (TBasket's fields, counted in fKeylen) and
  // `object`, compressed if asked and worthwhile. `key` names it; the sizes and seeks are filled in.
  void write_key(KeyHeader& key, std::span<const std::byte> extra_header, std::span<const std::byte> object,
                 bool compress) {
    key.keylen =
        checked_keylen(key_header_size(key.class_name, key.name, key.title) + extra_header.size(), key.name);
    std::span<const std::byte> stored = object;
    if (compress && compressor.compress(object, compressed_)) stored = compressed_;
    if (key.keylen + stored.size() > 0x7fffffff)
      throw UnsupportedError("object larger than 2 GB cannot be written in one key",
                             context("key '" + key.name + "'"));
    key.objlen = static_cast<int32_t>(object.size());
    key.nbytes = static_cast<int32_t>(key.keylen + stored.size());
    key.datime = identity.datime;
    key.seek_key = static_cast<int64_t>(file.size());
    key.seek_pdir = kBegin;  // every key lives in the top directory
    header_.reset(0);
    write_key_header(header_, key);
    header_.bytes(extra_header);
    file.write(header_.bytes());
    file.write(stored);
  }

  AtomicFile file;
  WriterOptions options;
  FileIdentity identity;
  BlockCompressor compressor;
  std::string file_name;

 private:
  OutBuffer header_;
  std::vector<std::byte> compressed_;
};

enum class BranchKind { Scalar, FixedArray, Counter, Jagged };

struct Branch {
  std::string name;
  LeafType type;
  BranchKind kind;
  uint32_t length = 1;   // values per entry of a fixed array
  BranchId counter = 0;  // the counter of a jagged branch
  uint32_t value_bytes = 0;
  int16_t basket_keylen = 0;
  KeyHeader basket_key;  // reused for every basket, so that writing one copies no strings

  // The open basket and the current batch, big-endian, from the open basket's first byte.
  std::vector<std::byte> staged;
  uint64_t batch_values = 0;
  std::vector<int32_t> batch_counts;   // a counter's values in the current batch
  std::vector<int32_t> entry_offsets;  // a jagged branch's entry starts in the open basket
  uint64_t basket_first_entry = 0;
  uint32_t basket_entries = 0;
  int32_t max_count = 0;

  // Baskets written so far.
  std::vector<int32_t> basket_bytes;
  std::vector<int64_t> basket_entry;
  std::vector<int64_t> basket_seek;
  int64_t tot_bytes = 0;
  int64_t zip_bytes = 0;

  uint32_t leaf_reference = 0;  // where its leaf sits in the TTree record, for fLeaves and fLeafCount

  std::string leaf_title(const std::vector<Branch>& branches) const {
    switch (kind) {
      case BranchKind::FixedArray: return fmt::format("{}[{}]", name, length);
      case BranchKind::Jagged: return fmt::format("{}[{}]", name, branches[counter].name);
      case BranchKind::Scalar:
      case BranchKind::Counter: break;
    }
    return name;
  }
};

class TreeWriterImpl final : public TreeWriter {
 public:
  TreeWriterImpl(FileState& file, std::string name, std::string title)
      : file_(file), name_(std::move(name)), title_(std::move(title)) {}

  const std::string& name() const { return name_; }

  BranchId add_scalar(const std::string& name, LeafType type) override {
    return declare(name, type, BranchKind::Scalar, 1, 0);
  }
  BranchId add_fixed_array(const std::string& name, LeafType type, uint32_t length) override {
    if (length == 0) throw UsageError("a fixed-size array needs a positive length", context(name));
    return declare(name, type, BranchKind::FixedArray, length, 0);
  }
  BranchId add_counter(const std::string& name) override {
    return declare(name, LeafType::Int32, BranchKind::Counter, 1, 0);
  }
  BranchId add_jagged(const std::string& name, LeafType type, BranchId counter) override {
    if (counter >= branches_.size() || branches_[counter].kind != BranchKind::Counter)
      throw UsageError(fmt::format("branch id {} is not a counter branch of this tree", counter),
                       context(name));
    return declare(name, type, BranchKind::Jagged, 1, counter);
  }

  void fill(BranchId branch, std::span<const uint8_t> values) override {
    Branch& b = filled(branch, values.size(), LeafType::UInt8);
    if (b.type == LeafType::Bool) {
      std::byte* out = grow(b, values.size());
      for (size_t i = 0; i < values.size(); ++i) out[i] = values[i] != 0 ? std::byte{1} : std::byte{0};
    } else {
      append(b, values);
    }
  }
  void fill(BranchId branch, std::span<const int32_t> values) override {
    Branch& b = filled(branch, values.size(), LeafType::Int32);
    if (b.kind == BranchKind::Counter)
      b.batch_counts.insert(b.batch_counts.end(), values.begin(), values.end());
    append(b, values);
  }
  void fill(BranchId branch, std::span<const int64_t> values) override {
    append(filled(branch, values.size(), LeafType::Int64), values);
  }
  void fill(BranchId branch, std::span<const float> values) override {
    append(filled(branch, values.size(), LeafType::Float32), values);
  }
  void fill(BranchId branch, std::span<const double> values) override {
    append(filled(branch, values.size(), LeafType::Float64), values);
  }

  void end_batch(uint64_t entries) override {
    check_open();
    if (branches_.empty()) throw UsageError("a tree needs branches before its first batch", context());
    for (const Branch& b : branches_) check_batch(b, entries);
    for (Branch& b : branches_) cut_baskets(b, entries);
    entries_ += entries;
    for (Branch& b : branches_) {
      b.batch_values = 0;
      b.batch_counts.clear();
    }
  }

  // Writes the last baskets and the TTree key; returns the key for the directory's keys list.
  KeyHeader finish() {
    check_open();
    for (const Branch& b : branches_)
      if (b.batch_values != 0)
        throw UsageError("values filled after the last end_batch() were never committed", context(b.name));
    for (Branch& b : branches_)
      if (b.basket_entries > 0) write_basket(b, b.staged.size());
    closed_ = true;

    KeyHeader key{.class_name = "TTree", .name = name_, .title = title_};
    OutBuffer out(static_cast<uint32_t>(key_header_size(key.class_name, key.name, key.title)));
    write_tree(out);
    file_.write_key(key, {}, out.bytes(), true);
    return key;
  }

 private:
  ErrorContext context(const std::string& branch = {}) const {
    return file_.context(branch.empty() ? fmt::format("tree '{}'", name_)
                                        : fmt::format("tree '{}', branch '{}'", name_, branch));
  }

  void check_open() const {
    if (closed_) throw UsageError("the tree was already written by close()", context());
  }

  BranchId declare(const std::string& name, LeafType type, BranchKind kind, uint32_t length,
                   BranchId counter) {
    check_open();
    if (entries_ > 0 ||
        std::any_of(branches_.begin(), branches_.end(), [](const Branch& b) { return b.batch_values; }))
      throw UsageError("branches must be declared before the first batch", context(name));
    if (name.empty()) throw UsageError("a branch needs a name", context());
    for (const Branch& b : branches_)
      if (b.name == name) throw UsageError("two branches with the same name", context(name));
    Branch& b = branches_.emplace_back();
    b.name = name;
    b.type = type;
    b.kind = kind;
    b.length = length;
    b.counter = counter;
    b.value_bytes = leaf_type_info(type).size;
    b.basket_keylen = checked_keylen(key_header_size("TBasket", name, name_) + kBasketHeaderBytes, name);
    b.basket_key = KeyHeader{.cycle = 0, .class_name = "TBasket", .name = name, .title = name_};
    return static_cast<BranchId>(branches_.size() - 1);
  }

  // The branch `id`, checked to hold values of `given` type (UInt8 stands for Bool too).
  Branch& filled(BranchId id, size_t count, LeafType given) {
    check_open();
    if (id >= branches_.size()) throw UsageError(fmt::format("no branch with id {}", id), context());
    Branch& b = branches_[id];
    const LeafType held = b.type == LeafType::Bool ? LeafType::UInt8 : b.type;
    if (held != given)
      throw UsageError(fmt::format("holds {} values but was filled with {}",
                                   leaf_type_info(b.type).description, leaf_type_info(given).description),
                       context(b.name));
    b.batch_values += count;
    return b;
  }

  static std::byte* grow(Branch& b, size_t values) {
    const size_t at = b.staged.size();
    b.staged.resize(at + values * b.value_bytes);
    return b.staged.data() + at;
  }

  template <typename T>
  static void append(Branch& b, std::span<const T> values) {
    std::byte* out = grow(b, values.size());
    for (size_t i = 0; i < values.size(); ++i) store_big_endian(out + i * sizeof(T), values[i]);
  }

  uint64_t expected_values(const Branch& b, uint64_t entries) const {
    switch (b.kind) {
      case BranchKind::Scalar:
      case BranchKind::Counter: return entries;
      case BranchKind::FixedArray: return entries * b.length;
      case BranchKind::Jagged: {
        const auto& counts = branches_[b.counter].batch_counts;
        return std::accumulate(counts.begin(), counts.end(), uint64_t{0},
                               [](uint64_t sum, int32_t n) { return sum + static_cast<uint64_t>(n); });
      }
    }
    return 0;
  }

  void check_batch(const Branch& b, uint64_t entries) const {
    if (b.kind == BranchKind::Counter) {
      for (int32_t n : b.batch_counts)
        if (n < 0) throw UsageError(fmt::format("negative count {}", n), context(b.name));
    }
    const uint64_t expected = expected_values(b, entries);
    if (b.batch_values != expected)
      throw UsageError(fmt::format("received {} values for a batch of {} entries, expected {}",
                                   b.batch_values, entries, expected),
                       context(b.name));
  }

  // Splits the batch's entries into baskets: a basket ends when it reaches basket_bytes and always
  // at a multiple of cluster_entries, so every branch has a basket boundary at each cluster end.
  void cut_baskets(Branch& b, uint64_t entries) {
    const uint64_t cluster = file_.options.cluster_entries;
    const size_t target = file_.options.basket_bytes;
    const std::vector<int32_t>* counts =
        b.kind == BranchKind::Jagged ? &branches_[b.counter].batch_counts : nullptr;
    const size_t fixed_entry_bytes = static_cast<size_t>(b.length) * b.value_bytes;
    size_t basket_start = 0;
    size_t position = b.staged.size() - b.batch_values * b.value_bytes;
    for (uint64_t e = 0; e < entries; ++e) {
      if (counts) b.entry_offsets.push_back(static_cast<int32_t>(position - basket_start));
      position += counts ? static_cast<size_t>((*counts)[e]) * b.value_bytes : fixed_entry_bytes;
      ++b.basket_entries;
      if (b.kind == BranchKind::Counter) b.max_count = std::max(b.max_count, b.batch_counts[e]);
      if ((entries_ + e + 1) % cluster == 0 || position - basket_start >= target) {
        write_basket(b, basket_start, position);
        basket_start = position;
      }
    }
    b.staged.erase(b.staged.begin(), b.staged.begin() + static_cast<std::ptrdiff_t>(basket_start));
  }

  void write_basket(Branch& b, size_t end) { write_basket(b, 0, end); }

  void write_basket(Branch& b, size_t begin, size_t end) {
    const size_t data_bytes = end - begin;
    const bool jagged = b.kind == BranchKind::Jagged;
    const size_t offsets_bytes = jagged ? 4 * (b.entry_offsets.size() + 2) : 0;
    if (data_bytes + offsets_bytes > 0x3fffffff)
      throw UnsupportedError("basket larger than 1 GB: lower cluster_entries or basket_bytes",
                             context(b.name));
    std::span<const std::byte> object(b.staged.data() + begin, data_bytes);
    if (jagged) {
      // The entry-offset array follows the data: its length (entries + 1), each entry's start
      // counted from the key's first byte, and a final unused slot that ROOT leaves at 0.
      basket_object_.reset(0);
      basket_object_.bytes(object);
      basket_object_.i32(static_cast<int32_t>(b.entry_offsets.size() + 1));
      for (int32_t offset : b.entry_offsets) basket_object_.i32(b.basket_keylen + offset);
      basket_object_.i32(0);
      object = basket_object_.bytes();
    }
    const int32_t last = static_cast<int32_t>(b.basket_keylen + data_bytes);
    basket_header_.reset(0);
    basket_header_.i16(kBasketVersion);
    basket_header_.i32(static_cast<int32_t>(b.basket_keylen + object.size()));  // fBufferSize
    // fNevBufSize: the entry size of fixed-size branches (readers locate entries with it),
    // fEntryOffsetLen for jagged ones, as ROOT writes it.
    basket_header_.i32(jagged ? kEntryOffsetLen : static_cast<int32_t>(b.length * b.value_bytes));
    basket_header_.i32(static_cast<int32_t>(b.basket_entries));
    basket_header_.i32(last);
    basket_header_.u8(0);  // only the header is streamed here; the data follows as written

    KeyHeader& key = b.basket_key;
    file_.write_key(key, basket_header_.bytes(), object, true);
    b.basket_bytes.push_back(key.nbytes);
    b.basket_entry.push_back(static_cast<int64_t>(b.basket_first_entry));
    b.basket_seek.push_back(key.seek_key);
    b.tot_bytes += key.objlen + key.keylen;
    b.zip_bytes += key.nbytes;
    b.basket_first_entry += b.basket_entries;
    b.basket_entries = 0;
    b.entry_offsets.clear();
  }

  static void write_empty_array(OutBuffer& out) {
    const size_t array = out.begin_versioned(3);
    out.tobject(kArrayBits);
    out.tstring("");
    out.i32(0);
    out.i32(0);
    out.end_versioned(array);
  }

  void write_leaf(OutBuffer& out, Branch& b) {
    const LeafTypeInfo info = leaf_type_info(b.type);
    const size_t object = out.begin_object(info.leaf_class);
    b.leaf_reference = out.reference_to(object);
    const size_t derived = out.begin_versioned(1);
    const size_t leaf = out.begin_versioned(2);
    const size_t named = out.begin_versioned(1);
    out.tobject(kObjectBits);
    out.tstring(b.name);
    out.tstring(b.leaf_title(branches_));
    out.end_versioned(named);
    out.i32(static_cast<int32_t>(b.length));  // fLen
    out.i32(static_cast<int32_t>(b.value_bytes));
    out.i32(0);                                     // fOffset
    out.u8(b.kind == BranchKind::Counter ? 1 : 0);  // fIsRange: a counter bounds other leaves
    out.u8(info.is_unsigned ? 1 : 0);
    if (b.kind == BranchKind::Jagged)
      out.object_reference(branches_[b.counter].leaf_reference);
    else
      out.null_pointer();
    out.end_versioned(leaf);
    // fMinimum and fMaximum: ROOT keeps them at 0 except for counters, whose maximum readers use
    // to size their buffers.
    switch (b.type) {
      case LeafType::Bool:
      case LeafType::UInt8: out.u8(0), out.u8(0); break;
      case LeafType::Int32: out.i32(0), out.i32(b.max_count); break;
      case LeafType::Int64: out.i64(0), out.i64(0); break;
      case LeafType::Float32: out.f32(0), out.f32(0); break;
      case LeafType::Float64: out.f64(0), out.f64(0); break;
    }
    out.end_versioned(derived);
    out.end_object(object);
  }

  void write_branch(OutBuffer& out, Branch& b) {
    const size_t object = out.begin_object("TBranch");
    const size_t branch = out.begin_versioned(13);
    const size_t named = out.begin_versioned(1);
    out.tobject(kBranchBits);
    out.tstring(b.name);
    out.tstring(fmt::format("{}/{}", b.leaf_title(branches_), leaf_type_info(b.type).type_code));
    out.end_versioned(named);
    const size_t fill = out.begin_versioned(2);  // TAttFill
    out.i16(0);
    out.i16(1001);
    out.end_versioned(fill);
    const auto baskets = static_cast<int32_t>(b.basket_seek.size());
    out.i32(compression_setting(file_.options.compression, file_.options.level));
    out.i32(static_cast<int32_t>(file_.options.basket_bytes));
    out.i32(b.kind == BranchKind::Jagged ? kEntryOffsetLen : 0);
    out.i32(baskets);                         // fWriteBasket: the next basket's index
    out.i64(static_cast<int64_t>(entries_));  // fEntryNumber
    write_io_features(out);
    out.i32(0);            // fOffset
    out.i32(baskets + 1);  // fMaxBaskets: the tables below hold one more slot, the end of the last basket
    out.i32(0);            // fSplitLevel
    out.i64(static_cast<int64_t>(entries_));
    out.i64(0);  // fFirstEntry
    out.i64(b.tot_bytes);
    out.i64(b.zip_bytes);
    write_empty_array(out);  // fBranches
    const size_t leaves = out.begin_versioned(3);
    out.tobject(kArrayBits);
    out.tstring("");
    out.i32(1);
    out.i32(0);
    write_leaf(out, b);
    out.end_versioned(leaves);
    write_empty_array(out);  // fBaskets: every basket is on file
    out.u8(1);
    for (int32_t bytes : b.basket_bytes) out.i32(bytes);
    out.i32(0);
    out.u8(1);
    for (int64_t entry : b.basket_entry) out.i64(entry);
    out.i64(static_cast<int64_t>(entries_));
    out.u8(1);
    for (int64_t seek : b.basket_seek) out.i64(seek);
    out.i64(0);
    out.tstring("");  // fFileName: the baskets are in this file
    out.end_versioned(branch);
    out.end_object(object);
  }

  // ROOT::TIOFeatures has no ClassDef: ROOT writes such "foreign" classes with version 0 followed
  // by the class checksum, then its one member, fIOBits.
  static void write_io_features(OutBuffer& out) {
    constexpr uint32_t kIOFeaturesChecksum = 446770960;
    const size_t features = out.begin_versioned(0);
    out.u32(kIOFeaturesChecksum);
    out.u8(0);
    out.end_versioned(features);
  }

  void write_tree(OutBuffer& out) {
    int64_t tot_bytes = 0;
    int64_t zip_bytes = 0;
    for (const Branch& b : branches_) tot_bytes += b.tot_bytes, zip_bytes += b.zip_bytes;
    const auto entries = static_cast<int64_t>(entries_);

    const size_t tree = out.begin_versioned(20);
    const size_t named = out.begin_versioned(1);
    out.tobject(kTreeBits);
    out.tstring(name_);
    out.tstring(title_);
    out.end_versioned(named);
    const size_t line = out.begin_versioned(2);  // TAttLine: ROOT's defaults for trees
    out.i16(602);
    out.i16(1);
    out.i16(1);
    out.end_versioned(line);
    const size_t fill = out.begin_versioned(2);  // TAttFill
    out.i16(0);
    out.i16(1001);
    out.end_versioned(fill);
    const size_t marker = out.begin_versioned(2);  // TAttMarker
    out.i16(1);
    out.i16(1);
    out.f32(1);
    out.end_versioned(marker);
    out.i64(entries);
    out.i64(tot_bytes);
    out.i64(zip_bytes);
    out.i64(zip_bytes);  // fSavedBytes
    out.i64(zip_bytes);  // fFlushedBytes
    out.f64(1);          // fWeight
    out.i32(0);          // fTimerInterval
    out.i32(25);         // fScanField
    out.i32(0);          // fUpdate
    out.i32(kEntryOffsetLen);
    out.i32(0);              // fNClusterRange: one cluster size, fAutoFlush, for the whole tree
    out.i64(1000000000000);  // fMaxEntries
    out.i64(1000000000000);  // fMaxEntryLoop
    out.i64(0);              // fMaxVirtualSize
    out.i64(-300000000);     // fAutoSave
    out.i64(static_cast<int64_t>(file_.options.cluster_entries));  // fAutoFlush
    out.i64(1000000);                                              // fEstimate
    out.u8(0);                                                     // fClusterRangeEnd: no array
    out.u8(0);                                                     // fClusterSize: no array
    write_io_features(out);
    const size_t all_branches = out.begin_versioned(3);
    out.tobject(kOwningArrayBits);
    out.tstring("");
    out.i32(static_cast<int32_t>(branches_.size()));
    out.i32(0);
    for (Branch& b : branches_) write_branch(out, b);
    out.end_versioned(all_branches);
    const size_t all_leaves = out.begin_versioned(3);
    out.tobject(kArrayBits);
    out.tstring("");
    out.i32(static_cast<int32_t>(branches_.size()));
    out.i32(0);
    for (const Branch& b : branches_) out.object_reference(b.leaf_reference);
    out.end_versioned(all_leaves);
    out.null_pointer();  // fAliases
    out.i32(0);          // fIndexValues: empty TArrayD
    out.i32(0);          // fIndex: empty TArrayI
    out.null_pointer();  // fTreeIndex
    out.null_pointer();  // fFriends
    out.null_pointer();  // fUserInfo
    out.null_pointer();  // fBranchRef
    out.end_versioned(tree);
  }

  FileState& file_;
  std::string name_;
  std::string title_;
  std::vector<Branch> branches_;
  uint64_t entries_ = 0;
  bool closed_ = false;
  OutBuffer basket_header_;
  OutBuffer basket_object_;
};

class FileWriterImpl final : public FileWriter {
 public:
  FileWriterImpl(const std::filesystem::path& path, const WriterOptions& options) : state_(path, options) {
    // The header and the top directory's key are written last, over these placeholder bytes.
    const std::vector<std::byte> placeholder(static_cast<size_t>(kBegin) + top_key_bytes());
    state_.file.write(placeholder);
  }

  TreeWriter& add_tree(const std::string& name, const std::string& title) override {
    claim_name(name);
    return *trees_.emplace_back(std::make_unique<TreeWriterImpl>(state_, name, title));
  }

  void add_named(const std::string& name, const std::string& title) override {
    claim_name(name);
    KeyHeader key{.class_name = "TNamed", .name = name, .title = title};
    OutBuffer out(static_cast<uint32_t>(key_header_size(key.class_name, key.name, key.title)));
    const size_t named = out.begin_versioned(1);
    out.tobject(kObjectBits);
    out.tstring(name);
    out.tstring(title);
    out.end_versioned(named);
    state_.write_key(key, {}, out.bytes(), true);
    keys_.push_back(std::move(key));
  }

  void close() override {
    check_open();
    closed_ = true;
    for (auto& tree : trees_) keys_.push_back(tree->finish());

    KeyHeader info{.class_name = "TList", .name = "StreamerInfo", .title = "Doubly linked list"};
    OutBuffer out(static_cast<uint32_t>(key_header_size(info.class_name, info.name, info.title)));
    write_streamer_info_list(out);
    state_.write_key(info, {}, out.bytes(), true);

    KeyHeader keys_list{.class_name = "TFile", .name = state_.file_name, .title = ""};
    out.reset(0);
    out.i32(static_cast<int32_t>(keys_.size()));
    for (const KeyHeader& key : keys_) write_key_header(out, key);
    state_.write_key(keys_list, {}, out.bytes(), false);

    // One free segment, from the end of the file to ROOT's "infinity" (kStartBigFile, or further
    // for a file already past it); its own key's size is known before it is written.
    KeyHeader free_segments{.class_name = "TFile", .name = state_.file_name, .title = ""};
    constexpr size_t kFreeSegmentBytes = 2 + 8 + 8;
    const int64_t end = static_cast<int64_t>(
        state_.file.size() + key_header_size("TFile", state_.file_name, "") + kFreeSegmentBytes);
    out.reset(0);
    out.i16(kFreeSegmentVersion);
    out.i64(end);
    out.i64(end < kStartBigFile ? kStartBigFile : end + kStartBigFile);
    state_.write_key(free_segments, {}, out.bytes(), false);
    if (static_cast<int64_t>(state_.file.size()) != end)
      throw InternalError("free-segment key size mismatch");

    write_top_directory(keys_list);
    write_file_header(info, free_segments, end);
    state_.file.commit();
  }

 private:
  void check_open() const {
    if (closed_) throw UsageError("the file was already closed", state_.context());
  }

  void claim_name(const std::string& name) {
    check_open();
    if (name.empty()) throw UsageError("a key needs a name", state_.context());
    for (const auto& tree : trees_)
      if (tree->name() == name)
        throw UsageError("two keys with the same name", state_.context("key '" + name + "'"));
    for (const KeyHeader& key : keys_)
      if (key.name == name)
        throw UsageError("two keys with the same name", state_.context("key '" + name + "'"));
  }

  int32_t name_bytes() const {  // fNbytesName: the top key's header, name and title
    return static_cast<int32_t>(key_header_size("TFile", state_.file_name, "") +
                                tstring_size(state_.file_name) + tstring_size(""));
  }
  size_t top_key_bytes() const { return static_cast<size_t>(name_bytes()) + kDirectoryRecordBytes; }

  void write_uuid(OutBuffer& out) const {
    out.i16(kUuidVersion);
    out.bytes(state_.identity.uuid);
  }

  void write_top_directory(const KeyHeader& keys_list) {
    KeyHeader key{.class_name = "TFile", .name = state_.file_name, .title = ""};
    key.keylen = checked_keylen(key_header_size(key.class_name, key.name, key.title), key.name);
    key.nbytes = static_cast<int32_t>(top_key_bytes());
    key.objlen = key.nbytes - key.keylen;
    key.datime = state_.identity.datime;
    key.seek_key = kBegin;
    OutBuffer out;
    write_key_header(out, key);
    out.tstring(state_.file_name);
    out.tstring("");
    out.i16(kDirectoryVersion);
    out.u32(state_.identity.datime);  // fDatimeC
    out.u32(state_.identity.datime);  // fDatimeM
    out.i32(keys_list.nbytes);
    out.i32(name_bytes());
    out.i64(kBegin);  // fSeekDir
    out.i64(0);       // fSeekParent
    out.i64(keys_list.seek_key);
    write_uuid(out);
    if (out.size() != top_key_bytes()) throw InternalError("top directory record size mismatch");
    state_.file.write_at(kBegin, out.bytes());
  }

  void write_file_header(const KeyHeader& info, const KeyHeader& free_segments, int64_t end) {
    OutBuffer out;
    out.bytes(std::as_bytes(std::span("root", 4)));
    out.i32(kFileVersion);
    out.i32(static_cast<int32_t>(kBegin));
    out.i64(end);
    out.i64(free_segments.seek_key);
    out.i32(free_segments.nbytes);
    out.i32(1);  // nfree
    out.i32(name_bytes());
    out.u8(8);  // fUnits: 64-bit seeks
    out.i32(compression_setting(state_.options.compression, state_.options.level));
    out.i64(info.seek_key);
    out.i32(info.nbytes);
    write_uuid(out);
    state_.file.write_at(0, out.bytes());
  }

  FileState state_;
  std::vector<std::unique_ptr<TreeWriterImpl>> trees_;
  std::vector<KeyHeader> keys_;  // the top directory's keys, in the order they were written
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<FileWriter> FileWriter::create(const std::filesystem::path& path, WriterOptions options) {
  return std::make_unique<FileWriterImpl>(path, options);
}

}  // namespace trigml::rootio

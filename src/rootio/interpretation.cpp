#include "rootio/interpretation.hpp"

#include <functional>

#include "rootio/object.hpp"
#include "rootio/tree.hpp"

namespace trigml::rootio {

namespace {

// How one number is stored in a basket and what it becomes in memory.
struct NumberSource {
  int code = type_code::kFloat;
  ElementType out = ElementType::Float32;
  size_t bytes = 4;
  std::optional<PackedFloatRange> packed;
};

NumberSource number_source(int code, std::optional<PackedFloatRange> packed = std::nullopt) {
  using namespace type_code;
  NumberSource s;
  s.code = code;
  switch (code) {
    case kChar:
    case kLegacyChar:
      s.out = ElementType::Int8;
      s.bytes = 1;
      break;
    case kShort:
      s.out = ElementType::Int16;
      s.bytes = 2;
      break;
    case kInt:
    case kCounter:
      s.out = ElementType::Int32;
      s.bytes = 4;
      break;
    case kLong:
    case kLong64:
      s.out = ElementType::Int64;
      s.bytes = 8;
      break;
    case kFloat:
      s.out = ElementType::Float32;
      s.bytes = 4;
      break;
    case kDouble:
      s.out = ElementType::Float64;
      s.bytes = 8;
      break;
    case kUChar:
      s.out = ElementType::UInt8;
      s.bytes = 1;
      break;
    case kUShort:
      s.out = ElementType::UInt16;
      s.bytes = 2;
      break;
    case kUInt:
    case kBits:
      s.out = ElementType::UInt32;
      s.bytes = 4;
      break;
    case kULong:
    case kULong64:
      s.out = ElementType::UInt64;
      s.bytes = 8;
      break;
    case kBool:
      s.out = ElementType::Bool;
      s.bytes = 1;
      break;
    case kDouble32:
      s.out = ElementType::Float64;
      s.packed = packed;
      s.bytes = (packed && packed->factor == 0 && packed->nbits > 0) ? 3 : 4;
      break;
    case kFloat16:
      s.out = ElementType::Float32;
      if (!packed) {
        packed = PackedFloatRange{};
        packed->nbits = 12;
      }
      s.packed = packed;
      s.bytes = packed->factor != 0 ? 4 : 3;
      break;
    default: s.bytes = 0; break;
  }
  return s;
}

template <typename U>
inline U byte_swapped(U v) {
  if constexpr (sizeof(U) == 2) return __builtin_bswap16(v);
  if constexpr (sizeof(U) == 4) return __builtin_bswap32(v);
  if constexpr (sizeof(U) == 8) return __builtin_bswap64(v);
}

// Byte-swapping copies and in-place swaps, the reader's inner loops. Compiled for AVX2 as well as
// the baseline and chosen at load time, so the loops vectorise into byte shuffles on machines
// that have them.
template <typename U>
inline void swap_copy_loop(const std::byte* __restrict in, std::byte* __restrict out, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    U v;
    std::memcpy(&v, in + i * sizeof(U), sizeof(U));
    v = byte_swapped(v);
    std::memcpy(out + i * sizeof(U), &v, sizeof(U));
  }
}

template <typename U>
inline void swap_in_place_loop(std::byte* values, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    U v;
    std::memcpy(&v, values + i * sizeof(U), sizeof(U));
    v = byte_swapped(v);
    std::memcpy(values + i * sizeof(U), &v, sizeof(U));
  }
}

__attribute__((target_clones("avx2", "default"))) void swap_copy_16(const std::byte* in, std::byte* out,
                                                                    size_t n) {
  swap_copy_loop<uint16_t>(in, out, n);
}
__attribute__((target_clones("avx2", "default"))) void swap_copy_32(const std::byte* in, std::byte* out,
                                                                    size_t n) {
  swap_copy_loop<uint32_t>(in, out, n);
}
__attribute__((target_clones("avx2", "default"))) void swap_copy_64(const std::byte* in, std::byte* out,
                                                                    size_t n) {
  swap_copy_loop<uint64_t>(in, out, n);
}

// Decodes `count` numbers from big-endian storage and appends them to `values`.
void decode_numbers(const NumberSource& source, const std::byte* in, size_t count, ByteBuffer& values) {
  if (count == 0) return;
  size_t start = values.size();
  values.resize(start + count * element_size(source.out));
  std::byte* out = values.data() + start;
  if (!source.packed) {
    switch (source.bytes) {
      case 1:
        if (source.out == ElementType::Bool) {
          for (size_t i = 0; i < count; ++i) out[i] = std::byte{in[i] != std::byte{0}};
        } else {
          std::memcpy(out, in, count);
        }
        return;
      case 2: swap_copy_16(in, out, count); return;
      case 4: swap_copy_32(in, out, count); return;
      case 8: swap_copy_64(in, out, count); return;
    }
  }
  const PackedFloatRange& p = *source.packed;
  for (size_t i = 0; i < count; ++i) {
    double value;
    const std::byte* at = in + i * source.bytes;
    if (p.factor != 0) {
      value = io::load_big_endian<uint32_t>(at) / p.factor + p.xmin;
    } else if (source.bytes == 3) {
      value =
          unpack_truncated_float(static_cast<uint8_t>(at[0]), io::load_big_endian<uint16_t>(at + 1), p.nbits);
    } else {
      value = io::load_big_endian<float>(at);
    }
    if (source.out == ElementType::Float32) {
      float f = static_cast<float>(value);
      std::memcpy(out + i * 4, &f, 4);
    } else {
      std::memcpy(out + i * 8, &value, 8);
    }
  }
}

__attribute__((target_clones("avx2", "default"))) void swap_in_place_16(std::byte* values, size_t n) {
  swap_in_place_loop<uint16_t>(values, n);
}
__attribute__((target_clones("avx2", "default"))) void swap_in_place_32(std::byte* values, size_t n) {
  swap_in_place_loop<uint32_t>(values, n);
}
__attribute__((target_clones("avx2", "default"))) void swap_in_place_64(std::byte* values, size_t n) {
  swap_in_place_loop<uint64_t>(values, n);
}

// Converts `count` big-endian numbers in place, for sources whose stored and decoded sizes agree.
void convert_in_place(const NumberSource& source, std::byte* values, size_t count) {
  switch (source.bytes) {
    case 1:
      if (source.out == ElementType::Bool)
        for (size_t i = 0; i < count; ++i) values[i] = std::byte{values[i] != std::byte{0}};
      return;
    case 2: swap_in_place_16(values, count); return;
    case 4: swap_in_place_32(values, count); return;
    case 8: swap_in_place_64(values, count); return;
  }
}

[[noreturn]] void basket_error(const BasketView& basket, size_t position, const std::string& what) {
  throw FormatError(what, io::context_at(basket.origin, position));
}

void check_offsets(const BasketView& basket, uint64_t from, uint64_t to) {
  if (basket.offsets.size() < to + 1)
    basket_error(basket, 0, "basket has no entry offsets for a variable-size branch");
  for (uint64_t e = from; e < to; ++e)
    if (basket.offsets[e] > basket.offsets[e + 1] || basket.offsets[e + 1] > basket.data.size())
      basket_error(basket, basket.offsets[e],
                   fmt::format("entry offsets are corrupt: entry {} spans bytes [{}, {}) of a {}-byte basket",
                               e, basket.offsets[e], basket.offsets[e + 1], basket.data.size()));
}

// Fills one jagged level from byte offsets. An entry's cumulative item count is a linear function
// of its end offset, items + (end - begin) / item, so no running sum is needed and the loop
// vectorises. Returns false if any entry is out of order, past the data or not a whole number of
// items (the caller then finds and reports the first bad entry): with the counts taken from the
// first entry's start, every entry is whole exactly when every end lies a whole number of items
// after that start. Compiled for AVX2 as well as the baseline, like the byte swaps.
template <size_t kItem>
inline bool fill_level_loop(const uint32_t* offsets, uint64_t from, uint64_t to, uint32_t size,
                            uint64_t items, uint64_t* level, uint32_t item) {
  const uint32_t begin = offsets[from];
  uint32_t bad = begin > size;
  for (uint64_t e = from; e < to; ++e) {
    uint32_t end = offsets[e + 1];
    uint32_t bytes = end - begin;
    uint32_t remainder = kItem == 0 ? bytes % item : bytes % kItem;
    bad |= static_cast<uint32_t>(end < offsets[e]) | static_cast<uint32_t>(end > size) | remainder;
    level[e - from] = items + (kItem == 0 ? bytes / item : bytes / kItem);
  }
  return bad == 0;
}

// Multiversioned entry points are plain functions: clang cannot multiversion a template.
__attribute__((target_clones("avx2", "default"))) bool fill_level_1(const uint32_t* offsets, uint64_t from,
                                                                    uint64_t to, uint32_t size,
                                                                    uint64_t items, uint64_t* level,
                                                                    uint32_t item) {
  return fill_level_loop<1>(offsets, from, to, size, items, level, item);
}
__attribute__((target_clones("avx2", "default"))) bool fill_level_2(const uint32_t* offsets, uint64_t from,
                                                                    uint64_t to, uint32_t size,
                                                                    uint64_t items, uint64_t* level,
                                                                    uint32_t item) {
  return fill_level_loop<2>(offsets, from, to, size, items, level, item);
}
__attribute__((target_clones("avx2", "default"))) bool fill_level_4(const uint32_t* offsets, uint64_t from,
                                                                    uint64_t to, uint32_t size,
                                                                    uint64_t items, uint64_t* level,
                                                                    uint32_t item) {
  return fill_level_loop<4>(offsets, from, to, size, items, level, item);
}
__attribute__((target_clones("avx2", "default"))) bool fill_level_8(const uint32_t* offsets, uint64_t from,
                                                                    uint64_t to, uint32_t size,
                                                                    uint64_t items, uint64_t* level,
                                                                    uint32_t item) {
  return fill_level_loop<8>(offsets, from, to, size, items, level, item);
}
__attribute__((target_clones("avx2", "default"))) bool fill_level_any(const uint32_t* offsets, uint64_t from,
                                                                      uint64_t to, uint32_t size,
                                                                      uint64_t items, uint64_t* level,
                                                                      uint32_t item) {
  return fill_level_loop<0>(offsets, from, to, size, items, level, item);
}

class NumericInterpretation final : public Interpretation {
 public:
  NumericInterpretation(NumberSource source, std::vector<uint32_t> shape, bool jagged, size_t header,
                        std::string name)
      : source_(std::move(source)),
        shape_(std::move(shape)),
        jagged_(jagged),
        header_(header),
        name_(std::move(name)) {
    width_ = 1;
    for (uint32_t d : shape_) width_ *= d;
  }
  Column make_column() const override {
    Column c;
    c.kind = Column::Kind::Numeric;
    c.type = source_.out;
    c.shape = shape_;
    if (jagged_) c.offsets.assign(1, std::vector<uint64_t>{0});
    return c;
  }
  bool variable_size() const override { return jagged_; }
  size_t header_bytes() const override { return header_; }
  size_t item_bytes() const override { return width_ * source_.bytes; }
  std::string type_name() const override { return name_; }

  // Stored as held in memory, only big-endian: no packing, no header per entry.
  bool decodes_in_place() const override {
    return !source_.packed && header_ == 0 && source_.bytes == element_size(source_.out);
  }

  void append(const BasketView& basket, uint64_t from, uint64_t to, Column& out) const override {
    if (!jagged_ || header_ == 0) {
      auto [begin, end] = take_entries(basket, from, to, out);
      decode_numbers(source_, basket.data.data() + begin, (end - begin) / source_.bytes, out.values);
      out.entries += to - from;
      return;
    }
    size_t item = width_ * source_.bytes;
    check_offsets(basket, from, to);
    auto& level = out.offsets[0];
    uint64_t items = level.back();
    for (uint64_t e = from; e < to; ++e) {
      size_t begin = basket.offsets[e];
      size_t end = basket.offsets[e + 1];
      if (end > begin) {
        if (end - begin < header_)
          basket_error(
              basket, begin,
              fmt::format("entry {} has {} bytes, fewer than its {}-byte header", e, end - begin, header_));
        begin += header_;
        if ((end - begin) % item != 0)
          basket_error(basket, begin,
                       fmt::format("entry {} has {} value bytes, not a whole number of {}-byte items", e,
                                   end - begin, item));
        decode_numbers(source_, basket.data.data() + begin, (end - begin) / source_.bytes, out.values);
        items += (end - begin) / item;
      }
      level.push_back(items);
    }
    out.entries += to - from;
  }

  void append_in_place(const BasketView& basket, uint64_t from, uint64_t to, size_t start,
                       Column& out) const override {
    auto [begin, end] = take_entries(basket, from, to, out);
    std::byte* values = out.values.data() + start;
    if (begin > 0) std::memmove(values, values + begin, end - begin);
    convert_in_place(source_, values, (end - begin) / source_.bytes);
    out.values.resize(start + (end - begin));
    out.entries += to - from;
  }

 private:
  // Checks that entries [from, to) lie in the basket (for jagged entries without a header, also
  // appends their item counts to the column's level) and returns the byte range of their values.
  std::pair<size_t, size_t> take_entries(const BasketView& basket, uint64_t from, uint64_t to,
                                         Column& out) const {
    size_t item = width_ * source_.bytes;
    if (!jagged_) {
      if (to * item > basket.data.size())
        basket_error(basket, 0,
                     fmt::format("basket holds {} bytes, too few for {} entries of {} bytes",
                                 basket.data.size(), to, item));
      return {from * item, to * item};
    }
    if (basket.offsets.size() < to + 1)
      basket_error(basket, 0, "basket has no entry offsets for a jagged branch");
    auto& level = out.offsets[0];
    size_t base = level.size();
    level.resize(base + (to - from));
    const uint32_t* offsets = basket.offsets.data();
    const auto size = static_cast<uint32_t>(basket.data.size());
    const uint64_t items = level[base - 1];
    uint64_t* filled = level.data() + base;
    const auto item_bytes = static_cast<uint32_t>(item);
    bool valid = true;
    switch (item) {
      case 1: valid = fill_level_1(offsets, from, to, size, items, filled, item_bytes); break;
      case 2: valid = fill_level_2(offsets, from, to, size, items, filled, item_bytes); break;
      case 4: valid = fill_level_4(offsets, from, to, size, items, filled, item_bytes); break;
      case 8: valid = fill_level_8(offsets, from, to, size, items, filled, item_bytes); break;
      default: valid = fill_level_any(offsets, from, to, size, items, filled, item_bytes); break;
    }
    if (!valid) {
      check_offsets(basket, from, to);
      for (uint64_t e = from; e < to; ++e)
        if ((basket.offsets[e + 1] - basket.offsets[e]) % item != 0)
          basket_error(basket, basket.offsets[e],
                       fmt::format("entry {} has {} bytes, not a whole number of {}-byte items", e,
                                   basket.offsets[e + 1] - basket.offsets[e], item));
    }
    return {basket.offsets[from], basket.offsets[to]};
  }

  NumberSource source_;
  std::vector<uint32_t> shape_;
  size_t width_;
  bool jagged_;
  size_t header_;
  std::string name_;
};

// Entries decoded one at a time with a cursor over the entry's bytes.
class EntryInterpretation : public Interpretation {
 public:
  bool variable_size() const override { return true; }
  void append(const BasketView& basket, uint64_t from, uint64_t to, Column& out) const override {
    check_offsets(basket, from, to);
    for (uint64_t e = from; e < to; ++e) {
      io::Cursor cursor(basket.data.first(basket.offsets[e + 1]), basket.origin, basket.offsets[e]);
      decode_entry(cursor, basket, out);
      if (cursor.position() != basket.offsets[e + 1])
        cursor.fail(fmt::format("entry {} of {} bytes was not fully decoded as {} ({} bytes used)", e,
                                basket.offsets[e + 1] - basket.offsets[e], type_name(),
                                cursor.position() - basket.offsets[e]));
      ++out.entries;
    }
  }

 protected:
  virtual void decode_entry(io::Cursor& cursor, const BasketView& basket, Column& out) const = 0;

  static void skip_version_header(io::Cursor& cursor) {
    uint32_t first = cursor.u32();
    if (!(first & 0x40000000)) cursor.fail("expected a byte-count and version header");
    cursor.u16();
  }
  static void append_string(io::Cursor& cursor, Column& out) {
    std::string s = cursor.tstring();
    const auto* bytes = reinterpret_cast<const std::byte*>(s.data());
    out.values.insert(out.values.end(), bytes, bytes + s.size());
    out.offsets.back().push_back(out.values.size());
  }
};

// An empty string column with `levels` offset levels (the innermost delimits the characters).
Column string_column(size_t levels) {
  Column c;
  c.kind = Column::Kind::String;
  c.offsets.assign(levels, std::vector<uint64_t>{0});
  return c;
}

class StringInterpretation final : public EntryInterpretation {
 public:
  StringInterpretation(size_t header, std::string name) : header_(header), name_(std::move(name)) {}
  Column make_column() const override { return string_column(1); }
  std::string type_name() const override { return name_; }

 protected:
  void decode_entry(io::Cursor& cursor, const BasketView&, Column& out) const override {
    if (cursor.remaining() == 0) {
      out.offsets.back().push_back(out.values.size());
      return;
    }
    if (header_) skip_version_header(cursor);
    append_string(cursor, out);
  }

 private:
  size_t header_;
  std::string name_;
};

class VectorStringInterpretation final : public EntryInterpretation {
 public:
  explicit VectorStringInterpretation(std::string name) : name_(std::move(name)) {}
  Column make_column() const override { return string_column(2); }
  std::string type_name() const override { return name_; }

 protected:
  void decode_entry(io::Cursor& cursor, const BasketView&, Column& out) const override {
    skip_version_header(cursor);
    int32_t n = cursor.i32();
    if (n < 0 || static_cast<size_t>(n) > cursor.remaining())
      cursor.fail(fmt::format("vector of {} strings", n));
    for (int32_t i = 0; i < n; ++i) append_string(cursor, out);
    out.offsets[0].push_back(out.offsets[1].size() - 1);
  }

 private:
  std::string name_;
};

class VectorVectorInterpretation final : public EntryInterpretation {
 public:
  VectorVectorInterpretation(NumberSource source, std::string name)
      : source_(std::move(source)), name_(std::move(name)) {}
  Column make_column() const override {
    Column c;
    c.kind = Column::Kind::Numeric;
    c.type = source_.out;
    c.offsets.assign(2, std::vector<uint64_t>{0});
    return c;
  }
  std::string type_name() const override { return name_; }

 protected:
  void decode_entry(io::Cursor& cursor, const BasketView&, Column& out) const override {
    skip_version_header(cursor);
    int32_t n = cursor.i32();
    if (n < 0 || static_cast<size_t>(n) * 4 > cursor.remaining())
      cursor.fail(fmt::format("vector of {} vectors", n));
    auto& inner = out.offsets[1];
    for (int32_t i = 0; i < n; ++i) {
      int32_t m = cursor.i32();
      if (m < 0 || static_cast<size_t>(m) * source_.bytes > cursor.remaining())
        cursor.fail(fmt::format("inner vector of {} values", m));
      decode_numbers(source_, cursor.bytes(static_cast<size_t>(m) * source_.bytes).data(),
                     static_cast<size_t>(m), out.values);
      inner.push_back(inner.back() + static_cast<uint64_t>(m));
    }
    out.offsets[0].push_back(inner.size() - 1);
  }

 private:
  NumberSource source_;
  std::string name_;
};

// TObject::fBits of split objects: four bytes, plus a two-byte process id when the object was
// referenced (kIsReferenced), so entries have no fixed size per item.
class BitsInterpretation final : public EntryInterpretation {
 public:
  explicit BitsInterpretation(bool in_collection) : in_collection_(in_collection) {}
  Column make_column() const override {
    Column c;
    c.kind = Column::Kind::Numeric;
    c.type = ElementType::UInt32;
    if (in_collection_) c.offsets.assign(1, std::vector<uint64_t>{0});
    return c;
  }
  size_t fixed_entry_bytes() const override { return in_collection_ ? 0 : 4; }
  std::string type_name() const override {
    return in_collection_ ? "uint32[] (TObject bits)" : "uint32 (TObject bits)";
  }

 protected:
  void decode_entry(io::Cursor& cursor, const BasketView&, Column& out) const override {
    constexpr uint32_t kIsReferenced = 1 << 4;
    size_t count = 0;
    while (in_collection_ ? cursor.remaining() > 0 : count == 0) {
      uint32_t bits = cursor.u32();
      if (bits & kIsReferenced) cursor.u16();
      const auto* p = reinterpret_cast<const std::byte*>(&bits);
      out.values.insert(out.values.end(), p, p + 4);
      ++count;
    }
    if (in_collection_) out.offsets[0].push_back(out.offsets[0].back() + count);
  }

 private:
  bool in_collection_;
};

// Anything else: each entry read through the object reader into a dynamic value.
class ObjectInterpretation final : public EntryInterpretation {
 public:
  using Reader = std::function<Value(ObjectReader&, size_t entry_end)>;
  // collection: each entry is a list of items (possibly empty), never null.
  ObjectInterpretation(const StreamerRegistry& streamers, Reader reader, std::string name,
                       size_t fixed_bytes = 0, bool collection = false)
      : streamers_(streamers),
        reader_(std::move(reader)),
        name_(std::move(name)),
        fixed_bytes_(fixed_bytes),
        collection_(collection) {}
  size_t fixed_entry_bytes() const override { return fixed_bytes_; }
  Column make_column() const override {
    Column c;
    c.kind = Column::Kind::Object;
    return c;
  }
  std::string type_name() const override { return name_; }

 protected:
  void decode_entry(io::Cursor& cursor, const BasketView& basket, Column& out) const override {
    if (cursor.remaining() == 0 && !collection_) {
      // ROOT wrote no bytes for this object (it does so for split std::bitset members): null.
      out.objects.emplace_back();
      return;
    }
    ObjectReader reader(cursor, &streamers_, basket.key_length);
    out.objects.push_back(reader_(reader, cursor.size()));
  }

 private:
  const StreamerRegistry& streamers_;
  Reader reader_;
  std::string name_;
  size_t fixed_bytes_;
  bool collection_;
};

int leaf_type_code(const Leaf& leaf) {
  using namespace type_code;
  const std::string& c = leaf.class_name;
  bool u = leaf.is_unsigned;
  if (c == "TLeafB") return u ? kUChar : kChar;
  if (c == "TLeafS") return u ? kUShort : kShort;
  if (c == "TLeafI") return u ? kUInt : kInt;
  if (c == "TLeafL" || c == "TLeafG") return u ? kULong64 : kLong64;
  if (c == "TLeafF") return kFloat;
  if (c == "TLeafD") return kDouble;
  if (c == "TLeafO") return kBool;
  if (c == "TLeafD32") return kDouble32;
  if (c == "TLeafF16") return kFloat16;
  return -1;
}

std::string describe_number(const NumberSource& s) {
  if (s.code == type_code::kDouble32) return "Double32_t";
  if (s.code == type_code::kFloat16) return "Float16_t";
  return std::string(element_type_name(s.out));
}

std::string shape_suffix(const std::vector<uint32_t>& shape) {
  std::string out;
  for (uint32_t d : shape) out += fmt::format("[{}]", d);
  return out;
}

[[noreturn]] void unsupported(const Branch& branch, const std::string& file, const std::string& construct) {
  throw UnsupportedError(construct, {file, std::nullopt, fmt::format("branch '{}'", branch.name)});
}

std::unique_ptr<Interpretation> interpret_type(const Branch& branch, const StreamerRegistry& streamers,
                                               const std::string& class_name) {
  TypeDesc type = parse_type(class_name);
  if (type.kind == TypeDesc::Kind::Sequence && type.name == "vector") {
    const TypeDesc& item = type.arguments[0];
    if (item.kind == TypeDesc::Kind::Basic && basic_type_size(item.basic) > 0 &&
        item.basic != type_code::kDouble32 && item.basic != type_code::kFloat16) {
      NumberSource s = number_source(item.basic);
      return std::make_unique<NumericInterpretation>(s, std::vector<uint32_t>{}, true, 10, class_name);
    }
    if (item.kind == TypeDesc::Kind::StdString || item.kind == TypeDesc::Kind::TString)
      return std::make_unique<VectorStringInterpretation>(class_name);
    if (item.kind == TypeDesc::Kind::Sequence && item.name == "vector" &&
        item.arguments[0].kind == TypeDesc::Kind::Basic && basic_type_size(item.arguments[0].basic) > 0)
      return std::make_unique<VectorVectorInterpretation>(number_source(item.arguments[0].basic), class_name);
  }
  if (type.kind == TypeDesc::Kind::StdString) return std::make_unique<StringInterpretation>(0, class_name);
  if (type.kind == TypeDesc::Kind::TString) return std::make_unique<StringInterpretation>(0, class_name);
  if (type.kind == TypeDesc::Kind::Class && branch.element_type == 0) {
    // An unsplit object of a class without a custom streamer: its members follow directly,
    // with no version header of their own (the branch records the class version).
    VersionHeader header;
    header.version = branch.class_version;
    return std::make_unique<ObjectInterpretation>(
        streamers,
        [type, header](ObjectReader& reader, size_t) { return reader.read_members(type.name, header); },
        class_name);
  }
  return std::make_unique<ObjectInterpretation>(
      streamers, [type](ObjectReader& reader, size_t) { return reader.read_type(type, true); }, class_name);
}

}  // namespace

void Interpretation::append_in_place(const BasketView&, uint64_t, uint64_t, size_t, Column&) const {
  throw InternalError(fmt::format("{} values cannot be decoded in place", type_name()));
}

std::unique_ptr<Interpretation> interpret(const Branch& branch, const StreamerRegistry& streamers,
                                          const std::string& file) {
  using namespace type_code;
  if (branch.class_name == "TBranch") {
    if (branch.leaves.empty()) unsupported(branch, file, "TBranch without leaves");
    if (branch.leaves.size() > 1) {
      // A leaf list ("x/D:y/I:z/B"): one fixed-layout record per entry.
      std::vector<std::pair<std::string, NumberSource>> fields;
      std::string name;
      size_t entry_bytes = 0;
      for (const Leaf& leaf : branch.leaves) {
        int code = leaf_type_code(leaf);
        if (code < 0 || leaf.count || leaf.length != 1)
          unsupported(branch, file,
                      fmt::format("leaf-list member {} of class {}", leaf.name, leaf.class_name));
        fields.emplace_back(leaf.name, number_source(code));
        entry_bytes += fields.back().second.bytes;
        name += fmt::format("{}{}:{}", name.empty() ? "" : ", ", leaf.name,
                            describe_number(fields.back().second));
      }
      return std::make_unique<ObjectInterpretation>(
          streamers,
          [fields](ObjectReader& reader, size_t) {
            auto record = std::make_shared<Record>();
            for (const auto& [field, source] : fields)
              record->fields.emplace_back(field, reader.read_basic(source.code));
            return Value(record);
          },
          "{" + name + "}", entry_bytes);
    }
    const Leaf& leaf = branch.leaves[0];
    if (leaf.class_name == "TLeafC") return std::make_unique<StringInterpretation>(0, "string");
    int code = leaf_type_code(leaf);
    if (code < 0) unsupported(branch, file, fmt::format("leaf class {}", leaf.class_name));
    std::optional<PackedFloatRange> packed;
    if (code == kDouble32 || code == kFloat16)
      packed = parse_packed_float_range(leaf.title, code == kFloat16);
    NumberSource source = number_source(code, packed);
    std::vector<uint32_t> shape = leaf.dimensions;
    if (!leaf.count && shape.empty() && leaf.length > 1) shape = {static_cast<uint32_t>(leaf.length)};
    std::string name = describe_number(source) + (leaf.count ? "[]" : "") + shape_suffix(shape);
    return std::make_unique<NumericInterpretation>(source, shape, leaf.count != nullptr, 0, name);
  }
  if (branch.class_name != "TBranchElement")
    unsupported(branch, file, fmt::format("branch class {}", branch.class_name));

  if (!branch.branches.empty() && branch.element_type != 3 && branch.element_type != 4) {
    std::string children;
    for (size_t i = 0; i < branch.branches.size() && i < 6; ++i)
      children += fmt::format("{}{}", i ? ", " : "", branch.branches[i]->name);
    throw UsageError(
        fmt::format("branch '{}' is a split object and holds no values itself: read its sub-branches "
                    "({}{})",
                    branch.name, children, branch.branches.size() > 6 ? ", ..." : ""),
        {file});
  }
  if (branch.element_type == 3 || branch.element_type == 4) {
    // The top branch of a split TClonesArray or STL collection holds the size per entry.
    return std::make_unique<NumericInterpretation>(number_source(kInt), std::vector<uint32_t>{}, false, 0,
                                                   "int32 (collection size)");
  }
  if (branch.element_id < 0) {
    return interpret_type(branch, streamers, branch.element_class);
  }
  const StreamerInfo* info = streamers.find(branch.element_class, branch.class_version);
  if (!info || branch.element_id >= static_cast<int>(info->elements.size()))
    unsupported(branch, file,
                fmt::format("no streamer record for member {} of class {} version {}", branch.element_id,
                            branch.element_class, branch.class_version));
  const StreamerElement element = info->elements[static_cast<size_t>(branch.element_id)];
  bool in_collection = branch.element_type == 31 || branch.element_type == 41;
  int type = element.type;
  std::vector<uint32_t> shape;
  for (int d = 0; d < element.array_dim && d < 5; ++d)
    shape.push_back(static_cast<uint32_t>(element.max_index[d]));

  if (type == kBits) return std::make_unique<BitsInterpretation>(in_collection);
  if (type > 0 && type < kOffsetL && type != kCharStar) {
    NumberSource source = number_source(type, element.packed);
    return std::make_unique<NumericInterpretation>(source, std::vector<uint32_t>{}, in_collection, 0,
                                                   describe_number(source) + (in_collection ? "[]" : ""));
  }
  if (type > kOffsetL && type < kOffsetP) {
    NumberSource source = number_source(type - kOffsetL, element.packed);
    return std::make_unique<NumericInterpretation>(
        source, shape, in_collection, 0,
        describe_number(source) + (in_collection ? "[]" : "") + shape_suffix(shape));
  }
  if (type > kOffsetP && type < kObject && !in_collection) {
    // A counted array member ("Slice[N]"): one presence byte, then the values.
    NumberSource source = number_source(type - kOffsetP, element.packed);
    return std::make_unique<NumericInterpretation>(source, std::vector<uint32_t>{}, true, 1,
                                                   describe_number(source) + "[]");
  }
  if (!in_collection && parse_type(element.type_name).kind == TypeDesc::Kind::StdString)
    return std::make_unique<StringInterpretation>(6, "string");
  if (!in_collection && (type == kSTL || type == kSTLstring))
    return interpret_type(branch, streamers, element.type_name);
  if (!in_collection && type == kTString) return std::make_unique<StringInterpretation>(0, "TString");

  // Objects, pointers, strings and containers: decoded through the streamer element.
  std::string name = element.type_name + (in_collection ? "[]" : "");
  if (in_collection) {
    return std::make_unique<ObjectInterpretation>(
        streamers,
        [element](ObjectReader& reader, size_t entry_end) {
          auto list = std::make_shared<List>();
          Record scratch;
          while (reader.cursor().position() < entry_end)
            list->push_back(reader.read_element_value(element, scratch));
          return Value(list);
        },
        name, 0, true);
  }
  return std::make_unique<ObjectInterpretation>(
      streamers,
      [element](ObjectReader& reader, size_t) {
        Record scratch;
        return reader.read_element_value(element, scratch);
      },
      name);
}

}  // namespace trigml::rootio

#include "parquet/reader.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <future>
#include <optional>

#include "parquet/codec.hpp"
#include "parquet/encodings.hpp"
#include "parquet/levels.hpp"

namespace trigml::parquet {

namespace {

// Appends bytes with one memcpy: vector::insert would construct a ByteBuffer's elements one by
// one through its allocator.
void append_bytes(ByteBuffer& out, std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  size_t at = out.size();
  out.resize(at + bytes.size());
  std::memcpy(out.data() + at, bytes.data(), bytes.size());
}

}  // namespace

std::string ColumnInfo::type_name() const {
  std::string leaf = is_string  ? "string"
                     : int_bits ? fmt::format("int{}", int_bits)
                                : physical_type_name(physical);
  for (int k = 0; k < max_repetition; ++k) leaf = "list<" + leaf + ">";
  return leaf;
}

size_t ColumnData::slots() const {
  return is_string ? string_offsets.size() - 1 : values.size() / value_width();
}

size_t ColumnData::value_width() const {
  return physical == PhysicalType::Boolean                                    ? 1
         : physical == PhysicalType::Int32 || physical == PhysicalType::Float ? 4
                                                                              : 8;
}

void ColumnData::clear(const ColumnInfo& info) {
  physical = info.physical;
  is_string = info.is_string;
  values.clear();
  string_offsets.assign(1, 0);
  offsets.resize(static_cast<size_t>(info.max_repetition));
  for (auto& o : offsets) o.assign(1, 0);
  list_valid.resize(static_cast<size_t>(info.max_repetition));
  for (auto& v : list_valid) v.clear();
  valid.clear();
  rows = 0;
}

namespace {

// Appends validity flags [lo, hi) of `from` to `to`, which describes `to_count` earlier items;
// either may be empty, meaning "none null".
void append_validity(std::vector<uint8_t>& to, size_t to_count, const std::vector<uint8_t>& from, size_t lo,
                     size_t hi) {
  if (from.empty() && to.empty()) return;
  if (to.empty()) to.assign(to_count, 1);
  if (from.empty())
    to.insert(to.end(), hi - lo, 1);
  else
    to.insert(to.end(), from.begin() + static_cast<std::ptrdiff_t>(lo),
              from.begin() + static_cast<std::ptrdiff_t>(hi));
}

}  // namespace

void ColumnData::append_rows(const ColumnData& from, uint64_t first, uint64_t count) {
  if (from.physical != physical || from.is_string != is_string || from.offsets.size() != offsets.size())
    throw UsageError(
        fmt::format("cannot append rows of a {}{} column with {} list levels to a {}{} column with {}",
                    physical_type_name(from.physical), from.is_string ? " string" : "", from.offsets.size(),
                    physical_type_name(physical), is_string ? " string" : "", offsets.size()));
  if (first > from.rows || count > from.rows - first)
    throw UsageError(fmt::format("rows [{}, {}) of a column of {}", first, first + count, from.rows));
  // [lo, hi): the rows, then the items of each list level, then the leaf slots.
  auto lo = static_cast<size_t>(first), hi = static_cast<size_t>(first + count);
  for (size_t k = 0; k < offsets.size(); ++k) {
    const auto& source = from.offsets[k];
    auto& target = offsets[k];
    size_t lists_before = target.size() - 1;
    int64_t shift = target.back() - source[lo];
    for (size_t i = lo + 1; i <= hi; ++i) target.push_back(source[i] + shift);
    append_validity(list_valid[k], lists_before, from.list_valid[k], lo, hi);
    lo = static_cast<size_t>(source[lo]), hi = static_cast<size_t>(source[hi]);
  }
  size_t slots_before = slots();
  if (is_string) {
    int64_t shift = string_offsets.back() - from.string_offsets[lo];
    for (size_t i = lo + 1; i <= hi; ++i) string_offsets.push_back(from.string_offsets[i] + shift);
    append_bytes(values,
                 std::span(from.values)
                     .subspan(static_cast<size_t>(from.string_offsets[lo]),
                              static_cast<size_t>(from.string_offsets[hi] - from.string_offsets[lo])));
  } else {
    size_t width = value_width();
    append_bytes(values, std::span(from.values).subspan(lo * width, (hi - lo) * width));
  }
  append_validity(valid, slots_before, from.valid, lo, hi);
  rows += count;
}

// One vector read of column chunks. `done` is ready once `chunks` hold the bytes (or the
// request failed); `worker`, last, is destroyed first: a background request is waited for
// before its buffers go.
struct FileReader::Request {
  std::vector<io::ByteRange> ranges;
  std::vector<ByteBuffer> chunks;
  std::promise<void> fetched;
  std::shared_future<void> done = fetched.get_future().share();
  std::future<void> worker;

  void run(const io::ByteSource& source) {
    try {
      std::vector<std::byte*> outputs;
      for (size_t i = 0; i < ranges.size(); ++i) {
        chunks[i].resize(static_cast<size_t>(ranges[i].length));
        outputs.push_back(chunks[i].data());
      }
      source.read_many(ranges, outputs);
      fetched.set_value();
    } catch (...) {
      fetched.set_exception(std::current_exception());
    }
  }
};

struct FileReader::Prefetched {
  size_t row_group = 0;
  size_t column = 0;
  std::shared_ptr<Request> request;
  size_t chunk = 0;  // index in the request
};

std::unique_ptr<FileReader> FileReader::open(const std::string& path) {
  return open(io::open_source(path));
}

std::unique_ptr<FileReader> FileReader::open(std::unique_ptr<io::ByteSource> source) {
  std::unique_ptr<FileReader> reader(new FileReader(std::move(source)));
  reader->read_footer();
  return reader;
}

namespace {

// The values a leaf reads as, from its physical type and annotations (LogicalTypes.md, with the
// converted types older writers use instead).
void describe_values(const SchemaElement& e, ColumnInfo& info) {
  auto logical = static_cast<LogicalType>(e.logical_type);
  const bool is_integer = logical == LogicalType::Integer;
  if (e.converted_type == ConvertedType::Decimal || logical == LogicalType::Decimal) {
    info.conversion = Conversion::Decimal;
    info.decimal_scale = e.scale;
    info.physical = PhysicalType::Double;
  } else if (info.stored == PhysicalType::Int96) {
    info.conversion = Conversion::Int96Timestamp;
    info.physical = PhysicalType::Int64;
  } else if (logical == LogicalType::Uuid && info.stored == PhysicalType::FixedLenByteArray &&
             info.type_length == 16) {
    info.conversion = Conversion::Uuid;
    info.physical = PhysicalType::ByteArray;
    info.is_string = true;
  } else if (info.stored == PhysicalType::ByteArray || info.stored == PhysicalType::FixedLenByteArray) {
    info.physical = PhysicalType::ByteArray;
    info.is_string = true;
  } else if (info.stored == PhysicalType::Int32 &&
             (e.converted_type == ConvertedType::Uint32 ||
              (is_integer && !e.integer_signed && e.integer_bits == 32))) {
    info.conversion = Conversion::Unsigned32;
    info.physical = PhysicalType::Int64;
  } else if (info.stored == PhysicalType::Int64 &&
             (e.converted_type == ConvertedType::Uint64 || (is_integer && !e.integer_signed))) {
    info.conversion = Conversion::Unsigned64;
  }
  if (e.converted_type == ConvertedType::Int16 || (is_integer && e.integer_signed && e.integer_bits == 16))
    info.int_bits = 16;
  if (e.converted_type == ConvertedType::Int8 || (is_integer && e.integer_signed && e.integer_bits == 8))
    info.int_bits = 8;
}

}  // namespace

void FileReader::read_footer() {
  uint64_t size = source_->size();
  if (size < 12) throw FormatError(fmt::format("not a Parquet file: only {} bytes", size), {name(), 0});
  auto head = source_->read(0, 4);
  auto tail = source_->read(size - 8, 8);
  if (std::memcmp(head.data(), "PAR1", 4) != 0)
    throw FormatError("not a Parquet file: it does not start with PAR1", {name(), 0});
  if (std::memcmp(tail.data() + 4, "PAR1", 4) != 0)
    throw FormatError("Parquet file is truncated or corrupt: it does not end with PAR1", {name(), size - 4});
  uint32_t footer_length;
  std::memcpy(&footer_length, tail.data(), 4);
  if (footer_length > size - 12)
    throw FormatError(fmt::format("footer length {} exceeds the file", footer_length), {name(), size - 8});
  uint64_t footer_offset = size - 8 - footer_length;
  auto footer = source_->read(footer_offset, footer_length);
  io::BufferOrigin origin{name(), "file footer", footer_offset, false};
  io::Cursor cursor(footer, &origin);
  metadata_ = decode_file_metadata(cursor);
  if (metadata_.schema.empty())
    throw FormatError("footer has an empty schema", {name(), footer_offset, "file footer"});

  // Walk the flattened schema (depth first, with child counts) to find every leaf's levels.
  size_t position = 1;
  std::function<void(int, int, std::vector<std::string>&, ColumnInfo&)> walk =
      [&](int children, int depth, std::vector<std::string>& path, ColumnInfo& parent) {
        if (depth > 32)
          throw FormatError("schema nested more than 32 deep", {name(), footer_offset, "file footer"});
        for (int c = 0; c < children; ++c) {
          if (position >= metadata_.schema.size())
            throw FormatError("schema lists fewer elements than its child counts say",
                              {name(), footer_offset, "file footer"});
          const SchemaElement& e = metadata_.schema[position++];
          ColumnInfo info = parent;
          path.push_back(e.name);
          Repetition repetition = e.repetition.value_or(Repetition::Required);
          if (repetition == Repetition::Optional) ++info.max_definition;
          if (repetition == Repetition::Repeated) {
            ++info.max_definition;
            ++info.max_repetition;
            info.element_definition.push_back(info.max_definition);
            info.present_definition.push_back(info.max_definition - 1);
          }
          if (e.num_children > 0) {
            walk(e.num_children, depth + 1, path, info);
          } else {
            if (!e.type)
              throw FormatError(fmt::format("leaf '{}' has no type", e.name),
                                {name(), footer_offset, "file footer"});
            info.path = path;
            info.name = path.front();
            info.physical = info.stored = *e.type;
            info.type_length = e.type_length.value_or(0);
            if (info.stored == PhysicalType::FixedLenByteArray && info.type_length <= 0)
              throw FormatError(
                  fmt::format("FIXED_LEN_BYTE_ARRAY leaf '{}' of length {}", e.name, info.type_length),
                  {name(), footer_offset, "file footer"});
            describe_values(e, info);
            info.leaf_nullable = repetition == Repetition::Optional;
            info.row_nullable = info.max_repetition == 0 && info.max_definition > 0;
            columns_.push_back(info);
          }
          path.pop_back();
        }
      };
  std::vector<std::string> path;
  ColumnInfo root;
  walk(metadata_.schema[0].num_children, 0, path, root);
  for (const RowGroup& group : metadata_.row_groups)
    if (group.columns.size() != columns_.size())
      throw FormatError(fmt::format("a row group has {} column chunks for {} leaf columns",
                                    group.columns.size(), columns_.size()),
                        {name(), footer_offset, "file footer"});
}

size_t FileReader::column(const std::string& wanted) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    std::string dotted;
    for (const auto& p : columns_[i].path) dotted += (dotted.empty() ? "" : ".") + p;
    if (columns_[i].name == wanted || dotted == wanted) return i;
  }
  std::string names;
  for (const auto& c : columns_) names += (names.empty() ? "" : ", ") + c.name;
  throw NotFoundError(fmt::format("no column '{}' (the file has: {})", wanted, names), {name()});
}

const std::string* FileReader::metadata_value(const std::string& key) const {
  for (const auto& [k, v] : metadata_.key_value)
    if (k == key) return &v;
  return nullptr;
}

namespace {

size_t plain_width(PhysicalType type) {
  switch (type) {
    case PhysicalType::Int32:
    case PhysicalType::Float: return 4;
    case PhysicalType::Int64:
    case PhysicalType::Double: return 8;
    case PhysicalType::Int96: return 12;
    default: return 0;
  }
}

// Bytes per leaf slot in ColumnData::values (booleans are unpacked to one byte each).
size_t slot_width(PhysicalType type) {
  return type == PhysicalType::Boolean ? 1 : plain_width(type);
}

// Grows capacity geometrically, so that reading many pages or row groups into one buffer copies
// each byte a bounded number of times.
template <typename Vector>
void reserve_more(Vector& v, size_t extra) {
  size_t needed = v.size() + extra;
  if (needed > v.capacity()) v.reserve(std::max(needed, 2 * v.capacity()));
}

// Appends `count` PLAIN fixed-width values (booleans unpacked to one byte each) to `out`.
void decode_plain_fixed(io::Cursor& in, PhysicalType type, size_t count, ByteBuffer& out) {
  if (type == PhysicalType::Boolean) {
    auto data = in.bytes((count + 7) / 8);
    size_t at = out.size();
    out.resize(at + count);
    for (size_t i = 0; i < count; ++i)
      out[at + i] = std::byte((static_cast<uint8_t>(data[i / 8]) >> (i % 8)) & 1);
    return;
  }
  size_t width = plain_width(type);
  if (width == 0) throw UnsupportedError(fmt::format("{} values", physical_type_name(type)));
  if (count > in.remaining() / width)
    in.fail(fmt::format("page holds {} bytes for {} values of {} bytes", in.remaining(), count, width));
  append_bytes(out, in.bytes(count * width));
}

// Appends views of `count` PLAIN byte arrays (into the cursor's buffer) to `out`: each after its
// 4-byte length, or of `fixed_length` bytes without one (FIXED_LEN_BYTE_ARRAY).
void decode_plain_strings(io::Cursor& in, size_t count, std::vector<std::span<const std::byte>>& out,
                          size_t fixed_length = 0) {
  if (fixed_length > 0) {
    if (count > in.remaining() / fixed_length)
      in.fail(
          fmt::format("page holds {} bytes for {} values of {} bytes", in.remaining(), count, fixed_length));
    for (size_t i = 0; i < count; ++i) out.push_back(in.bytes(fixed_length));
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    uint32_t length;
    std::memcpy(&length, in.bytes(4).data(), 4);
    out.push_back(in.bytes(length));
  }
}

// Booleans in the RLE encoding (data pages v2 write them so): a 4-byte length, then the hybrid
// encoding at one bit per value. Appends `count` of them, a byte each.
void decode_rle_booleans(io::Cursor& in, size_t count, ByteBuffer& out) {
  uint32_t length;
  std::memcpy(&length, in.bytes(4).data(), 4);
  const size_t at = in.position();
  in.skip(length);
  HybridRunReader runs(io::Cursor(in.data().first(at + length), in.origin(), at), 1, count);
  reserve_more(out, count);
  while (runs.remaining() > 0) {
    uint32_t value;
    size_t run;
    runs.next(value, run);
    if (value > 1) in.fail(fmt::format("boolean {} in an RLE page", value));
    const size_t end = out.size();
    out.resize(end + run);
    std::memset(out.data() + end, static_cast<int>(value), run);
  }
}

// Whether `encoding` can hold values of `type` (Encodings.md); FormatError otherwise.
void check_value_encoding(Encoding encoding, PhysicalType type, const ErrorContext& where) {
  bool fits = false;
  switch (encoding) {
    case Encoding::Plain:
    case Encoding::PlainDictionary:
    case Encoding::RleDictionary: fits = true; break;
    case Encoding::Rle: fits = type == PhysicalType::Boolean; break;
    case Encoding::DeltaBinaryPacked:
      fits = type == PhysicalType::Int32 || type == PhysicalType::Int64;
      break;
    case Encoding::DeltaLengthByteArray: fits = type == PhysicalType::ByteArray; break;
    case Encoding::DeltaByteArray:
      fits = type == PhysicalType::ByteArray || type == PhysicalType::FixedLenByteArray;
      break;
    case Encoding::ByteStreamSplit: fits = plain_width(type) == 4 || plain_width(type) == 8; break;
    case Encoding::BitPacked: break;
  }
  if (!fits)
    throw FormatError(fmt::format("{} values in {}, an encoding the format does not define for them",
                                  physical_type_name(type), encoding_name(encoding)),
                      where);
}

// DECIMALs of up to 16 bytes, exactly (a GCC and Clang extension, hence the keyword).
__extension__ typedef __int128 Int128;

// Replaces the stored values of `data` (all its slots, nulls as zero or empty) with the values
// `info.conversion` makes of them.
void convert_values(const ColumnInfo& info, ColumnData& data, const ErrorContext& where) {
  ByteBuffer converted;
  const bool stored_as_bytes =
      info.stored == PhysicalType::ByteArray || info.stored == PhysicalType::FixedLenByteArray;
  const size_t slots =
      stored_as_bytes ? data.string_offsets.size() - 1 : data.values.size() / slot_width(info.stored);
  auto put = [&](const auto& value) {
    const size_t at = converted.size();
    converted.resize(at + sizeof(value));
    std::memcpy(converted.data() + at, &value, sizeof(value));
  };
  converted.reserve(slots * 8);
  switch (info.conversion) {
    case Conversion::None:  // fixed-length byte strings: read as any other
      data.physical = info.physical;
      return;
    case Conversion::Int96Timestamp:
      // Nanoseconds of the day (8 bytes), then the Julian day (4 bytes); 2440588 is 1970-01-01.
      for (size_t i = 0; i < slots; ++i) {
        int64_t nanos;
        int32_t day;
        std::memcpy(&nanos, data.values.data() + 12 * i, 8);
        std::memcpy(&day, data.values.data() + 12 * i + 8, 4);
        int64_t since_1970 = 0;
        const bool is_null = !data.valid.empty() && !data.valid[i];
        if (!is_null &&
            (__builtin_mul_overflow(int64_t{day} - 2440588, int64_t{86400000000000}, &since_1970) ||
             __builtin_add_overflow(since_1970, nanos, &since_1970)))
          throw FormatError(
              fmt::format("INT96 timestamp of Julian day {} is beyond int64 nanoseconds since 1970", day),
              where);
        put(since_1970);
      }
      break;
    case Conversion::Unsigned32:
      for (uint32_t v : std::span(reinterpret_cast<const uint32_t*>(data.values.data()), slots))
        put(static_cast<int64_t>(v));
      break;
    case Conversion::Unsigned64:
      for (size_t i = 0; i < slots; ++i) {
        int64_t v;
        std::memcpy(&v, data.values.data() + 8 * i, 8);
        if (v < 0)
          throw UnsupportedError(fmt::format("UINT_64 value {} is above the int64 values trigml holds",
                                             static_cast<uint64_t>(v)),
                                 where);
      }
      return;
    case Conversion::Decimal: {
      const double divisor = std::pow(10.0, info.decimal_scale);
      if (info.stored == PhysicalType::Int32) {
        for (int32_t v : data.as<int32_t>()) put(v / divisor);
      } else if (info.stored == PhysicalType::Int64) {
        for (size_t i = 0; i < slots; ++i) {
          int64_t v;
          std::memcpy(&v, data.values.data() + 8 * i, 8);
          put(static_cast<double>(v) / divisor);
        }
      } else {
        // Big-endian two's complement of any length up to 16 bytes; an empty one is a null's.
        if (info.decimal_scale < 0 || info.decimal_scale > 38)
          throw FormatError(fmt::format("DECIMAL of scale {}", info.decimal_scale), where);
        Int128 power = 1;
        for (int k = 0; k < info.decimal_scale; ++k) power *= 10;
        for (size_t i = 0; i < slots; ++i) {
          const auto begin = static_cast<size_t>(data.string_offsets[i]);
          const auto length = static_cast<size_t>(data.string_offsets[i + 1]) - begin;
          if (length > 16)
            throw UnsupportedError(fmt::format("DECIMAL of {} bytes (trigml reads up to 16)", length), where);
          Int128 unscaled = length > 0 && static_cast<int8_t>(data.values[begin]) < 0 ? -1 : 0;
          for (size_t k = 0; k < length; ++k)
            unscaled = unscaled * 256 + static_cast<uint8_t>(data.values[begin + k]);
          // Whole part and fraction apart: the double nearest the whole part is exact when the fraction
          // is zero, where one division of two rounded 128-bit numbers would not be.
          put(static_cast<double>(unscaled / power) + static_cast<double>(unscaled % power) / divisor);
        }
      }
      break;
    }
    case Conversion::Uuid: {
      std::vector<int64_t> offsets{0};
      offsets.reserve(slots + 1);
      static const char* hex = "0123456789abcdef";
      for (size_t i = 0; i < slots; ++i) {
        const auto begin = static_cast<size_t>(data.string_offsets[i]);
        if (data.string_offsets[i + 1] - data.string_offsets[i] == 16) {
          for (size_t k = 0; k < 16; ++k) {
            if (k == 4 || k == 6 || k == 8 || k == 10) put('-');
            const auto b = static_cast<uint8_t>(data.values[begin + k]);
            put(hex[b >> 4]);
            put(hex[b & 15]);
          }
        }
        offsets.push_back(static_cast<int64_t>(converted.size()));
      }
      data.string_offsets = std::move(offsets);
      break;
    }
  }
  data.values = std::move(converted);
  data.physical = info.physical;
  data.is_string = info.is_string;
  if (!data.is_string) data.string_offsets.assign(1, 0);
}

// A column chunk's dictionary page, owned (the page buffer is reused for the data pages).
struct Dictionary {
  ByteBuffer fixed;
  std::vector<std::byte> string_bytes;
  std::vector<std::pair<size_t, size_t>> strings;  // offset, length into string_bytes
  size_t size = 0;
};

// A repetition level read from a page: within the column's maximum, and 0 where a column chunk
// starts.
inline void check_repetition(uint32_t level, uint32_t max_level, bool chunk_start, io::Cursor& in) {
  if (level > max_level) in.fail(fmt::format("repetition level {} above the maximum {}", level, max_level));
  if (chunk_start && level != 0)
    in.fail(fmt::format("the column chunk starts with repetition level {}, not 0", level));
}

// Turns runs of (repetition, definition) levels into rows, list offsets, list validity and leaf
// slots of `out`. A run that continues the innermost list is one addition; other levels open or
// close lists and are handled one at a time.
class LevelAssembler {
 public:
  static constexpr uint32_t kMaxFastDepth = 4;

  LevelAssembler(const ColumnInfo& info, ColumnData& out)
      : info_(info),
        out_(out),
        R_(static_cast<uint32_t>(info.max_repetition)),
        D_(static_cast<uint32_t>(info.max_definition)),
        innermost_element_(R_ ? static_cast<uint32_t>(info.element_definition.back()) : 0),
        track_validity_(D_ > innermost_element_) {}

  bool tracks_validity() const { return track_validity_; }

  void add(uint32_t r, uint32_t d, size_t count) {
    if (R_ == 0 || (r == R_ && d >= innermost_element_)) {
      // Flat values, or more elements of the innermost open list: leaf slots in bulk.
      if (R_ == 0)
        out_.rows += count;
      else
        out_.offsets[R_ - 1].back() += static_cast<int64_t>(count);
      slots += count;
      if (d == D_) present += count;
      if (track_validity_) out_.valid.insert(out_.valid.end(), count, d == D_);
      return;
    }
    for (size_t i = 0; i < count; ++i) add_one(r, d);
  }

  // Whether add_all_present() can take a page: lists not too deeply nested, and no null list so far
  // (whose validity it does not track).
  bool takes_all_present() const {
    if (R_ == 0 || R_ > kMaxFastDepth) return false;
    for (uint32_t k = 0; k < R_; ++k)
      if (!out_.list_valid[k].empty()) return false;
    return true;
  }

  // A page whose `n` values are all present (a single definition run at the maximum, so no list is
  // empty or null), shaped by its repetition levels alone: a run at the innermost level adds to
  // the open list; a value at level r < R opens lists at levels r..R-1 and is an element of the
  // lists from level max(r, 1) - 1 down. The open lists' ends stay in locals meanwhile (the
  // offsets' last entries are written when a list closes and at the end). A particle, say, is then
  // two runs and a few additions, not add_one's tests per level.
  void add_all_present(HybridRunReader& repetition, size_t n, bool chunk_start, io::Cursor& in) {
    switch (R_) {
      case 1: return add_all_present_at_depth<1>(repetition, n, chunk_start, in);
      case 2: return add_all_present_at_depth<2>(repetition, n, chunk_start, in);
      case 3: return add_all_present_at_depth<3>(repetition, n, chunk_start, in);
      default: return add_all_present_at_depth<kMaxFastDepth>(repetition, n, chunk_start, in);
    }
  }

  size_t slots = 0, present = 0;

 private:
  // The depth a template argument, so that the ends live in registers and the loops over levels
  // unroll.
  template <uint32_t kDepth>
  void add_all_present_at_depth(HybridRunReader& repetition, size_t n, bool chunk_start, io::Cursor& in) {
    std::array<int64_t, kDepth> end{};
    for (uint32_t k = 0; k < kDepth; ++k) end[k] = out_.offsets[k].back();
    for (size_t done = 0; done < n;) {
      uint32_t r;
      size_t length;
      repetition.next(r, length);
      check_repetition(r, kDepth, chunk_start && done == 0, in);
      done += length;
      if (r == kDepth) {
        end[kDepth - 1] += static_cast<int64_t>(length);
        continue;
      }
      if (r == 0) out_.rows += length;
      for (size_t i = 0; i < length; ++i) {
        for (uint32_t k = r; k < kDepth; ++k) {
          out_.offsets[k].back() = end[k];
          out_.offsets[k].push_back(end[k]);
        }
        for (uint32_t k = std::max(r, 1u) - 1; k < kDepth; ++k) ++end[k];
      }
    }
    for (uint32_t k = 0; k < kDepth; ++k) out_.offsets[k].back() = end[k];
    slots += n, present += n;
    if (track_validity_) out_.valid.insert(out_.valid.end(), n, 1);
  }

  void add_one(uint32_t r, uint32_t d) {
    if (r == 0) ++out_.rows;
    for (uint32_t k = 0; k < R_; ++k) {
      if (r <= k) {
        // A new list at level k, if its parent list has an element here.
        if (k > 0 && d < static_cast<uint32_t>(info_.element_definition[k - 1])) return;
        auto& offsets = out_.offsets[k];
        offsets.push_back(offsets.back());
        bool not_null = d >= static_cast<uint32_t>(info_.present_definition[k]);
        auto& valid = out_.list_valid[k];
        if (!valid.empty()) {
          valid.push_back(not_null);
        } else if (!not_null) {  // the first null list: every earlier one was not null
          valid.assign(offsets.size() - 2, 1);
          valid.push_back(0);
        }
      }
      if (d < static_cast<uint32_t>(info_.element_definition[k])) return;  // empty or null: nothing below
      if (r <= k + 1) ++out_.offsets[k].back();                            // a new element of list k
    }
    ++slots;
    if (d == D_) ++present;
    if (track_validity_) out_.valid.push_back(d == D_);
  }

  const ColumnInfo& info_;
  ColumnData& out_;
  const uint32_t R_, D_, innermost_element_;
  const bool track_validity_;
};

}  // namespace

FileReader::FileReader(std::unique_ptr<io::ByteSource> source) : source_(std::move(source)) {}
FileReader::~FileReader() = default;

io::ByteRange FileReader::chunk_range(size_t row_group, size_t column) const {
  if (row_group >= metadata_.row_groups.size() || column >= columns_.size())
    throw UsageError(fmt::format("row group {} column {} out of range", row_group, column), {name()});
  const ColumnMetaData& meta = metadata_.row_groups[row_group].columns[column];
  uint64_t start = static_cast<uint64_t>(meta.dictionary_page_offset.value_or(meta.data_page_offset));
  if (meta.dictionary_page_offset && *meta.dictionary_page_offset > 0)
    start = std::min<uint64_t>(start, static_cast<uint64_t>(meta.data_page_offset));
  uint64_t length = static_cast<uint64_t>(meta.total_compressed_size);
  if (meta.total_compressed_size < 0 || start > source_->size() || length > source_->size() - start)
    throw FormatError(
        fmt::format("column chunk [{}, {}) lies outside the {}-byte file", start, start + length,
                    source_->size()),
        {name(), start, fmt::format("row group {}, column '{}'", row_group, columns_[column].name)});
  return {start, length};
}

void FileReader::prefetch(std::span<const size_t> row_groups, std::span<const size_t> columns,
                          Fetch when) const {
  if (!source_->contiguous().empty()) return;
  auto request = std::make_shared<Request>();
  {
    // Registered before the request is sent, so that no chunk is asked for twice; every range is
    // checked before any is registered, so that no registered chunk waits for a request never sent.
    std::lock_guard lock(prefetch_mutex_);
    std::vector<Prefetched> wanted;
    for (size_t group : row_groups)
      for (size_t column : columns) {
        auto held = [&](const Prefetched& p) { return p.row_group == group && p.column == column; };
        if (std::any_of(prefetched_.begin(), prefetched_.end(), held)) continue;
        request->ranges.push_back(chunk_range(group, column));
        wanted.push_back({group, column, request, request->ranges.size() - 1});
      }
    prefetched_.insert(prefetched_.end(), wanted.begin(), wanted.end());
  }
  if (request->ranges.empty()) return;
  request->chunks.resize(request->ranges.size());
  if (when == Fetch::InBackground) {
    request->worker = std::async(std::launch::async, [this, r = request.get()] { r->run(*source_); });
    return;
  }
  request->run(*source_);
  try {
    request->done.get();
  } catch (...) {
    std::lock_guard lock(prefetch_mutex_);
    std::erase_if(prefetched_, [&](const Prefetched& p) { return p.request == request; });
    throw;
  }
}

void FileReader::read(size_t row_group, size_t column, ColumnData& out) const {
  const io::ByteRange range = chunk_range(row_group, column);  // checks the indices too
  const ColumnInfo& info = columns_[column];
  if (info.conversion == Conversion::None && info.stored == info.physical)
    return decode(row_group, column, out);
  // Decoded as stored, converted, then appended: a copy only for the columns that need one.
  ColumnInfo stored = info;
  stored.physical = info.stored;
  stored.is_string = info.stored == PhysicalType::ByteArray || info.stored == PhysicalType::FixedLenByteArray;
  ColumnData raw;
  raw.clear(stored);
  decode(row_group, column, raw);
  convert_values(info, raw,
                 {name(), range.offset, fmt::format("row group {}, column '{}'", row_group, info.name)});
  out.append_rows(raw, 0, raw.rows);
}

void FileReader::decode(size_t row_group, size_t column, ColumnData& out) const {
  const io::ByteRange range = chunk_range(row_group, column);
  const uint64_t start = range.offset, length = range.length;
  const ColumnInfo& info = columns_[column];
  const ColumnMetaData& meta = metadata_.row_groups[row_group].columns[column];
  std::string where_object = fmt::format("row group {}, column '{}'", row_group, info.name);
  // The chunk in place when the file is mapped; otherwise as prefetched, or read now.
  std::shared_ptr<Request> request;
  std::vector<std::byte> owned_chunk;
  std::span<const std::byte> chunk = source_->contiguous();
  if (!chunk.empty()) {
    chunk = chunk.subspan(start, length);
  } else {
    size_t index = 0;
    {
      std::lock_guard lock(prefetch_mutex_);
      auto it = std::find_if(prefetched_.begin(), prefetched_.end(), [&](const Prefetched& p) {
        return p.row_group == row_group && p.column == column;
      });
      if (it != prefetched_.end()) {
        request = std::move(it->request);
        index = it->chunk;
        prefetched_.erase(it);
      }
    }
    if (request) {
      request->done.get();
      chunk = request->chunks[index];
    } else {
      owned_chunk = source_->read(start, length);
      chunk = owned_chunk;
    }
  }
  io::BufferOrigin origin{name(), where_object, start, false};
  io::Cursor cursor(chunk, &origin);

  const int R = info.max_repetition, D = info.max_definition;
  const PhysicalType stored_type = info.stored;
  const size_t width = slot_width(stored_type);
  const bool is_byte_array =
      stored_type == PhysicalType::ByteArray || stored_type == PhysicalType::FixedLenByteArray;
  const size_t fixed_length =
      stored_type == PhysicalType::FixedLenByteArray ? static_cast<size_t>(info.type_length) : 0;
  // A hint only: values rarely take more than the chunk's uncompressed size (a corrupt footer
  // cannot make this reserve more than 16 times the bytes the chunk really has).
  if (meta.total_uncompressed_size > 0)
    reserve_more(out.values, static_cast<size_t>(std::min<uint64_t>(
                                 static_cast<uint64_t>(meta.total_uncompressed_size), 16 * length)));
  Dictionary dictionary;
  ByteBuffer page, nullable_values;
  std::vector<std::span<const std::byte>> strings;
  // Reused from page to page: legacy levels re-encoded, delta-encoded lengths and prefixes, and
  // DELTA_BYTE_ARRAY values rebuilt from them.
  std::vector<std::byte> transcoded_repetition, transcoded_definition, rebuilt_strings;
  std::vector<int32_t> lengths, prefixes;
  int64_t values_seen = 0;
  while (values_seen < meta.num_values) {
    size_t header_at = cursor.position();
    PageHeader h = decode_page_header(cursor);
    ErrorContext where{name(), start + header_at, where_object};
    if (h.compressed_size < 0 || static_cast<size_t>(h.compressed_size) > cursor.remaining() ||
        h.uncompressed_size < 0)
      throw FormatError(fmt::format("page of {} bytes does not fit in the column chunk", h.compressed_size),
                        where);
    auto stored = cursor.bytes(static_cast<size_t>(h.compressed_size));
    if (h.type == PageType::IndexPage) continue;
    if (h.type != PageType::DataPage && h.type != PageType::DataPageV2 && h.type != PageType::DictionaryPage)
      throw UnsupportedError(fmt::format("page type {}", static_cast<int>(h.type)), where);
    const bool v2 = h.type == PageType::DataPageV2;
    // The page's bytes: in place when stored uncompressed, otherwise decompressed into `page`. A
    // v2 page's levels are never compressed: they are read in place, and its values decompressed
    // once the levels are known, straight into the column when nothing is in the way.
    size_t level_bytes = 0;
    if (v2) {
      level_bytes =
          static_cast<size_t>(h.repetition_levels_bytes) + static_cast<size_t>(h.definition_levels_bytes);
      if (h.repetition_levels_bytes < 0 || h.definition_levels_bytes < 0 || level_bytes > stored.size() ||
          level_bytes > static_cast<size_t>(h.uncompressed_size))
        throw FormatError("data page v2 level sizes exceed the page", where);
    }
    std::span<const std::byte> body;
    const bool v2_values_compressed = v2 && h.is_compressed && meta.codec != Codec::Uncompressed;
    if (meta.codec == Codec::Uncompressed || (v2 && !h.is_compressed)) {
      if (stored.size() != static_cast<size_t>(h.uncompressed_size))
        throw FormatError(fmt::format("uncompressed page holds {} bytes, its header says {}", stored.size(),
                                      h.uncompressed_size),
                          where);
      body = stored;
    } else if (v2_values_compressed) {
      body = stored.first(level_bytes);
    } else {
      page.resize(static_cast<size_t>(h.uncompressed_size));
      decompress(meta.codec, stored, page, where);
      body = page;
    }
    io::BufferOrigin page_origin{name(), where_object + fmt::format(", page at {}", start + header_at),
                                 start + header_at, true};
    io::Cursor in(body, &page_origin);
    if (h.type == PageType::DictionaryPage) {
      if (h.num_values < 0) in.fail("negative dictionary size");
      auto count = static_cast<size_t>(h.num_values);
      dictionary = Dictionary{};
      if (is_byte_array) {
        strings.clear();
        decode_plain_strings(in, count, strings, fixed_length);
        for (auto s : strings) {
          dictionary.strings.emplace_back(dictionary.string_bytes.size(), s.size());
          dictionary.string_bytes.insert(dictionary.string_bytes.end(), s.begin(), s.end());
        }
      } else {
        decode_plain_fixed(in, stored_type, count, dictionary.fixed);
      }
      dictionary.size = count;
      continue;
    }
    if (h.num_values < 0) in.fail("negative value count");
    size_t n = static_cast<size_t>(h.num_values);
    if (static_cast<int64_t>(n) > meta.num_values - values_seen)
      in.fail(fmt::format("page holds {} values, more than the {} left in the column chunk", n,
                          meta.num_values - values_seen));

    // Levels, a run at a time.
    // A column without repetition (or definition) stores no such levels, whatever encoding the
    // page header names for them.
    auto level_stream = [&](int max_level, int32_t v2_bytes, Encoding encoding,
                            std::vector<std::byte>& transcoded) {
      const int bits = bit_width(static_cast<uint32_t>(max_level));
      if (max_level == 0) return HybridRunReader(io::Cursor({}, &page_origin), 0, n);
      size_t bytes;
      if (v2) {
        bytes = static_cast<size_t>(v2_bytes);
      } else if (encoding == Encoding::BitPacked) {
        transcode_bit_packed_levels(in, bits, n, transcoded);
        return HybridRunReader(io::Cursor(transcoded, &page_origin), bits, n);
      } else if (encoding == Encoding::Rle) {
        uint32_t level_length;
        std::memcpy(&level_length, in.bytes(4).data(), 4);
        bytes = level_length;
      } else {
        throw FormatError(fmt::format("levels in {}: the format encodes them as RLE or BIT_PACKED",
                                      encoding_name(encoding)),
                          where);
      }
      size_t at = in.position();
      in.skip(bytes);
      return HybridRunReader(io::Cursor(body.first(at + bytes), &page_origin, at), bits, n);
    };
    HybridRunReader repetition =
        level_stream(R, h.repetition_levels_bytes, h.repetition_level_encoding, transcoded_repetition);
    HybridRunReader definition =
        level_stream(D, h.definition_levels_bytes, h.definition_level_encoding, transcoded_definition);
    size_t valid_before = out.valid.size();
    LevelAssembler levels(info, out);
    if (R == 0 && D == 0) {
      out.rows += n;
      levels.slots = levels.present = n;
    } else {
      uint32_t r = 0, d = 0;
      size_t r_left = 0, d_left = 0;
      auto next_definition = [&] {
        definition.next(d, d_left);
        if (d > static_cast<uint32_t>(D))
          in.fail(fmt::format("definition level {} above the maximum {}", d, D));
      };
      if (n > 0) next_definition();
      if (d_left == n && d == static_cast<uint32_t>(D) && levels.takes_all_present()) {
        // Present PLAIN numbers need their bytes: a corrupt count fails here, before any list is
        // made for it.
        const size_t value_room =
            v2_values_compressed ? static_cast<size_t>(h.uncompressed_size) - level_bytes : in.remaining();
        if (h.encoding == Encoding::Plain && plain_width(stored_type) >= 4 && n > value_room / width)
          in.fail(fmt::format("page holds {} bytes of values for {} present values of {} bytes", value_room,
                              n, width));
        levels.add_all_present(repetition, n, values_seen == 0, in);
      } else {
        for (size_t done = 0; done < n;) {
          if (r_left == 0) {
            repetition.next(r, r_left);
            check_repetition(r, static_cast<uint32_t>(R), values_seen == 0 && done == 0, in);
          }
          if (d_left == 0) next_definition();
          size_t run = std::min(r_left, d_left);
          levels.add(r, d, run);
          r_left -= run, d_left -= run, done += run;
        }
      }
    }
    const size_t slots = levels.slots, present = levels.present;
    if (present > slots) in.fail(fmt::format("{} values for {} slots", present, slots));

    // Values: straight into the column when none is null, else placed around the nulls.
    const bool dictionary_encoded =
        h.encoding == Encoding::RleDictionary || h.encoding == Encoding::PlainDictionary;
    check_value_encoding(h.encoding, stored_type, where);
    if (v2_values_compressed) {
      const size_t value_bytes = static_cast<size_t>(h.uncompressed_size) - level_bytes;
      const auto compressed = stored.subspan(level_bytes);
      const bool plain_numbers = width == 4 || width == 8;  // not booleans, strings or INT96
      if (h.encoding == Encoding::Plain && plain_numbers && plain_width(stored_type) == width &&
          present == slots && value_bytes == present * width) {
        const size_t at = out.values.size();
        reserve_more(out.values, value_bytes);
        out.values.resize(at + value_bytes);
        decompress(meta.codec, compressed, std::span(out.values).subspan(at), where);
        values_seen += static_cast<int64_t>(n);
        continue;
      }
      page.resize(value_bytes);
      decompress(meta.codec, compressed, page, where);
      in = io::Cursor(page, &page_origin);
    }
    std::optional<HybridRunReader> indices;
    if (dictionary_encoded) {
      int bits = in.u8();
      indices.emplace(in, bits, present);
    }
    auto for_each_index = [&](auto&& f) {
      while (indices->remaining() > 0) {
        uint32_t index;
        size_t count;
        indices->next(index, count);
        if (index >= dictionary.size)
          in.fail(fmt::format("dictionary index {} of {} entries", index, dictionary.size));
        f(index, count);
      }
    };
    if (is_byte_array) {
      strings.clear();
      if (dictionary_encoded) {
        for_each_index([&](uint32_t index, size_t count) {
          auto [offset, len] = dictionary.strings[index];
          strings.insert(strings.end(), count,
                         std::span<const std::byte>(dictionary.string_bytes).subspan(offset, len));
        });
      } else if (h.encoding == Encoding::DeltaLengthByteArray) {
        decode_delta_length_byte_array(in, present, lengths, strings);
      } else if (h.encoding == Encoding::DeltaByteArray) {
        decode_delta_byte_array(in, present, prefixes, lengths, rebuilt_strings, strings);
        if (fixed_length > 0)
          for (auto value : strings)
            if (value.size() != fixed_length)
              in.fail(fmt::format("DELTA_BYTE_ARRAY value of {} bytes in a FIXED_LEN_BYTE_ARRAY({}) column",
                                  value.size(), fixed_length));
      } else {
        decode_plain_strings(in, present, strings, fixed_length);
      }
      reserve_more(out.string_offsets, slots);
      size_t value_index = 0;
      for (size_t s = 0; s < slots; ++s) {
        if (present == slots || out.valid[valid_before + s]) {
          auto bytes = strings[value_index++];
          append_bytes(out.values, bytes);
        }
        out.string_offsets.push_back(static_cast<int64_t>(out.values.size()));
      }
    } else {
      ByteBuffer& target = present == slots ? out.values : nullable_values;
      if (present != slots) nullable_values.clear();
      if (dictionary_encoded) {
        reserve_more(target, present * width);
        for_each_index([&](uint32_t index, size_t count) {
          const std::byte* entry = dictionary.fixed.data() + index * width;
          for (size_t i = 0; i < count; ++i) append_bytes(target, std::span(entry, width));
        });
      } else if (h.encoding == Encoding::DeltaBinaryPacked) {
        if (stored_type == PhysicalType::Int32)
          decode_delta_binary_packed<int32_t>(in, present, target);
        else
          decode_delta_binary_packed<int64_t>(in, present, target);
      } else if (h.encoding == Encoding::ByteStreamSplit) {
        decode_byte_stream_split(in, present, width, target);
      } else if (h.encoding == Encoding::Rle) {
        decode_rle_booleans(in, present, target);
      } else {
        decode_plain_fixed(in, stored_type, present, target);
      }
      if (present != slots) {
        size_t at = out.values.size();
        out.values.resize(at + slots * width);
        size_t value_index = 0;
        for (size_t s = 0; s < slots; ++s) {
          std::byte* slot = out.values.data() + at + s * width;
          if (out.valid[valid_before + s]) {
            std::memcpy(slot, nullable_values.data() + value_index * width, width);
            ++value_index;
          } else {
            std::memset(slot, 0, width);
          }
        }
      }
    }
    values_seen += static_cast<int64_t>(n);
  }
}

}  // namespace trigml::parquet

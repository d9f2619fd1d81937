#include "rootio/rntuple_format.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "common/error.hpp"

namespace trigml::rootio::rntuple {

uint64_t checksum(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

namespace {

// Envelopes store little-endian basic types, strings with a 32-bit length and frames.
class EnvelopeReader {
 public:
  explicit EnvelopeReader(io::Cursor& cursor) : cursor_(cursor) {}

  template <typename T>
  T number() {
    return cursor_.read_little_endian<T>();
  }
  std::string string() {
    uint32_t length = number<uint32_t>();
    auto chars = cursor_.bytes(length);
    return {reinterpret_cast<const char*>(chars.data()), chars.size()};
  }

  struct Frame {
    size_t end = 0;      // position after the frame
    uint32_t items = 0;  // list frames: number of items
  };
  // A frame's preamble: its size (negative for list frames) and, for lists, the item count.
  Frame record_frame(const char* what) { return frame(what, false); }
  // A list whose items take at least `item_bytes` each: a count the frame cannot hold is an error
  // before anything is allocated for it.
  Frame list_frame(const char* what, size_t item_bytes) {
    Frame list = frame(what, true);
    if (list.items > (list.end - cursor_.position()) / item_bytes)
      cursor_.fail(fmt::format("{} of {} items does not fit in its {}-byte frame", what, list.items,
                               list.end - cursor_.position()));
    return list;
  }
  // Frames may grow in later format versions: a reader skips what it does not know.
  void leave(const Frame& frame) { cursor_.seek(frame.end); }

  Locator locator() {
    size_t start = cursor_.position();
    int32_t size = number<int32_t>();
    if (size >= 0) return {number<uint64_t>(), static_cast<uint64_t>(size)};
    // A non-standard locator: its own size in bits 0:15, its type in the last 8 bits (negated).
    auto bits = static_cast<uint32_t>(size);
    uint32_t locator_size = bits & 0xFFFF;
    int type = -static_cast<int8_t>(bits >> 24);
    if (type != 0x01)
      cursor_.fail_at(start, fmt::format("locator type {} is not one this reader knows (1, large)", type));
    if (locator_size != 4 + 16)
      cursor_.fail_at(start, fmt::format("large locator of {} bytes, expected 20", locator_size));
    Locator locator;
    locator.size = number<uint64_t>();
    locator.offset = number<uint64_t>();
    return locator;
  }

  uint64_t feature_flags() {
    size_t start = cursor_.position();
    uint64_t flags = number<uint64_t>();
    // No feature flags are defined in format 1.0: any bit means a feature this reader lacks.
    if (flags != 0)
      throw UnsupportedError(fmt::format("RNTuple feature flags 0x{:x} are not supported", flags),
                             io::context_at(cursor_.origin(), start));
    return flags;
  }

  io::Cursor& cursor() { return cursor_; }

 private:
  Frame frame(const char* what, bool list) {
    size_t start = cursor_.position();
    int64_t size = number<int64_t>();
    if ((size < 0) != list)
      cursor_.fail_at(start, fmt::format("expected a {} frame for {}", list ? "list" : "record", what));
    uint64_t bytes = size < 0 ? 0 - static_cast<uint64_t>(size) : static_cast<uint64_t>(size);
    Frame frame;
    if (list) frame.items = number<uint32_t>();
    size_t preamble = cursor_.position() - start;
    if (bytes < preamble || bytes > cursor_.size() - start)
      cursor_.fail_at(start, fmt::format("{} frame of {} bytes does not fit in the {} bytes left", what,
                                         bytes, cursor_.size() - start));
    frame.end = start + bytes;
    return frame;
  }

  io::Cursor& cursor_;
};

constexpr size_t max_field_depth = 64;

FieldDescription read_field(EnvelopeReader& in) {
  auto frame = in.record_frame("field");
  FieldDescription field;
  field.field_version = in.number<uint32_t>();
  field.type_version = in.number<uint32_t>();
  field.parent = in.number<uint32_t>();
  size_t role_at = in.cursor().position();
  uint16_t role = in.number<uint16_t>();
  if (role > static_cast<uint16_t>(StructuralRole::Streamer))
    in.cursor().fail_at(role_at, fmt::format("unknown structural role {}", role));
  field.role = static_cast<StructuralRole>(role);
  field.flags = in.number<uint16_t>();
  field.name = in.string();
  field.type_name = in.string();
  field.type_alias = in.string();
  field.description = in.string();
  if (field.flags & 0x01) field.array_size = in.number<uint64_t>();
  if (field.flags & 0x02) {
    field.projected = true;
    field.source_field = in.number<uint32_t>();
  }
  if (field.flags & 0x04) in.number<uint32_t>();  // ROOT type checksum: only for I/O rules
  in.leave(frame);
  return field;
}

ColumnDescription read_column(EnvelopeReader& in) {
  auto frame = in.record_frame("column");
  ColumnDescription column;
  column.type = static_cast<ColumnType>(in.number<uint16_t>());
  column.bits_on_storage = in.number<uint16_t>();
  column.field = in.number<uint32_t>();
  column.flags = in.number<uint16_t>();
  column.representation = in.number<uint16_t>();
  if (column.flags & 0x01) column.first_element = in.number<int64_t>();
  if (column.flags & 0x02) {
    in.number<double>();  // value range: only Real32Quant needs it, and it is not read
    in.number<double>();
  }
  in.leave(frame);
  return column;
}

void attach_column(Description& description, uint32_t column_id, uint32_t field_id, uint16_t representation,
                   io::Cursor& cursor, size_t at) {
  if (field_id >= description.fields.size())
    cursor.fail_at(at, fmt::format("column {} belongs to field {}, but there are {} fields", column_id,
                                   field_id, description.fields.size()));
  auto& representations = description.fields[field_id].representations;
  if (representations.size() <= representation) representations.resize(representation + 1u);
  representations[representation].push_back(column_id);
}

// Fields, columns, alias columns and extra type information: the header's schema, and the
// footer's schema extension, which continues its ids.
void read_schema(EnvelopeReader& in, Description& description) {
  io::Cursor& cursor = in.cursor();
  auto fields = in.list_frame("field list", 40);
  size_t first_field = description.fields.size();
  for (uint32_t i = 0; i < fields.items; ++i) description.fields.push_back(read_field(in));
  in.leave(fields);
  for (size_t id = first_field; id < description.fields.size(); ++id) {
    uint32_t parent = description.fields[id].parent;
    if (parent >= description.fields.size())
      cursor.fail(fmt::format("field {} has parent {}, but there are {} fields", id, parent,
                              description.fields.size()));
    if (parent != id) {
      if (parent > id) cursor.fail(fmt::format("field {} comes before its parent {}", id, parent));
      description.fields[parent].children.push_back(static_cast<uint32_t>(id));
    }
    // Readers recurse through the field tree: a bound on its depth bounds their stack.
    size_t depth = 0;
    for (size_t up = id; description.fields[up].parent != up; up = description.fields[up].parent)
      if (++depth > max_field_depth)
        throw UnsupportedError(
            fmt::format("field {} is nested more than {} levels deep", id, max_field_depth),
            io::context_at(cursor.origin(), cursor.position()));
  }

  auto columns = in.list_frame("column list", 20);
  for (uint32_t i = 0; i < columns.items; ++i) {
    size_t at = cursor.position();
    ColumnDescription column = read_column(in);
    auto id = static_cast<uint32_t>(description.columns.size());
    attach_column(description, id, column.field, column.representation, cursor, at);
    description.columns.push_back(column);
  }
  in.leave(columns);

  auto aliases = in.list_frame("alias column list", 16);
  for (uint32_t i = 0; i < aliases.items; ++i) {
    size_t at = cursor.position();
    auto frame = in.record_frame("alias column");
    uint32_t physical = in.number<uint32_t>();
    uint32_t field = in.number<uint32_t>();
    in.leave(frame);
    if (physical >= description.columns.size())
      cursor.fail_at(at, fmt::format("alias of column {}, but there are {} columns", physical,
                                     description.columns.size()));
    attach_column(description, physical, field, description.columns[physical].representation, cursor, at);
  }
  in.leave(aliases);

  auto extra = in.list_frame("extra type information list", 8);  // streamer info for I/O rules: not needed
  in.leave(extra);
}

}  // namespace

Anchor parse_anchor(std::span<const std::byte> payload, const io::BufferOrigin& origin) {
  io::Cursor cursor(payload, &origin);
  uint32_t byte_count = cursor.u32();
  if ((byte_count & 0x40000000u) == 0) cursor.fail_at(0, "ROOT::RNTuple without a byte count");
  cursor.u16();  // class version
  size_t fields_begin = cursor.position();
  Anchor anchor;
  anchor.epoch = cursor.u16();
  anchor.major = cursor.u16();
  anchor.minor = cursor.u16();
  anchor.patch = cursor.u16();
  anchor.seek_header = cursor.u64();
  anchor.nbytes_header = cursor.u64();
  anchor.len_header = cursor.u64();
  anchor.seek_footer = cursor.u64();
  anchor.nbytes_footer = cursor.u64();
  anchor.len_footer = cursor.u64();
  anchor.max_key_size = cursor.u64();
  size_t fields_end = cursor.position();
  // Later anchor versions may append fields: the checksum follows the byte-counted object.
  cursor.seek(std::max<size_t>(fields_end, 4 + (byte_count & ~0x40000000u)));
  size_t checksum_at = cursor.position();
  uint64_t stored = cursor.u64();
  uint64_t computed = checksum(payload.subspan(fields_begin, checksum_at - fields_begin));
  if (stored != computed)
    cursor.fail_at(
        checksum_at,
        fmt::format("anchor checksum 0x{:016x} does not match its contents (0x{:016x})", stored, computed));
  if (anchor.epoch != 1)
    throw UnsupportedError(fmt::format("RNTuple format {}.{}.{}.{}: only epoch 1 is read", anchor.epoch,
                                       anchor.major, anchor.minor, anchor.patch),
                           io::context_at(&origin, fields_begin));
  return anchor;
}

uint64_t envelope_checksum(std::span<const std::byte> envelope) {
  uint64_t checksum = 0;
  if (envelope.size() >= 8) std::memcpy(&checksum, envelope.data() + envelope.size() - 8, 8);
  return checksum;
}

std::span<const std::byte> envelope_payload(std::span<const std::byte> envelope, EnvelopeType expected,
                                            const io::BufferOrigin& origin) {
  io::Cursor cursor(envelope, &origin);
  if (envelope.size() < 16)
    cursor.fail(
        fmt::format("envelope of {} bytes is shorter than its preamble and checksum", envelope.size()));
  uint64_t preamble = cursor.read_little_endian<uint64_t>();
  auto type = static_cast<uint16_t>(preamble & 0xFFFF);
  uint64_t length = preamble >> 16;
  if (type != static_cast<uint16_t>(expected))
    cursor.fail_at(0, fmt::format("envelope type {}, expected {}", type, static_cast<uint16_t>(expected)));
  if (length != envelope.size())
    cursor.fail_at(0,
                   fmt::format("envelope says it is {} bytes long, its locator {}", length, envelope.size()));
  uint64_t computed = checksum(envelope.first(envelope.size() - 8));
  if (computed != envelope_checksum(envelope))
    cursor.fail_at(envelope.size() - 8,
                   fmt::format("envelope checksum 0x{:016x} does not match its contents (0x{:016x})",
                               envelope_checksum(envelope), computed));
  return envelope.subspan(8, envelope.size() - 16);
}

std::string column_type_name(ColumnType type) {
  switch (type) {
    case ColumnType::Bit: return "Bit";
    case ColumnType::Byte: return "Byte";
    case ColumnType::Char: return "Char";
    case ColumnType::Int8: return "Int8";
    case ColumnType::UInt8: return "UInt8";
    case ColumnType::Int16: return "Int16";
    case ColumnType::UInt16: return "UInt16";
    case ColumnType::Int32: return "Int32";
    case ColumnType::UInt32: return "UInt32";
    case ColumnType::Int64: return "Int64";
    case ColumnType::UInt64: return "UInt64";
    case ColumnType::Real16: return "Real16";
    case ColumnType::Real32: return "Real32";
    case ColumnType::Real64: return "Real64";
    case ColumnType::Index32: return "Index32";
    case ColumnType::Index64: return "Index64";
    case ColumnType::Switch: return "Switch";
    case ColumnType::SplitInt16: return "SplitInt16";
    case ColumnType::SplitUInt16: return "SplitUInt16";
    case ColumnType::SplitInt32: return "SplitInt32";
    case ColumnType::SplitUInt32: return "SplitUInt32";
    case ColumnType::SplitInt64: return "SplitInt64";
    case ColumnType::SplitUInt64: return "SplitUInt64";
    case ColumnType::SplitReal16: return "SplitReal16";
    case ColumnType::SplitReal32: return "SplitReal32";
    case ColumnType::SplitReal64: return "SplitReal64";
    case ColumnType::SplitIndex32: return "SplitIndex32";
    case ColumnType::SplitIndex64: return "SplitIndex64";
    case ColumnType::Real32Trunc: return "Real32Trunc";
    case ColumnType::Real32Quant: return "Real32Quant";
  }
  return fmt::format("unknown column type 0x{:02x}", static_cast<uint16_t>(type));
}

void parse_header(std::span<const std::byte> envelope, Description& description,
                  const io::BufferOrigin& origin) {
  auto payload = envelope_payload(envelope, EnvelopeType::Header, origin);
  io::Cursor cursor(envelope.first(8 + payload.size()), &origin, 8);
  EnvelopeReader in(cursor);
  in.feature_flags();
  description.name = in.string();
  description.description = in.string();
  description.writer = in.string();
  read_schema(in, description);
  description.header_checksum = envelope_checksum(envelope);
}

void parse_footer(std::span<const std::byte> envelope, Description& description,
                  const io::BufferOrigin& origin) {
  auto payload = envelope_payload(envelope, EnvelopeType::Footer, origin);
  io::Cursor cursor(envelope.first(8 + payload.size()), &origin, 8);
  EnvelopeReader in(cursor);
  in.feature_flags();
  size_t checksum_at = cursor.position();
  uint64_t header_checksum = in.number<uint64_t>();
  if (header_checksum != description.header_checksum)
    cursor.fail_at(checksum_at,
                   fmt::format("footer belongs to a header with checksum 0x{:016x}, not 0x{:016x}",
                               header_checksum, description.header_checksum));
  auto extension = in.record_frame("schema extension");
  if (cursor.position() < extension.end) read_schema(in, description);
  in.leave(extension);

  auto groups = in.list_frame("cluster group list", 8);
  for (uint32_t i = 0; i < groups.items; ++i) {
    auto frame = in.record_frame("cluster group");
    ClusterGroup group;
    group.min_entry = in.number<uint64_t>();
    group.entry_span = in.number<uint64_t>();
    group.clusters = in.number<uint32_t>();
    group.page_list_length = in.number<uint64_t>();
    group.page_list = in.locator();
    in.leave(frame);
    description.groups.push_back(group);
  }
  in.leave(groups);
}

void parse_page_list(std::span<const std::byte> envelope, const ClusterGroup& group, Description& description,
                     const io::BufferOrigin& origin) {
  auto payload = envelope_payload(envelope, EnvelopeType::PageList, origin);
  io::Cursor cursor(envelope.first(8 + payload.size()), &origin, 8);
  EnvelopeReader in(cursor);
  size_t checksum_at = cursor.position();
  if (in.number<uint64_t>() != description.header_checksum)
    cursor.fail_at(checksum_at, "page list belongs to another header (checksum differs)");

  size_t first_cluster = description.clusters.size();
  auto summaries = in.list_frame("cluster summary list", 24);
  if (summaries.items != group.clusters)
    cursor.fail(
        fmt::format("page list has {} clusters, its cluster group {}", summaries.items, group.clusters));
  for (uint32_t i = 0; i < summaries.items; ++i) {
    auto frame = in.record_frame("cluster summary");
    Cluster cluster;
    cluster.first_entry = in.number<uint64_t>();
    size_t entries_at = cursor.position();
    uint64_t entries_and_flags = in.number<uint64_t>();
    cluster.entries = entries_and_flags & ((uint64_t{1} << 56) - 1);
    if ((entries_and_flags >> 56) & 0x01)
      throw UnsupportedError("sharded clusters (a later format version) are not supported",
                             io::context_at(&origin, entries_at));
    in.leave(frame);
    description.clusters.push_back(std::move(cluster));
  }
  in.leave(summaries);

  auto clusters = in.list_frame("page locations", 12);
  if (clusters.items != summaries.items)
    cursor.fail(
        fmt::format("page locations for {} clusters, summaries for {}", clusters.items, summaries.items));
  for (uint32_t c = 0; c < clusters.items; ++c) {
    Cluster& cluster = description.clusters[first_cluster + c];
    auto columns = in.list_frame("column page list", 20);
    if (columns.items > description.columns.size())
      cursor.fail(fmt::format("pages for {} columns, but the schema has {}", columns.items,
                              description.columns.size()));
    cluster.columns.resize(columns.items);
    for (uint32_t k = 0; k < columns.items; ++k) {
      auto pages = in.list_frame("page list", 16);
      ColumnPages& column = cluster.columns[k];
      column.pages.reserve(pages.items);
      for (uint32_t p = 0; p < pages.items; ++p) {
        PageDescription page;
        auto elements = in.number<int32_t>();
        page.has_checksum = elements < 0;
        page.elements = elements < 0 ? 0u - static_cast<uint32_t>(elements) : static_cast<uint32_t>(elements);
        page.locator = in.locator();
        column.pages.push_back(page);
      }
      int64_t first_element = in.number<int64_t>();
      column.suppressed = first_element < 0;
      if (!column.suppressed) {
        column.first_element = static_cast<uint64_t>(first_element);
        column.compression = in.number<uint32_t>();
      }
      in.leave(pages);
    }
    in.leave(columns);
  }
  in.leave(clusters);
}

}  // namespace trigml::rootio::rntuple

#include "rootio/rntuple.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "common/error.hpp"
#include "rootio/decompress.hpp"
#include "rootio/rntuple_page.hpp"

namespace trigml::rootio {

using rntuple::ColumnElements;
using rntuple::ColumnEncoding;
using rntuple::FieldDescription;
using rntuple::StructuralRole;

namespace {

// A page bigger than this is refused rather than allocated: ROOT writes pages of about 1 MiB, and
// a corrupt element count must not make the reader ask for gigabytes.
constexpr uint64_t max_page_bytes = uint64_t{1} << 30;

std::optional<ElementType> number_type_of(std::string_view type_name) {
  static const std::pair<std::string_view, ElementType> names[] = {{"bool", ElementType::Bool},
                                                                   {"char", ElementType::Int8},
                                                                   {"std::byte", ElementType::UInt8},
                                                                   {"std::int8_t", ElementType::Int8},
                                                                   {"std::uint8_t", ElementType::UInt8},
                                                                   {"std::int16_t", ElementType::Int16},
                                                                   {"std::uint16_t", ElementType::UInt16},
                                                                   {"std::int32_t", ElementType::Int32},
                                                                   {"std::uint32_t", ElementType::UInt32},
                                                                   {"std::int64_t", ElementType::Int64},
                                                                   {"std::uint64_t", ElementType::UInt64},
                                                                   {"float", ElementType::Float32},
                                                                   {"double", ElementType::Float64}};
  for (const auto& [name, type] : names)
    if (name == type_name) return type;
  return std::nullopt;
}

// What a field is, for reading: the format's structural role refined by its type.
enum class Shape { Number, String, Collection, Array, Record, Variant, Wrapper, Unsupported };

Shape shape_of(const FieldDescription& field) {
  switch (field.role) {
    case StructuralRole::Collection: return Shape::Collection;
    case StructuralRole::Record: return Shape::Record;
    case StructuralRole::Variant: return Shape::Variant;
    case StructuralRole::Streamer: return Shape::Unsupported;
    case StructuralRole::Leaf: break;
  }
  if (field.repetitive()) return field.children.size() == 1 ? Shape::Array : Shape::Unsupported;
  if (field.type_name == "std::string") return Shape::String;
  if (number_type_of(field.type_name) && !field.representations.empty()) return Shape::Number;
  // std::atomic<T> and enums: a leaf without columns around one subfield that holds the value.
  if (field.representations.empty() && field.children.size() == 1) return Shape::Wrapper;
  return Shape::Unsupported;
}

template <typename F>
void with_number_type(ElementType type, F&& f) {
  switch (type) {
    case ElementType::Bool: f(uint8_t{}); break;
    case ElementType::Int8: f(int8_t{}); break;
    case ElementType::UInt8: f(uint8_t{}); break;
    case ElementType::Int16: f(int16_t{}); break;
    case ElementType::UInt16: f(uint16_t{}); break;
    case ElementType::Int32: f(int32_t{}); break;
    case ElementType::UInt32: f(uint32_t{}); break;
    case ElementType::Int64: f(int64_t{}); break;
    case ElementType::UInt64: f(uint64_t{}); break;
    case ElementType::Float32: f(float{}); break;
    case ElementType::Float64: f(double{}); break;
  }
}

// Numbers decoded in a column's type, converted to the field's (a double stored as SplitReal32,
// an int64 stored as Int32 ...).
ByteBuffer convert_numbers(const ByteBuffer& values, ElementType from, ElementType to) {
  ByteBuffer out;
  size_t count = values.size() / element_size(from);
  out.resize(count * element_size(to));
  with_number_type(from, [&](auto source) {
    using From = decltype(source);
    with_number_type(to, [&](auto target) {
      using To = decltype(target);
      for (size_t i = 0; i < count; ++i) {
        From x;
        std::memcpy(&x, values.data() + i * sizeof(From), sizeof(From));
        To y = to == ElementType::Bool ? static_cast<To>(x != From{}) : static_cast<To>(x);
        std::memcpy(out.data() + i * sizeof(To), &y, sizeof(To));
      }
    });
  });
  return out;
}

}  // namespace

// The decoded columns of a set of fields over a run of clusters, with element indices global to
// the RNTuple (collection offsets and variant indices are stored relative to their cluster).
struct RNTuple::Loaded {
  struct Slot {
    std::vector<ColumnEncoding> encodings;  // per loaded cluster (the representation may change)
    ColumnElements elements;
    uint64_t first_element = 0;  // the element index of elements[0]
    uint64_t items_begin = 0;    // Index columns: where the first element's items start
  };

  const RNTuple& ntuple;
  size_t first_cluster = 0;
  size_t end_cluster = 0;
  std::unordered_map<uint32_t, std::vector<Slot>> slots;  // by field id, one per column of its representation

  const rntuple::Description& description() const { return ntuple.description_; }
  const FieldDescription& field(uint32_t id) const { return description().fields[id]; }

  ErrorContext where(uint32_t field_id) const {
    return {ntuple.file().name(), std::nullopt,
            fmt::format("RNTuple '{}' field '{}'", ntuple.name(), ntuple.path_of(field_id))};
  }

  // The representation whose columns hold the field's data in cluster c, or null for fields
  // without columns.
  const std::vector<uint32_t>* active_representation(uint32_t field_id, size_t c) const {
    const auto& field = this->field(field_id);
    if (field.representations.empty()) return nullptr;
    const auto& cluster = description().clusters[c];
    for (const auto& representation : field.representations) {
      if (representation.empty()) continue;
      uint32_t principal = representation.front();
      if (principal >= cluster.columns.size())
        throw UnsupportedError(
            fmt::format("column {} has no pages in cluster {} (deferred columns are not read)", principal, c),
            where(field_id));
      if (!cluster.columns[principal].suppressed) return &representation;
    }
    throw FormatError(fmt::format("every column representation is suppressed in cluster {}", c),
                      where(field_id));
  }

  // The field's first element index in cluster c, found through its columns or its subfields'.
  uint64_t cluster_first_element(uint32_t field_id, size_t c) const {
    if (const auto* representation = active_representation(field_id, c))
      return description().clusters[c].columns[representation->front()].first_element;
    const auto& field = this->field(field_id);
    if (field.children.empty()) return 0;
    uint64_t child_first = cluster_first_element(field.children.front(), c);
    if (field.repetitive()) return field.array_size == 0 ? 0 : child_first / field.array_size;
    return child_first;
  }

  void load(const std::vector<uint32_t>& field_ids) {
    for (uint32_t id : field_ids) {
      if (field(id).representations.empty()) continue;
      auto& field_slots = slots[id];
      field_slots.resize(field(id).representations.front().size());
      for (size_t c = first_cluster; c < end_cluster; ++c) load_cluster(id, c, field_slots);
    }
  }

  void load_cluster(uint32_t field_id, size_t c, std::vector<Slot>& field_slots) {
    const auto& representation = *active_representation(field_id, c);
    if (representation.size() != field_slots.size())
      throw FormatError(
          fmt::format("representations with {} and {} columns", representation.size(), field_slots.size()),
          where(field_id));
    const auto& field = this->field(field_id);
    const auto& cluster = description().clusters[c];
    for (size_t s = 0; s < field_slots.size(); ++s) {
      Slot& slot = field_slots[s];
      uint32_t column_id = representation[s];
      const auto& pages = cluster.columns[column_id];
      ColumnEncoding encoding = rntuple::column_encoding(description().columns[column_id], where(field_id));
      if (c == first_cluster) slot.first_element = pages.first_element;
      slot.encodings.push_back(encoding);

      size_t first_new = encoding.kind == rntuple::ElementKind::Number ? slot.elements.values.size()
                                                                       : slot.elements.indices.size();
      for (size_t p = 0; p < pages.pages.size(); ++p) read_page(field_id, c, column_id, p, encoding, slot);
      if (encoding.kind == rntuple::ElementKind::Number) {
        auto target = number_type_of(field.type_name);
        if (s == 0 && target && *target != encoding.type) {
          ByteBuffer tail(slot.elements.values.begin() + static_cast<std::ptrdiff_t>(first_new),
                          slot.elements.values.end());
          ByteBuffer converted = convert_numbers(tail, encoding.type, *target);
          slot.elements.values.resize(first_new);
          slot.elements.values.insert(slot.elements.values.end(), converted.begin(), converted.end());
        }
      } else {
        globalize(field_id, c, slot, first_new, field_slots);
      }
    }
  }

  // Cluster-relative offsets and variant indices become RNTuple-wide element indices.
  void globalize(uint32_t field_id, size_t c, Slot& slot, size_t first_new,
                 const std::vector<Slot>& field_slots) {
    const auto& field = this->field(field_id);
    auto& indices = slot.elements.indices;
    if (slot.encodings.back().kind == rntuple::ElementKind::Index) {
      uint64_t base = 0;
      if (shape_of(field) == Shape::String) {
        if (field_slots.size() != 2)
          throw FormatError("a string field needs an index and a character column", where(field_id));
        base = description().clusters[c].columns[active_representation(field_id, c)->at(1)].first_element;
      } else if (!field.children.empty()) {
        base = cluster_first_element(field.children.front(), c);
      }
      if (c == first_cluster) slot.items_begin = base;
      for (size_t i = first_new; i < indices.size(); ++i) indices[i] += base;
      return;
    }
    for (size_t i = first_new; i < indices.size(); ++i) {
      uint32_t tag = slot.elements.tags[i];
      if (tag == 0) continue;  // the variant holds nothing
      if (tag > field.children.size())
        throw FormatError(fmt::format("variant tag {} but {} alternatives", tag, field.children.size()),
                          where(field_id));
      indices[i] += cluster_first_element(field.children[tag - 1], c);
    }
  }

  void read_page(uint32_t field_id, size_t c, uint32_t column_id, size_t p, const ColumnEncoding& encoding,
                 Slot& slot) {
    const auto& page = description().clusters[c].columns[column_id].pages[p];
    const auto& source = ntuple.file().source();
    io::BufferOrigin origin{ntuple.file().name(),
                            fmt::format("RNTuple '{}' page {} of column {} (field '{}') in cluster {}",
                                        ntuple.name(), p, column_id, ntuple.path_of(field_id), c),
                            page.locator.offset};
    uint64_t stored = page.locator.size;
    uint64_t total = stored + (page.has_checksum ? 8 : 0);
    if (page.locator.offset > source.size() || total > source.size() - page.locator.offset)
      throw FormatError(fmt::format("page of {} bytes at {} lies outside the {}-byte file", total,
                                    page.locator.offset, source.size()),
                        io::context_at(&origin, 0));
    uint64_t expected = rntuple::page_bytes(encoding, page.elements);
    if (expected > max_page_bytes)
      throw UnsupportedError(fmt::format("page of {} elements ({} bytes) is larger than the {}-byte limit",
                                         page.elements, expected, max_page_bytes),
                             io::context_at(&origin, 0));
    std::vector<std::byte> bytes = source.read(page.locator.offset, total);
    std::span<const std::byte> data(bytes.data(), stored);
    if (page.has_checksum) {
      uint64_t checksum;
      std::memcpy(&checksum, bytes.data() + stored, 8);
      if (checksum != rntuple::checksum(data))
        throw FormatError("page checksum does not match its contents", io::context_at(&origin, stored));
    }
    std::vector<std::byte> unzipped;
    if (stored != expected) {
      if (rootio::declared_size(data) < expected)
        throw FormatError(fmt::format("page of {} bytes, but its compression blocks hold {}", expected,
                                      rootio::declared_size(data)),
                          io::context_at(&origin, 0));
      unzipped.resize(expected);
      decompress(data, unzipped, origin);
      data = unzipped;
    }
    rntuple::decode_page(encoding, data, page.elements, slot.elements);
  }

  const Slot& slot(uint32_t field_id, size_t index) const {
    auto it = slots.find(field_id);
    if (it == slots.end() || index >= it->second.size())
      throw FormatError(fmt::format("field has no column {}", index), where(field_id));
    return it->second[index];
  }

  // The position of element `element` in a slot holding `count` elements, checked.
  size_t local(uint32_t field_id, const Slot& slot, uint64_t element, size_t count) const {
    if (element < slot.first_element || element - slot.first_element >= count)
      throw FormatError(fmt::format("element {} is outside the {} elements read from {}", element, count,
                                    slot.first_element),
                        where(field_id));
    return element - slot.first_element;
  }

  // The items [begin, end) of collection or string element `element`.
  std::pair<uint64_t, uint64_t> items(uint32_t field_id, uint64_t element) const {
    const Slot& index = slot(field_id, 0);
    size_t at = local(field_id, index, element, index.elements.indices.size());
    uint64_t end = index.elements.indices[at];
    uint64_t begin = at == 0 ? index.items_begin : index.elements.indices[at - 1];
    if (begin > end)
      throw FormatError(fmt::format("collection offsets go backwards ({} then {})", begin, end),
                        where(field_id));
    return {begin, end};
  }

  // Items of elements [first, last), as one contiguous range.
  std::pair<uint64_t, uint64_t> item_range(uint32_t field_id, uint64_t first, uint64_t last) const {
    if (first == last) return {0, 0};
    return {items(field_id, first).first, items(field_id, last - 1).second};
  }

  std::span<const std::byte> numbers(uint32_t field_id, size_t slot_index, size_t width, uint64_t first,
                                     uint64_t last) const {
    const Slot& s = slot(field_id, slot_index);
    size_t count = s.elements.values.size() / width;
    if (first == last) return {};
    size_t begin = local(field_id, s, first, count);
    local(field_id, s, last - 1, count);
    return std::span<const std::byte>(s.elements.values).subspan(begin * width, (last - first) * width);
  }

  Value number_value(uint32_t field_id, uint64_t element) const {
    ElementType type = *number_type_of(field(field_id).type_name);
    auto bytes = numbers(field_id, 0, element_size(type), element, element + 1);
    Value value;
    with_number_type(type, [&](auto sample) {
      using T = decltype(sample);
      T x;
      std::memcpy(&x, bytes.data(), sizeof(T));
      if (type == ElementType::Bool)
        value = Value(x != 0);
      else if constexpr (std::is_floating_point_v<T>)
        value = Value(static_cast<double>(x));
      else if constexpr (std::is_same_v<T, uint64_t>)
        value = Value(x);
      else
        value = Value(static_cast<int64_t>(x));
    });
    return value;
  }

  std::string string_value(uint32_t field_id, uint64_t element) const {
    auto [begin, end] = items(field_id, element);
    auto chars = numbers(field_id, 1, 1, begin, end);
    return {reinterpret_cast<const char*>(chars.data()), chars.size()};
  }

  Value value(uint32_t field_id, uint64_t element) const {
    const auto& f = field(field_id);
    switch (shape_of(f)) {
      case Shape::Number: return number_value(field_id, element);
      case Shape::String: return Value(string_value(field_id, element));
      case Shape::Wrapper: return value(f.children.front(), element);
      case Shape::Array: {
        auto list = std::make_shared<List>();
        for (uint64_t i = 0; i < f.array_size; ++i)
          list->push_back(value(f.children.front(), element * f.array_size + i));
        return Value(list);
      }
      case Shape::Collection: {
        auto [begin, end] = items(field_id, element);
        auto list = std::make_shared<List>();
        for (uint64_t i = begin; i < end; ++i) list->push_back(value(f.children.front(), i));
        return Value(list);
      }
      case Shape::Record: {
        auto record = std::make_shared<Record>();
        record->class_name = f.type_name;
        for (uint32_t child : f.children)
          record->fields.emplace_back(field(child).name, value(child, element));
        return Value(record);
      }
      case Shape::Variant: {
        const Slot& s = slot(field_id, 0);
        size_t at = local(field_id, s, element, s.elements.tags.size());
        uint32_t tag = s.elements.tags[at];
        if (tag == 0) return Value();
        return value(f.children[tag - 1], s.elements.indices[at]);
      }
      case Shape::Unsupported: break;
    }
    throw UnsupportedError(fmt::format("fields of type '{}' are not read", f.type_name), where(field_id));
  }

  // The value of chain.back() for element `element` of chain[i]: lists for the collections and
  // arrays on the way, the records passed through.
  Value value_along(const std::vector<uint32_t>& chain, size_t i, uint64_t element) const {
    if (i + 1 == chain.size()) return value(chain[i], element);
    const auto& f = field(chain[i]);
    auto list = std::make_shared<List>();
    switch (shape_of(f)) {
      case Shape::Collection: {
        auto [begin, end] = items(chain[i], element);
        for (uint64_t k = begin; k < end; ++k) list->push_back(value_along(chain, i + 1, k));
        return Value(list);
      }
      case Shape::Array:
        for (uint64_t k = 0; k < f.array_size; ++k)
          list->push_back(value_along(chain, i + 1, element * f.array_size + k));
        return Value(list);
      default: return value_along(chain, i + 1, element);
    }
  }

  static std::vector<uint64_t>& level(Column& column, size_t depth) {
    if (column.offsets.size() <= depth) column.offsets.resize(depth + 1, std::vector<uint64_t>{0});
    return column.offsets[depth];
  }

  // Appends elements [first, last) of the field (numbers, strings, arrays and collections of
  // them) to a numeric or string column whose offsets level `depth` they continue.
  void append(uint32_t field_id, uint64_t first, uint64_t last, Column& column, size_t depth) const {
    const auto& f = field(field_id);
    switch (shape_of(f)) {
      case Shape::Number: {
        column.kind = Column::Kind::Numeric;
        column.type = *number_type_of(f.type_name);
        auto bytes = numbers(field_id, 0, element_size(column.type), first, last);
        column.values.insert(column.values.end(), bytes.begin(), bytes.end());
        return;
      }
      case Shape::Array:
        column.shape.push_back(static_cast<uint32_t>(f.array_size));
        append(f.children.front(), first * f.array_size, last * f.array_size, column, depth);
        return;
      case Shape::Wrapper: append(f.children.front(), first, last, column, depth); return;
      case Shape::String:
      case Shape::Collection: {
        auto& offsets = level(column, depth);
        for (uint64_t e = first; e < last; ++e) {
          auto [begin, end] = items(field_id, e);
          offsets.push_back(offsets.back() + (end - begin));
        }
        auto [begin, end] = item_range(field_id, first, last);
        if (shape_of(f) == Shape::Collection) {
          append(f.children.front(), begin, end, column, depth + 1);
          return;
        }
        column.kind = Column::Kind::String;
        auto chars = numbers(field_id, 1, 1, begin, end);
        column.values.insert(column.values.end(), chars.begin(), chars.end());
        return;
      }
      default: throw InternalError("append() called on a field that is not columnar", where(field_id));
    }
  }

  // Like append(), for the field at the end of a path through records and collections.
  void append_along(const std::vector<uint32_t>& chain, size_t i, uint64_t first, uint64_t last,
                    Column& column, size_t depth) const {
    if (i + 1 == chain.size()) return append(chain[i], first, last, column, depth);
    if (shape_of(field(chain[i])) != Shape::Collection)
      return append_along(chain, i + 1, first, last, column, depth);
    auto& offsets = level(column, depth);
    for (uint64_t e = first; e < last; ++e) {
      auto [begin, end] = items(chain[i], e);
      offsets.push_back(offsets.back() + (end - begin));
    }
    auto [begin, end] = item_range(chain[i], first, last);
    append_along(chain, i + 1, begin, end, column, depth + 1);
  }
};

namespace {

bool fixed(const rntuple::Description& d, uint32_t id) {
  const auto& f = d.fields[id];
  switch (shape_of(f)) {
    case Shape::Number: return true;
    case Shape::Array:
    case Shape::Wrapper: return fixed(d, f.children.front());
    default: return false;
  }
}

// Whether the field becomes a numeric or string column (else one dynamic value per entry).
bool columnar(const rntuple::Description& d, uint32_t id) {
  const auto& f = d.fields[id];
  switch (shape_of(f)) {
    case Shape::Number:
    case Shape::String: return true;
    case Shape::Array: return fixed(d, f.children.front());
    case Shape::Collection:
    case Shape::Wrapper: return columnar(d, f.children.front());
    default: return false;
  }
}

void subtree(const rntuple::Description& d, uint32_t id, std::vector<uint32_t>& out) {
  out.push_back(id);
  for (uint32_t child : d.fields[id].children) subtree(d, child, out);
}

}  // namespace

std::vector<std::byte> RNTuple::read_envelope(uint64_t seek, uint64_t nbytes, uint64_t length,
                                              const std::string& what) const {
  const auto& source = file_->source();
  io::BufferOrigin origin{file_->name(), fmt::format("RNTuple '{}' {}", description_.name, what), seek};
  if (seek > source.size() || nbytes > source.size() - seek)
    throw FormatError(
        fmt::format("{} of {} bytes at {} lies outside the {}-byte file", what, nbytes, seek, source.size()),
        io::context_at(&origin, 0));
  if (nbytes > anchor_.max_key_size)
    throw UnsupportedError(fmt::format("{} of {} bytes is split over several keys (not read)", what, nbytes),
                           io::context_at(&origin, 0));
  if (length > max_page_bytes)
    throw UnsupportedError(
        fmt::format("{} of {} bytes is larger than the {}-byte limit", what, length, max_page_bytes),
        io::context_at(&origin, 0));
  std::vector<std::byte> stored = source.read(seek, nbytes);
  if (nbytes == length) return stored;
  if (declared_size(stored) < length)
    throw FormatError(fmt::format("{} of {} bytes, but its compression blocks hold {}", what, length,
                                  declared_size(stored)),
                      io::context_at(&origin, 0));
  std::vector<std::byte> envelope(length);
  decompress(stored, envelope, origin);
  return envelope;
}

std::shared_ptr<RNTuple> RNTuple::open(std::shared_ptr<RootFile> file, std::string_view path) {
  KeyEntry entry = file->find_key(path);
  if (entry.key.class_name != class_name)
    throw NotFoundError(fmt::format("'{}' is a {}, not an RNTuple", entry.path, entry.key.class_name),
                        {file->name(), entry.key.seek_key, entry.key.describe()});
  std::shared_ptr<RNTuple> ntuple(new RNTuple());
  ntuple->file_ = file;
  ntuple->description_.name = entry.path;
  io::BufferOrigin anchor_origin{file->name(), entry.key.describe(), entry.key.seek_key, true};
  ntuple->anchor_ = rntuple::parse_anchor(file->read_payload(entry.key), anchor_origin);
  const auto& a = ntuple->anchor_;

  auto header = ntuple->read_envelope(a.seek_header, a.nbytes_header, a.len_header, "header");
  io::BufferOrigin header_origin{file->name(), fmt::format("RNTuple '{}' header", entry.path), a.seek_header,
                                 a.nbytes_header != a.len_header};
  rntuple::parse_header(header, ntuple->description_, header_origin);
  auto footer = ntuple->read_envelope(a.seek_footer, a.nbytes_footer, a.len_footer, "footer");
  io::BufferOrigin footer_origin{file->name(), fmt::format("RNTuple '{}' footer", entry.path), a.seek_footer,
                                 a.nbytes_footer != a.len_footer};
  rntuple::parse_footer(footer, ntuple->description_, footer_origin);

  for (const auto& group : ntuple->description_.groups) {
    auto pages = ntuple->read_envelope(group.page_list.offset, group.page_list.size, group.page_list_length,
                                       "page list");
    io::BufferOrigin origin{file->name(), fmt::format("RNTuple '{}' page list", entry.path),
                            group.page_list.offset, group.page_list.size != group.page_list_length};
    rntuple::parse_page_list(pages, group, ntuple->description_, origin);
  }
  for (const auto& cluster : ntuple->description_.clusters) {
    if (cluster.first_entry != ntuple->entries_)
      throw FormatError(fmt::format("cluster starts at entry {}, the one before ended at {}",
                                    cluster.first_entry, ntuple->entries_),
                        {file->name(), std::nullopt, fmt::format("RNTuple '{}' page list", entry.path)});
    ntuple->entries_ += cluster.entries;
  }
  return ntuple;
}

std::vector<uint32_t> RNTuple::top_fields() const {
  std::vector<uint32_t> out;
  for (uint32_t id = 0; id < description_.fields.size(); ++id)
    if (description_.fields[id].parent == id) out.push_back(id);
  return out;
}

uint32_t RNTuple::field(std::string_view path) const {
  std::vector<uint32_t> candidates = top_fields();
  std::optional<uint32_t> found;
  size_t start = 0;
  while (start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string_view component =
        path.substr(start, dot == std::string_view::npos ? path.size() - start : dot - start);
    auto match = [&](const std::vector<uint32_t>& ids) -> std::optional<uint32_t> {
      for (uint32_t id : ids)
        if (description_.fields[id].name == component) return id;
      return std::nullopt;
    };
    auto next = match(candidates);
    // A collection's or array's item ("_0") may be left out of the path.
    if (!next && found && candidates.size() == 1) {
      const auto& item = description_.fields[candidates.front()];
      if (item.name == "_0") next = match(item.children);
    }
    if (!next) {
      std::string names;
      for (uint32_t id : candidates) names += (names.empty() ? "" : ", ") + description_.fields[id].name;
      throw NotFoundError(fmt::format("no field '{}' in RNTuple '{}' (there: {})", path, name(), names),
                          {file_->name(), std::nullopt, fmt::format("RNTuple '{}'", name())});
    }
    found = next;
    candidates = description_.fields[*found].children;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return *found;
}

std::string RNTuple::path_of(uint32_t field) const {
  std::string path;
  for (uint32_t id : chain_of(field)) path += (path.empty() ? "" : ".") + description_.fields[id].name;
  return path;
}

std::vector<uint32_t> RNTuple::chain_of(uint32_t field) const {
  std::vector<uint32_t> chain;
  for (uint32_t id = field;; id = description_.fields[id].parent) {
    chain.push_back(id);
    if (description_.fields[id].parent == id || chain.size() > description_.fields.size()) break;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

void RNTuple::check_readable(uint32_t field) const {
  const auto& f = description_.fields[field];
  ErrorContext where{file_->name(), std::nullopt,
                     fmt::format("RNTuple '{}' field '{}'", name(), path_of(field))};
  Shape shape = shape_of(f);
  if (shape == Shape::Unsupported)
    throw UnsupportedError(
        fmt::format("fields of type '{}' ({}) are not read", f.type_name,
                    f.role == StructuralRole::Streamer ? "ROOT-streamed objects" : "unknown layout"),
        where);
  if ((shape == Shape::Collection || shape == Shape::Array) && f.children.size() != 1)
    throw FormatError(
        fmt::format("a {} field needs one item field, it has {}", f.type_name, f.children.size()), where);
  if ((shape == Shape::Collection || shape == Shape::Variant) && f.representations.empty())
    throw FormatError(fmt::format("a {} field without its index column", f.type_name), where);
  for (uint32_t child : f.children) check_readable(child);
}

std::vector<Column> RNTuple::read(const std::vector<uint32_t>& fields, uint64_t first, uint64_t last) const {
  if (first > last || last > entries_)
    throw UsageError(fmt::format("entries [{}, {}) are not within the {} entries of RNTuple '{}'", first,
                                 last, entries_, name()));
  Loaded loaded{*this, 0, 0, {}};
  const auto& clusters = description_.clusters;
  while (loaded.first_cluster < clusters.size() &&
         clusters[loaded.first_cluster].first_entry + clusters[loaded.first_cluster].entries <= first)
    ++loaded.first_cluster;
  loaded.end_cluster = loaded.first_cluster;
  while (loaded.end_cluster < clusters.size() && clusters[loaded.end_cluster].first_entry < last)
    ++loaded.end_cluster;

  std::vector<uint32_t> needed;
  for (uint32_t id : fields) {
    if (id >= description_.fields.size()) throw UsageError(fmt::format("no field with id {}", id));
    check_readable(id);
    for (uint32_t up : chain_of(id)) needed.push_back(up);
    subtree(description_, id, needed);
  }
  std::sort(needed.begin(), needed.end());
  needed.erase(std::unique(needed.begin(), needed.end()), needed.end());
  loaded.load(needed);

  std::vector<Column> columns(fields.size());
  for (size_t i = 0; i < fields.size(); ++i) {
    Column& column = columns[i];
    column.entries = last - first;
    std::vector<uint32_t> chain = chain_of(fields[i]);
    bool through_collections = std::all_of(chain.begin(), chain.end() - 1, [&](uint32_t id) {
      Shape shape = shape_of(description_.fields[id]);
      return shape == Shape::Record || shape == Shape::Collection || shape == Shape::Wrapper;
    });
    if (through_collections && columnar(description_, fields[i])) {
      loaded.append_along(chain, 0, first, last, column, 0);
    } else {
      column.kind = Column::Kind::Object;
      for (uint64_t e = first; e < last; ++e) column.objects.push_back(loaded.value_along(chain, 0, e));
    }
  }
  return columns;
}

}  // namespace trigml::rootio

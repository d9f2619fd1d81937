#include "parquet/reader.hpp"

#include <cstring>
#include <functional>

#include "parquet/codec.hpp"
#include "parquet/levels.hpp"

namespace trigml::parquet {

std::string ColumnInfo::type_name() const {
  std::string leaf = is_string ? "string" : int_bits ? fmt::format("int{}", int_bits) : physical_type_name(physical);
  for (int k = 0; k < max_repetition; ++k) leaf = "list<" + leaf + ">";
  return leaf;
}

size_t ColumnData::slots() const {
  if (is_string) return string_offsets.size() - 1;
  size_t width = physical == PhysicalType::Boolean ? 1 : physical == PhysicalType::Int32 || physical == PhysicalType::Float ? 4 : 8;
  return values.size() / width;
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

std::unique_ptr<FileReader> FileReader::open(const std::string& path) {
  return open(std::make_unique<rootio::LocalFileSource>(path));
}

std::unique_ptr<FileReader> FileReader::open(std::unique_ptr<rootio::ByteSource> source) {
  std::unique_ptr<FileReader> reader(new FileReader(std::move(source)));
  reader->read_footer();
  return reader;
}

FileReader::FileReader(std::unique_ptr<rootio::ByteSource> source) : source_(std::move(source)) {}

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
  rootio::BufferOrigin origin{name(), "file footer", footer_offset, false};
  rootio::Cursor cursor(footer, &origin);
  metadata_ = decode_file_metadata(cursor);
  if (metadata_.schema.empty()) throw FormatError("footer has an empty schema", {name(), footer_offset, "file footer"});

  // Walk the flattened schema (depth first, with child counts) to find every leaf's levels.
  size_t position = 1;
  std::function<void(int, int, std::vector<std::string>&, ColumnInfo&)> walk =
      [&](int children, int depth, std::vector<std::string>& path, ColumnInfo& parent) {
        if (depth > 32) throw FormatError("schema nested more than 32 deep", {name(), footer_offset, "file footer"});
        for (int c = 0; c < children; ++c) {
          if (position >= metadata_.schema.size())
            throw FormatError("schema lists fewer elements than its child counts say", {name(), footer_offset, "file footer"});
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
            if (!e.type) throw FormatError(fmt::format("leaf '{}' has no type", e.name), {name(), footer_offset, "file footer"});
            info.path = path;
            info.name = path.front();
            info.physical = *e.type;
            info.is_string = e.converted_type == ConvertedType::Utf8 || e.logical_type == 1 ||
                             (info.physical == PhysicalType::ByteArray);
            if (e.converted_type == ConvertedType::Int16 || (e.logical_type == 10 && e.integer_bits == 16))
              info.int_bits = 16;
            info.leaf_nullable = repetition == Repetition::Optional;
            info.row_nullable = info.max_repetition == 0 && info.max_definition > 0;
            if (info.physical == PhysicalType::Int96 || info.physical == PhysicalType::FixedLenByteArray)
              info.is_string = false;
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
      throw FormatError(fmt::format("a row group has {} column chunks for {} leaf columns", group.columns.size(),
                                    columns_.size()),
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
    case PhysicalType::Int32: case PhysicalType::Float: return 4;
    case PhysicalType::Int64: case PhysicalType::Double: return 8;
    case PhysicalType::Int96: return 12;
    default: return 0;
  }
}

// Decoded values of one page before they are placed into slots: fixed-width bytes, or strings.
struct PageValues {
  ByteBuffer fixed;
  std::vector<std::pair<size_t, size_t>> strings;  // offset, length into `string_bytes`
  std::vector<std::byte> string_bytes;
  void clear() {
    fixed.clear();
    strings.clear();
    string_bytes.clear();
  }
};

void decode_plain(rootio::Cursor& in, PhysicalType type, size_t count, PageValues& out) {
  if (type == PhysicalType::Boolean) {
    size_t bytes = (count + 7) / 8;
    auto data = in.bytes(bytes);
    for (size_t i = 0; i < count; ++i)
      out.fixed.push_back(std::byte((static_cast<uint8_t>(data[i / 8]) >> (i % 8)) & 1));
    return;
  }
  if (type == PhysicalType::ByteArray) {
    for (size_t i = 0; i < count; ++i) {
      uint32_t length;
      auto header = in.bytes(4);
      std::memcpy(&length, header.data(), 4);
      auto bytes = in.bytes(length);
      out.strings.emplace_back(out.string_bytes.size(), length);
      out.string_bytes.insert(out.string_bytes.end(), bytes.begin(), bytes.end());
    }
    return;
  }
  size_t width = plain_width(type);
  if (width == 0 || width == 12) throw UnsupportedError(fmt::format("{} values", physical_type_name(type)));
  if (count * width > in.remaining())
    in.fail(fmt::format("page holds {} bytes for {} values of {} bytes", in.remaining(), count, width));
  auto bytes = in.bytes(count * width);
  out.fixed.insert(out.fixed.end(), bytes.begin(), bytes.end());
}

}  // namespace

void FileReader::read(size_t row_group, size_t column, ColumnData& out) const {
  if (row_group >= metadata_.row_groups.size() || column >= columns_.size())
    throw UsageError(fmt::format("row group {} column {} out of range", row_group, column), {name()});
  const ColumnInfo& info = columns_[column];
  const ColumnMetaData& meta = metadata_.row_groups[row_group].columns[column];
  std::string where_object = fmt::format("row group {}, column '{}'", row_group, info.name);
  uint64_t start = static_cast<uint64_t>(meta.dictionary_page_offset.value_or(meta.data_page_offset));
  if (meta.dictionary_page_offset && *meta.dictionary_page_offset > 0)
    start = std::min<uint64_t>(start, static_cast<uint64_t>(meta.data_page_offset));
  uint64_t length = static_cast<uint64_t>(meta.total_compressed_size);
  if (meta.total_compressed_size < 0 || start > source_->size() || length > source_->size() - start)
    throw FormatError(fmt::format("column chunk [{}, {}) lies outside the {}-byte file", start, start + length,
                                  source_->size()),
                      {name(), start, where_object});
  auto chunk = source_->read(start, length);
  rootio::BufferOrigin origin{name(), where_object, start, false};
  rootio::Cursor cursor(chunk, &origin);

  const int R = info.max_repetition, D = info.max_definition;
  PageValues dictionary, page_values;
  ByteBuffer page;
  std::vector<uint32_t> repetition, definition, indices;
  int64_t values_seen = 0;
  while (values_seen < meta.num_values) {
    size_t header_at = cursor.position();
    PageHeader h = decode_page_header(cursor);
    ErrorContext where{name(), start + header_at, where_object};
    if (h.compressed_size < 0 || static_cast<size_t>(h.compressed_size) > cursor.remaining() || h.uncompressed_size < 0)
      throw FormatError(fmt::format("page of {} bytes does not fit in the column chunk", h.compressed_size), where);
    auto stored = cursor.bytes(static_cast<size_t>(h.compressed_size));
    if (h.type == PageType::IndexPage) continue;
    if (h.type != PageType::DataPage && h.type != PageType::DataPageV2 && h.type != PageType::DictionaryPage)
      throw UnsupportedError(fmt::format("page type {}", static_cast<int>(h.type)), where);
    page.resize(static_cast<size_t>(h.uncompressed_size));
    size_t level_bytes = 0;
    if (h.type == PageType::DataPageV2) {
      level_bytes = static_cast<size_t>(h.repetition_levels_bytes) + static_cast<size_t>(h.definition_levels_bytes);
      if (h.repetition_levels_bytes < 0 || h.definition_levels_bytes < 0 || level_bytes > stored.size() ||
          level_bytes > page.size())
        throw FormatError("data page v2 level sizes exceed the page", where);
      std::memcpy(page.data(), stored.data(), level_bytes);
      if (h.is_compressed && meta.codec != Codec::Uncompressed)
        decompress(meta.codec, stored.subspan(level_bytes), std::span(page).subspan(level_bytes), where);
      else
        decompress(Codec::Uncompressed, stored.subspan(level_bytes), std::span(page).subspan(level_bytes), where);
    } else {
      decompress(meta.codec, stored, page, where);
    }
    rootio::BufferOrigin page_origin{name(), where_object + fmt::format(", page at {}", start + header_at),
                                     start + header_at, true};
    rootio::Cursor in(std::span<const std::byte>(page), &page_origin);
    if (h.type == PageType::DictionaryPage) {
      dictionary.clear();
      if (h.num_values < 0) in.fail("negative dictionary size");
      decode_plain(in, info.physical, static_cast<size_t>(h.num_values), dictionary);
      continue;
    }
    if (h.num_values < 0) in.fail("negative value count");
    size_t n = static_cast<size_t>(h.num_values);
    auto read_levels = [&](int max_level, std::vector<uint32_t>& levels, size_t v2_bytes) {
      if (max_level == 0) {
        levels.assign(n, 0);
        return;
      }
      size_t bytes;
      if (h.type == PageType::DataPageV2) {
        bytes = v2_bytes;
      } else {
        if (h.type == PageType::DataPage && h.definition_level_encoding == Encoding::BitPacked)
          throw UnsupportedError("deprecated BIT_PACKED level encoding", where);
        uint32_t level_length;
        auto header = in.bytes(4);
        std::memcpy(&level_length, header.data(), 4);
        bytes = level_length;
      }
      auto data = in.bytes(bytes);
      rootio::Cursor level_cursor(data, &page_origin);
      decode_hybrid(level_cursor, bit_width(static_cast<uint32_t>(max_level)), n, levels);
      for (uint32_t l : levels)
        if (l > static_cast<uint32_t>(max_level)) in.fail(fmt::format("level {} above the maximum {}", l, max_level));
    };
    read_levels(R, repetition, static_cast<size_t>(h.repetition_levels_bytes));
    read_levels(D, definition, static_cast<size_t>(h.definition_levels_bytes));
    size_t present = 0;
    for (uint32_t d : definition) present += d == static_cast<uint32_t>(D);
    page_values.clear();
    if (h.encoding == Encoding::Plain) {
      decode_plain(in, info.physical, present, page_values);
    } else if (h.encoding == Encoding::RleDictionary || h.encoding == Encoding::PlainDictionary) {
      int bits = in.u8();
      auto rest = in.bytes(in.remaining());
      rootio::Cursor index_cursor(rest, &page_origin);
      decode_hybrid(index_cursor, bits, present, indices);
      size_t dictionary_size = info.physical == PhysicalType::ByteArray ? dictionary.strings.size()
                                                                       : dictionary.fixed.size() /
                                                                             std::max<size_t>(1, info.physical == PhysicalType::Boolean ? 1 : plain_width(info.physical));
      size_t width = info.physical == PhysicalType::Boolean ? 1 : plain_width(info.physical);
      for (uint32_t index : indices) {
        if (index >= dictionary_size) in.fail(fmt::format("dictionary index {} of {} entries", index, dictionary_size));
        if (info.physical == PhysicalType::ByteArray) {
          auto [offset, len] = dictionary.strings[index];
          page_values.strings.emplace_back(page_values.string_bytes.size(), len);
          page_values.string_bytes.insert(page_values.string_bytes.end(), dictionary.string_bytes.begin() + offset,
                                          dictionary.string_bytes.begin() + offset + len);
        } else {
          auto from = dictionary.fixed.begin() + static_cast<std::ptrdiff_t>(index * width);
          page_values.fixed.insert(page_values.fixed.end(), from, from + static_cast<std::ptrdiff_t>(width));
        }
      }
    } else {
      throw UnsupportedError(fmt::format("value encoding {}", static_cast<int>(h.encoding)), where);
    }
    // Levels → list offsets and leaf slots; then the values, in bulk when the page has no nulls.
    size_t width = info.physical == PhysicalType::Boolean ? 1 : plain_width(info.physical);
    const bool track_validity = info.leaf_nullable || info.row_nullable;
    size_t valid_before = out.valid.size();
    size_t slots = 0;
    if (R == 0 && D == 0) {
      out.rows += n;
      slots = n;
    } else {
      for (size_t i = 0; i < n; ++i) {
        uint32_t r = repetition[i], d = definition[i];
        if (r == 0) ++out.rows;
        bool leaf_slot = true;
        for (int k = 0; k < R; ++k) {
          auto level = static_cast<size_t>(k);
          if (r <= static_cast<uint32_t>(k)) {
            if (k == 0 || d >= static_cast<uint32_t>(info.element_definition[level - 1])) {
              out.offsets[level].push_back(out.offsets[level].back());
              out.list_valid[level].push_back(d >= static_cast<uint32_t>(info.present_definition[level]));
            } else {
              leaf_slot = false;
              break;
            }
          }
          if (d < static_cast<uint32_t>(info.element_definition[level])) {
            leaf_slot = false;  // an empty or null list: nothing below it
            break;
          }
          if (r <= static_cast<uint32_t>(k) + 1) ++out.offsets[level].back();  // a new element of this list
        }
        if (!leaf_slot) continue;
        ++slots;
        if (track_validity) out.valid.push_back(d == static_cast<uint32_t>(D));
      }
    }
    if (present > slots) in.fail(fmt::format("{} values for {} slots", present, slots));
    if (info.physical == PhysicalType::ByteArray) {
      size_t value_index = 0;
      for (size_t s = 0; s < slots; ++s) {
        bool is_valid = present == slots || out.valid[valid_before + s];
        if (is_valid) {
          auto [offset, len] = page_values.strings[value_index++];
          out.values.insert(out.values.end(), page_values.string_bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                            page_values.string_bytes.begin() + static_cast<std::ptrdiff_t>(offset + len));
        }
        out.string_offsets.push_back(static_cast<int64_t>(out.values.size()));
      }
    } else if (present == slots) {
      out.values.insert(out.values.end(), page_values.fixed.begin(), page_values.fixed.end());
    } else {
      size_t at = out.values.size();
      out.values.resize(at + slots * width);
      size_t value_index = 0;
      for (size_t s = 0; s < slots; ++s) {
        std::byte* target = out.values.data() + at + s * width;
        if (out.valid[valid_before + s]) {
          std::memcpy(target, page_values.fixed.data() + value_index * width, width);
          ++value_index;
        } else {
          std::memset(target, 0, width);
        }
      }
    }
    values_seen += static_cast<int64_t>(n);
  }
  for (int k = 0; k < R; ++k) {
    auto& v = out.list_valid[static_cast<size_t>(k)];
    if (std::all_of(v.begin(), v.end(), [](uint8_t x) { return x != 0; })) v.clear();
  }
}

}  // namespace trigml::parquet

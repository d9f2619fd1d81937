#include "parquet/writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "parquet/codec.hpp"
#include "parquet/levels.hpp"

namespace trigml::parquet {

std::string column_type_name(ColumnType type) {
  switch (type) {
    case ColumnType::Bool: return "bool";
    case ColumnType::Int16: return "int16";
    case ColumnType::Int32: return "int32";
    case ColumnType::Int64: return "int64";
    case ColumnType::Float: return "float";
    case ColumnType::OptionalFloat: return "float (nullable)";
    case ColumnType::Double: return "double";
    case ColumnType::String: return "string";
    case ColumnType::FloatList: return "list<float>";
    case ColumnType::FloatListList: return "list<list<float>>";
  }
  return "?";
}

namespace {

PhysicalType physical_of(ColumnType t) {
  switch (t) {
    case ColumnType::Bool: return PhysicalType::Boolean;
    case ColumnType::Int16:
    case ColumnType::Int32: return PhysicalType::Int32;
    case ColumnType::Int64: return PhysicalType::Int64;
    case ColumnType::Double: return PhysicalType::Double;
    case ColumnType::String: return PhysicalType::ByteArray;
    default: return PhysicalType::Float;
  }
}

int list_depth(ColumnType t) {
  return t == ColumnType::FloatList ? 1 : t == ColumnType::FloatListList ? 2 : 0;
}

template <typename T, typename Buffer>
void append_plain(Buffer& out, T value) {
  const auto* p = reinterpret_cast<const std::byte*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

}  // namespace

std::vector<SchemaElement> schema_for(const std::vector<ColumnSpec>& columns) {
  std::vector<SchemaElement> schema;
  SchemaElement root;
  root.name = "schema";
  root.num_children = static_cast<int32_t>(columns.size());
  schema.push_back(root);
  for (const ColumnSpec& c : columns) {
    int depth = list_depth(c.type);
    for (int level = 0; level < depth; ++level) {
      SchemaElement list;
      list.name = level == 0 ? c.name : "element";
      list.repetition = Repetition::Required;
      list.num_children = 1;
      list.converted_type = ConvertedType::List;
      list.logical_type = 3;
      schema.push_back(list);
      SchemaElement repeated;
      repeated.name = "list";
      repeated.repetition = Repetition::Repeated;
      repeated.num_children = 1;
      schema.push_back(repeated);
    }
    SchemaElement leaf;
    leaf.name = depth ? "element" : c.name;
    leaf.type = physical_of(c.type);
    leaf.repetition = c.type == ColumnType::OptionalFloat ? Repetition::Optional : Repetition::Required;
    if (c.type == ColumnType::String) {
      leaf.converted_type = ConvertedType::Utf8;
      leaf.logical_type = 1;
    }
    if (c.type == ColumnType::Int16) {
      leaf.converted_type = ConvertedType::Int16;
      leaf.logical_type = 10;
      leaf.integer_bits = 16;
      leaf.integer_signed = true;
    }
    schema.push_back(leaf);
  }
  return schema;
}

namespace {

// The minimum and maximum of `values`, ignoring NaN (a comparison with NaN is false), in eight
// independent lanes so that the comparisons do not wait on each other. False when every value is
// NaN or there are none.
bool float_range(std::span<const float> values, float& lo, float& hi) {
  constexpr size_t kLanes = 8;
  float lane_lo[kLanes], lane_hi[kLanes];
  for (size_t j = 0; j < kLanes; ++j)
    lane_lo[j] = std::numeric_limits<float>::infinity(), lane_hi[j] = -lane_lo[j];
  size_t i = 0;
  for (; i + kLanes <= values.size(); i += kLanes)
    for (size_t j = 0; j < kLanes; ++j) {
      float x = values[i + j];
      lane_lo[j] = x < lane_lo[j] ? x : lane_lo[j];
      lane_hi[j] = x > lane_hi[j] ? x : lane_hi[j];
    }
  for (; i < values.size(); ++i) {
    lane_lo[0] = values[i] < lane_lo[0] ? values[i] : lane_lo[0];
    lane_hi[0] = values[i] > lane_hi[0] ? values[i] : lane_hi[0];
  }
  lo = *std::min_element(lane_lo, lane_lo + kLanes);
  hi = *std::max_element(lane_hi, lane_hi + kLanes);
  return lo <= hi;
}

}  // namespace

// One column's pages of the current row group: the page being filled (levels, encoded as they
// arrive, and PLAIN values) and the finished pages, kept as the buffers they were made in (header
// and levels, then values or compressed bytes) so that nothing is copied into a growing chunk;
// written buffers are reused for later pages. Values that the caller's batch already holds as
// PLAIN bytes are not copied while write() runs: pages refer to them ("borrowed"), and they are
// copied into the page's own buffer only if the batch ends without writing its row group, so a
// batch that fills a row group goes from the caller's memory straight to the file.
struct Writer::Column {
  struct Page {
    std::vector<std::byte> head;          // page header, then the levels
    ByteBuffer body;                      // values staged from earlier batches, or compressed bytes
    std::span<const std::byte> borrowed;  // values in the current batch, after `body`
  };
  ColumnSpec spec;
  int depth = 0;
  int max_definition = 0;  // depth, or 1 for a nullable flat column
  size_t page_reserve = 0;
  HybridEncoder repetition, definition;
  ByteBuffer values;                    // the open page's values staged from earlier batches
  std::span<const std::byte> borrowed;  // the open page's values in the current batch, after `values`
  uint64_t page_level_count = 0;        // level entries (or values, for flat columns) in the open page
  uint64_t page_rows = 0;               // rows in the open page (pages end where rows do)
  uint64_t page_nulls = 0;              // nulls in the open page (OptionalFloat)
  int64_t chunk_nulls = 0;
  std::vector<Page> pages;                          // finished pages of the row group, in file order
  std::vector<std::vector<std::byte>> spare_heads;  // written buffers, for reuse
  std::vector<ByteBuffer> spare_bodies;
  uint64_t chunk_bytes = 0;  // bytes in `pages`
  int64_t chunk_values = 0;
  int64_t chunk_uncompressed = 0;
  // Statistics over the row group.
  double min = std::numeric_limits<double>::infinity(), max = -std::numeric_limits<double>::infinity();
  std::string min_string, max_string;
  bool has_stats = false;
  std::vector<std::byte> levels;

  uint64_t page_value_bytes() const { return values.size() + borrowed.size(); }
  uint64_t buffered_bytes() const {
    return chunk_bytes + page_value_bytes() + repetition.encoded_bytes() + definition.encoded_bytes();
  }
  template <typename Buffer>
  static Buffer take_buffer(std::vector<Buffer>& spare) {
    if (spare.empty()) return {};
    Buffer buffer = std::move(spare.back());
    spare.pop_back();
    buffer.clear();
    return buffer;
  }
  // Appends PLAIN values from the caller's batch to the open page. Consecutive rows of a batch
  // are adjacent in memory, so the page's borrowed values stay one span.
  void borrow(std::span<const std::byte> bytes) {
    if (bytes.empty()) return;
    if (!borrowed.empty() && bytes.data() != borrowed.data() + borrowed.size()) stage_open_page();
    borrowed = borrowed.empty() ? bytes : std::span(borrowed.data(), borrowed.size() + bytes.size());
  }
  void stage_open_page() {
    // Room for a full page plus the row that overflows it: no copies while the page grows over
    // several batches (untouched capacity costs no memory).
    if (values.capacity() < values.size() + borrowed.size())
      values.reserve(std::max<size_t>(values.size() + borrowed.size(), page_reserve));
    values.insert(values.end(), borrowed.begin(), borrowed.end());
    borrowed = {};
  }
  // Copies every borrowed value into buffers of the writer's own: the batch is about to end.
  void stage_batch() {
    for (Page& page : pages) {
      page.body.insert(page.body.end(), page.borrowed.begin(), page.borrowed.end());
      page.borrowed = {};
    }
    stage_open_page();
  }
  // Writes the finished pages to `file` and keeps their buffers for reuse.
  void write_pages(AtomicFile& file) {
    for (Page& page : pages) {
      file.write(page.head);
      if (!page.body.empty()) file.write(page.body);
      if (!page.borrowed.empty()) file.write(page.borrowed);
      spare_heads.push_back(std::move(page.head));
      spare_bodies.push_back(std::move(page.body));
    }
    pages.clear();
    chunk_bytes = 0;
  }

  void note(double v) {
    if (std::isnan(v)) return;
    min = std::min(min, v), max = std::max(max, v);
    has_stats = true;
  }
  void note(std::span<const float> items) {
    float lo, hi;
    if (!float_range(items, lo, hi)) return;
    note(lo), note(hi);
  }
  void note(const std::string& s) {
    if (!has_stats || s < min_string) min_string = s;
    if (!has_stats || s > max_string) max_string = s;
    has_stats = true;
  }

  // Closes the open page as a data page v2: repetition then definition levels, uncompressed, and
  // the values, compressed on their own straight from where they lie (readers can decompress them
  // straight into their columns as well).
  void finish_page(const WriterOptions& options) {
    if (page_level_count == 0) return;
    Page page{.head = take_buffer(spare_heads), .body = take_buffer(spare_bodies), .borrowed = {}};
    PageHeader h;
    h.type = PageType::DataPageV2;
    h.num_values = static_cast<int32_t>(page_level_count);
    h.num_rows = static_cast<int32_t>(page_rows);
    h.num_nulls = static_cast<int32_t>(page_nulls);
    h.encoding = Encoding::Plain;
    levels.clear();
    if (max_definition > 0) {
      if (depth > 0) repetition.finish(levels);
      h.repetition_levels_bytes = static_cast<int32_t>(levels.size());
      definition.finish(levels);
      h.definition_levels_bytes = static_cast<int32_t>(levels.size()) - h.repetition_levels_bytes;
    }
    const size_t value_bytes = page_value_bytes();
    const bool compressing = options.codec != Codec::Uncompressed;
    h.is_compressed = compressing;
    if (compressing) {
      if (!values.empty() && !borrowed.empty()) stage_open_page();
      compress(options.codec, values.empty() ? borrowed : std::span<const std::byte>(values), page.body,
               options.codec_settings);
    } else {  // the values buffer itself becomes the page body; a spare one takes its place
      std::swap(page.body, values);
      page.borrowed = borrowed;
    }
    borrowed = {};
    h.uncompressed_size = static_cast<int32_t>(levels.size() + value_bytes);
    h.compressed_size = static_cast<int32_t>(levels.size() + page.body.size() + page.borrowed.size());
    encode(h, page.head);
    const size_t header_bytes = page.head.size();
    page.head.insert(page.head.end(), levels.begin(), levels.end());
    chunk_bytes += page.head.size() + page.body.size() + page.borrowed.size();
    pages.push_back(std::move(page));
    chunk_values += static_cast<int64_t>(page_level_count);
    chunk_uncompressed += static_cast<int64_t>(header_bytes + levels.size() + value_bytes);
    values.clear();
    chunk_nulls += static_cast<int64_t>(page_nulls);
    page_level_count = 0;
    page_rows = 0;
    page_nulls = 0;
  }
};

Writer::Writer(const std::filesystem::path& path, std::vector<ColumnSpec> columns, WriterOptions options)
    : path_(path), options_(std::move(options)), specs_(std::move(columns)) {
  if (specs_.empty()) throw UsageError("a Parquet file needs at least one column", {path.string()});
  for (size_t i = 0; i < specs_.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (specs_[i].name == specs_[j].name)
        throw UsageError(fmt::format("column '{}' appears twice", specs_[i].name), {path.string()});
  if (options_.codec != Codec::Uncompressed && options_.codec != Codec::Snappy &&
      options_.codec != Codec::Zstd && options_.codec != Codec::Lz4Raw)
    throw UsageError(fmt::format("trigml writes uncompressed, Snappy, ZSTD or LZ4_RAW pages, not {}",
                                 codec_name(options_.codec)));
  file_ = std::make_unique<AtomicFile>(path);
  file_->write(std::as_bytes(std::span("PAR1", 4)));
  for (const ColumnSpec& spec : specs_) {
    auto c = std::make_unique<Column>();
    c->spec = spec;
    c->depth = list_depth(spec.type);
    c->max_definition = spec.type == ColumnType::OptionalFloat ? 1 : c->depth;
    c->page_reserve = options_.page_bytes + options_.page_bytes / 2;
    c->repetition.reset(bit_width(static_cast<uint32_t>(c->depth)));
    c->definition.reset(bit_width(static_cast<uint32_t>(c->max_definition)));
    columns_.push_back(std::move(c));
  }
  metadata_.schema = schema_for(specs_);
  metadata_.created_by = "trigml version " TRIGML_VERSION;
  metadata_.key_value = options_.metadata;
}

Writer::~Writer() = default;

void Writer::set_metadata(const std::string& key, const std::string& value) {
  for (auto& [k, v] : metadata_.key_value)
    if (k == key) {
      v = value;
      return;
    }
  metadata_.key_value.emplace_back(key, value);
}

void Writer::write(uint64_t rows, std::span<const ColumnValues> batch) {
  if (closed_) throw UsageError("write after close", {path_.string()});
  if (batch.size() != columns_.size())
    throw UsageError(fmt::format("{} columns given for a file of {}", batch.size(), columns_.size()),
                     {path_.string()});
  try {
    append(rows, batch);
    rows_ += rows;
    group_rows_ += rows;
    uint64_t buffered = 0;
    for (const auto& c : columns_) buffered += c->buffered_bytes();
    if (buffered >= options_.row_group_bytes) {
      flush_row_group();
      return;
    }
  } catch (...) {
    // The pages must not outlive the caller's batch, even when the batch was rejected.
    for (auto& c : columns_) c->stage_batch();
    throw;
  }
  for (auto& c : columns_) c->stage_batch();
}

void Writer::append(uint64_t rows, std::span<const ColumnValues> batch) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    Column& c = *columns_[i];
    const ColumnValues& v = batch[i];
    auto mismatch = [&](size_t have) {
      throw UsageError(fmt::format("column '{}' ({}) got {} values for {} rows", c.spec.name,
                                   column_type_name(c.spec.type), have, rows),
                       {path_.string()});
    };
    switch (c.spec.type) {
      case ColumnType::Bool: {
        if (v.bools.size() != rows) mismatch(v.bools.size());
        // PLAIN booleans are bit-packed, LSB first, one page at a time.
        for (uint64_t r = 0; r < rows; ++r) {
          size_t bit = c.page_level_count % 8;
          if (bit == 0) c.values.push_back(std::byte{0});
          if (v.bools[r]) c.values.back() |= std::byte(static_cast<uint8_t>(1u << bit));
          c.note(v.bools[r] ? 1.0 : 0.0);
          ++c.page_level_count;
          if (bit == 7 && c.values.size() >= options_.page_bytes) c.finish_page(options_);
        }
        continue;
      }
      case ColumnType::Int16:
        if (v.int16s.size() != rows) mismatch(v.int16s.size());
        for (int16_t x : v.int16s) append_plain<int32_t>(c.values, x), c.note(x);
        break;
      case ColumnType::Int32:
        if (v.int32s.size() != rows) mismatch(v.int32s.size());
        for (int32_t x : v.int32s) c.note(x);
        c.borrow(std::as_bytes(v.int32s));
        break;
      case ColumnType::Int64:
        if (v.int64s.size() != rows) mismatch(v.int64s.size());
        for (int64_t x : v.int64s) c.note(static_cast<double>(x));
        c.borrow(std::as_bytes(v.int64s));
        break;
      case ColumnType::Float:
        if (v.floats.size() != rows) mismatch(v.floats.size());
        c.note(v.floats);
        c.borrow(std::as_bytes(v.floats));
        break;
      case ColumnType::OptionalFloat: {
        if (v.present.size() != rows) mismatch(v.present.size());
        uint64_t values = 0;
        for (uint8_t p : v.present) values += p != 0;
        if (v.floats.size() != values)
          throw UsageError(fmt::format("column '{}' ({}) got {} values for {} non-null rows", c.spec.name,
                                       column_type_name(c.spec.type), v.floats.size(), values),
                           {path_.string()});
        for (uint8_t p : v.present) c.definition.add(p != 0, 1);
        c.page_nulls += rows - values;
        c.note(v.floats);
        c.borrow(std::as_bytes(v.floats));
        break;
      }
      case ColumnType::Double:
        if (v.doubles.size() != rows) mismatch(v.doubles.size());
        for (double x : v.doubles) c.note(x);
        c.borrow(std::as_bytes(v.doubles));
        break;
      case ColumnType::String: {
        if (!v.repeated_string && v.strings.size() != rows) mismatch(v.strings.size());
        for (uint64_t r = 0; r < rows; ++r) {
          const std::string& s = v.repeated_string ? *v.repeated_string : v.strings[r];
          append_plain<uint32_t>(c.values, static_cast<uint32_t>(s.size()));
          const auto* p = reinterpret_cast<const std::byte*>(s.data());
          c.values.insert(c.values.end(), p, p + s.size());
          if (!v.repeated_string || r == 0) c.note(s);
        }
        break;
      }
      case ColumnType::FloatList:
      case ColumnType::FloatListList: {
        if (v.offsets.size() != rows + 1) mismatch(v.offsets.size() - (v.offsets.empty() ? 0 : 1));
        const bool nested = c.spec.type == ColumnType::FloatListList;
        if (nested && !v.inner_width && v.inner_offsets.empty())
          throw UsageError(fmt::format("column '{}' needs inner_width or inner_offsets", c.spec.name),
                           {path_.string()});
        // Levels go to the encoders a run at a time: per row (FloatList) or per inner list
        // (FloatListList), "start" then "continue" repetition levels; the definition level says
        // empty (0), empty inner list (1) or value (the depth). The items of a row are contiguous
        // and are copied at once.
        for (uint64_t r = 0; r < rows; ++r) {
          int64_t first = v.offsets[r], last = v.offsets[r + 1];
          if (first > last)
            throw UsageError(fmt::format("column '{}': decreasing offsets", c.spec.name), {path_.string()});
          int64_t item_begin = first, item_end = last;
          if (first == last) {
            c.repetition.add(0, 1), c.definition.add(0, 1), ++c.page_level_count;
          } else if (!nested) {
            auto length = static_cast<uint64_t>(last - first);
            c.repetition.add(0, 1), c.repetition.add(1, length - 1), c.definition.add(1, length);
            c.page_level_count += length;
          } else if (v.inner_width) {
            auto lists = static_cast<uint64_t>(last - first);
            item_begin = first * v.inner_width, item_end = last * v.inner_width;
            c.repetition.add_lists(0, 1, 2, lists, v.inner_width);
            c.definition.add(2, lists * v.inner_width);
            c.page_level_count += lists * v.inner_width;
          } else {
            if (static_cast<uint64_t>(last) >= v.inner_offsets.size()) mismatch(v.inner_offsets.size());
            item_begin = v.inner_offsets[static_cast<size_t>(first)],
            item_end = v.inner_offsets[static_cast<size_t>(last)];
            for (int64_t k = first; k < last; ++k) {
              int64_t begin = v.inner_offsets[static_cast<size_t>(k)],
                      end = v.inner_offsets[static_cast<size_t>(k + 1)];
              if (begin > end)
                throw UsageError(fmt::format("column '{}': decreasing inner offsets", c.spec.name),
                                 {path_.string()});
              uint32_t outer = k == first ? 0 : 1;
              if (begin == end) {
                c.repetition.add(outer, 1), c.definition.add(1, 1), ++c.page_level_count;
                continue;
              }
              auto length = static_cast<uint64_t>(end - begin);
              c.repetition.add(outer, 1), c.repetition.add(2, length - 1), c.definition.add(2, length);
              c.page_level_count += length;
            }
          }
          if (item_begin < 0 || static_cast<uint64_t>(item_end) > v.floats.size()) mismatch(v.floats.size());
          auto items =
              v.floats.subspan(static_cast<size_t>(item_begin), static_cast<size_t>(item_end - item_begin));
          c.note(items);
          c.borrow(std::as_bytes(items));
          if (c.page_value_bytes() >= options_.page_bytes) c.finish_page(options_);
        }
        continue;
      }
    }
    c.page_level_count += rows;
    if (c.page_value_bytes() >= options_.page_bytes) c.finish_page(options_);
  }
}

void Writer::flush_row_group() {
  if (group_rows_ == 0) return;
  RowGroup group;
  group.num_rows = static_cast<int64_t>(group_rows_);
  for (auto& column : columns_) {
    Column& c = *column;
    // Booleans can only end a page on a whole byte of values.
    c.finish_page(options_);
    ColumnMetaData meta;
    meta.type = physical_of(c.spec.type);
    meta.encodings = c.max_definition ? std::vector<Encoding>{Encoding::Plain, Encoding::Rle}
                                      : std::vector<Encoding>{Encoding::Plain};
    meta.path = {c.spec.name};
    for (int level = 0; level < c.depth; ++level) meta.path.insert(meta.path.end(), {"list", "element"});
    meta.codec = options_.codec;
    meta.num_values = c.chunk_values;
    meta.total_uncompressed_size = c.chunk_uncompressed;
    meta.total_compressed_size = static_cast<int64_t>(c.chunk_bytes);
    meta.data_page_offset = static_cast<int64_t>(file_->size());
    meta.statistics.null_count = c.chunk_nulls;
    if (c.has_stats) {
      std::vector<std::byte> lo, hi;
      switch (c.spec.type) {
        case ColumnType::Bool:
          lo.push_back(std::byte(c.min != 0)), hi.push_back(std::byte(c.max != 0));
          break;
        case ColumnType::Int16:
        case ColumnType::Int32:
          append_plain(lo, static_cast<int32_t>(c.min)), append_plain(hi, static_cast<int32_t>(c.max));
          break;
        case ColumnType::Int64:
          append_plain(lo, static_cast<int64_t>(c.min)), append_plain(hi, static_cast<int64_t>(c.max));
          break;
        case ColumnType::Double: append_plain(lo, c.min), append_plain(hi, c.max); break;
        case ColumnType::String:
          lo.assign(reinterpret_cast<const std::byte*>(c.min_string.data()),
                    reinterpret_cast<const std::byte*>(c.min_string.data()) + c.min_string.size());
          hi.assign(reinterpret_cast<const std::byte*>(c.max_string.data()),
                    reinterpret_cast<const std::byte*>(c.max_string.data()) + c.max_string.size());
          break;
        default:
          append_plain(lo, static_cast<float>(c.min)), append_plain(hi, static_cast<float>(c.max));
          break;
      }
      meta.statistics.min_value = std::string(reinterpret_cast<const char*>(lo.data()), lo.size());
      meta.statistics.max_value = std::string(reinterpret_cast<const char*>(hi.data()), hi.size());
    }
    c.write_pages(*file_);
    group.total_byte_size += meta.total_uncompressed_size;
    group.columns.push_back(std::move(meta));
    c.chunk_values = 0;
    c.chunk_nulls = 0;
    c.chunk_uncompressed = 0;
    c.has_stats = false;
    c.min = std::numeric_limits<double>::infinity(), c.max = -std::numeric_limits<double>::infinity();
  }
  metadata_.row_groups.push_back(std::move(group));
  group_rows_ = 0;
}

void Writer::close() {
  if (closed_) return;
  flush_row_group();
  metadata_.num_rows = static_cast<int64_t>(rows_);
  std::vector<std::byte> footer;
  encode(metadata_, footer);
  uint32_t length = static_cast<uint32_t>(footer.size());
  append_plain(footer, length);
  footer.insert(footer.end(), {std::byte{'P'}, std::byte{'A'}, std::byte{'R'}, std::byte{'1'}});
  file_->write(footer);
  file_->commit();
  closed_ = true;
}

}  // namespace trigml::parquet

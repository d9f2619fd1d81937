// Files as older and other writers lay them out, built byte by byte from the format's
// specification (Encodings.md, LogicalTypes.md) where no writer the tests can run makes them:
// level encodings named for levels a column does not have, deprecated BIT_PACKED levels, repeated
// fields without a LIST annotation and the legacy list shapes; and invalid files, whose errors
// must name the column and the byte offset.
#include <gtest/gtest.h>
#include <lz4.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "parquet/codec.hpp"
#include "parquet/format.hpp"
#include "parquet/levels.hpp"
#include "parquet/reader.hpp"

using namespace trigml;
using namespace trigml::parquet;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<std::byte>;

Bytes bytes(std::initializer_list<int> values) {
  Bytes out;
  for (int v : values) out.push_back(std::byte(static_cast<uint8_t>(v)));
  return out;
}

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes plain_int32(std::initializer_list<int32_t> values) {
  Bytes out(values.size() * 4);
  size_t at = 0;
  for (int32_t v : values) std::memcpy(out.data() + 4 * at++, &v, 4);
  return out;
}

// RLE/bit-packed hybrid levels of a data page v1: a 4-byte length, then the runs.
Bytes rle_levels(std::vector<uint16_t> levels, int bits) {
  Bytes runs;
  encode_hybrid(levels, bits, runs);
  auto length = static_cast<uint32_t>(runs.size());
  Bytes out(4);
  std::memcpy(out.data(), &length, 4);
  return out + runs;
}

SchemaElement group(const std::string& name, int children, std::optional<Repetition> repetition = {},
                    std::optional<ConvertedType> converted = {}) {
  SchemaElement e;
  e.name = name;
  e.num_children = children;
  e.repetition = repetition;
  e.converted_type = converted;
  return e;
}

SchemaElement leaf(const std::string& name, PhysicalType type, Repetition repetition) {
  SchemaElement e;
  e.name = name;
  e.type = type;
  e.repetition = repetition;
  return e;
}

struct Page {
  PageHeader header;
  Bytes body;
};

struct Chunk {
  std::vector<std::string> path;
  PhysicalType type = PhysicalType::Int32;
  int64_t values = 0;
  std::vector<Page> pages;
  Codec codec = Codec::Uncompressed;
};

Page data_page(int32_t values, Bytes body, Encoding levels = Encoding::Rle,
               Encoding encoding = Encoding::Plain) {
  Page page;
  page.header.type = PageType::DataPage;
  page.header.num_values = values;
  page.header.encoding = encoding;
  page.header.definition_level_encoding = page.header.repetition_level_encoding = levels;
  page.body = std::move(body);
  return page;
}

// A file of one row group: "PAR1", the chunks' pages, the footer.
fs::path write_file(const std::string& name, std::vector<SchemaElement> fields, int64_t rows,
                    std::vector<Chunk> chunks) {
  Bytes file = bytes({'P', 'A', 'R', '1'});
  FileMetaData meta;
  SchemaElement root = group("schema", static_cast<int32_t>(0));
  meta.schema.push_back(root);
  meta.schema.insert(meta.schema.end(), fields.begin(), fields.end());
  meta.num_rows = rows;
  RowGroup row_group;
  row_group.num_rows = rows;
  for (Chunk& chunk : chunks) {
    ColumnMetaData c;
    c.type = chunk.type;
    c.path = chunk.path;
    c.codec = chunk.codec;
    c.num_values = chunk.values;
    c.data_page_offset = static_cast<int64_t>(file.size());
    for (Page& page : chunk.pages) {
      page.header.uncompressed_size = page.header.compressed_size = static_cast<int32_t>(page.body.size());
      encode(page.header, file);
      file.insert(file.end(), page.body.begin(), page.body.end());
    }
    c.total_compressed_size = c.total_uncompressed_size =
        static_cast<int64_t>(file.size()) - c.data_page_offset;
    row_group.columns.push_back(c);
  }
  meta.row_groups.push_back(row_group);
  // The root's children: the fields that are not inside another group.
  int top = 0;
  for (size_t i = 0, pending = 0; i < fields.size(); ++i) {
    if (pending == 0)
      ++top;
    else
      --pending;
    pending += static_cast<size_t>(fields[i].num_children);
  }
  meta.schema[0].num_children = top;
  Bytes footer;
  encode(meta, footer);
  auto length = static_cast<uint32_t>(footer.size());
  file.insert(file.end(), footer.begin(), footer.end());
  Bytes tail(4);
  std::memcpy(tail.data(), &length, 4);
  file = file + tail + bytes({'P', 'A', 'R', '1'});
  fs::path dir = fs::temp_directory_path() / "trigml-legacy-parquet";
  fs::create_directories(dir);
  fs::path path = dir / (name + ".parquet");
  FILE* out = std::fopen(path.c_str(), "wb");
  std::fwrite(file.data(), 1, file.size(), out);
  std::fclose(out);
  return path;
}

ColumnData read_column(const fs::path& path, const std::string& column) {
  auto reader = FileReader::open(path.string());
  size_t c = reader->column(column);
  ColumnData data;
  data.clear(reader->columns()[c]);
  for (size_t g = 0; g < reader->row_groups(); ++g) reader->read(g, c, data);
  return data;
}

std::vector<int32_t> ints(const ColumnData& d) {
  return {d.as<int32_t>().begin(), d.as<int32_t>().end()};
}

TEST(LevelEncodings, NamedForLevelsTheColumnDoesNotHaveAreIgnored) {
  // parquet-mr names BIT_PACKED for the levels of required columns, which have none.
  auto path = write_file(
      "no-levels", {leaf("x", PhysicalType::Int32, Repetition::Required)}, 3,
      {{{"x"}, PhysicalType::Int32, 3, {data_page(3, plain_int32({7, 8, 9}), Encoding::BitPacked)}}});
  ColumnData x = read_column(path, "x");
  EXPECT_EQ(x.rows, 3u);
  EXPECT_EQ(ints(x), (std::vector<int32_t>{7, 8, 9}));
  EXPECT_TRUE(x.valid.empty());
}

TEST(LevelEncodings, DeprecatedBitPackedLevelsAsTheSpecificationPacksThem) {
  // Encodings.md's BIT_PACKED example: 0..7 at 3 bits, from the most significant bit, are
  // 00000101 00111001 01110111. Seven nested optional fields make those definition levels: only
  // the last row reaches the value.
  std::vector<SchemaElement> fields;
  const char* names[] = {"a", "b", "c", "d", "e", "f"};
  for (const char* n : names) fields.push_back(group(n, 1, Repetition::Optional));
  fields.push_back(leaf("v", PhysicalType::Int32, Repetition::Optional));
  auto path =
      write_file("bit-packed-definition", fields, 8,
                 {{{"a", "b", "c", "d", "e", "f", "v"},
                   PhysicalType::Int32,
                   8,
                   {data_page(8, bytes({0x05, 0x39, 0x77}) + plain_int32({42}), Encoding::BitPacked)}}});
  ColumnData v = read_column(path, "a.b.c.d.e.f.v");
  EXPECT_EQ(v.rows, 8u);
  EXPECT_EQ(v.valid, (std::vector<uint8_t>{0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(ints(v)[7], 42);

  // A repeated field without annotation, rows [1, 2], [], [3]: repetition levels 0 1 0 0 are
  // 0100.... = 0x40, definition levels 1 1 0 1 are 1101.... = 0xD0.
  path = write_file("bit-packed-repeated", {leaf("x", PhysicalType::Int32, Repetition::Repeated)}, 3,
                    {{{"x"},
                      PhysicalType::Int32,
                      4,
                      {data_page(4, bytes({0x40, 0xD0}) + plain_int32({1, 2, 3}), Encoding::BitPacked)}}});
  ColumnData x = read_column(path, "x");
  EXPECT_EQ(x.rows, 3u);
  ASSERT_EQ(x.offsets.size(), 1u);
  EXPECT_EQ(x.offsets[0], (std::vector<int64_t>{0, 2, 2, 3}));
  EXPECT_EQ(ints(x), (std::vector<int32_t>{1, 2, 3}));
}

TEST(LogicalTypes, Int96TimestampsAndPagesOfNullsOnly) {
  // INT96 (Impala, Spark): nanoseconds of the day, then the Julian day; 2440588 is 1970-01-01 and
  // 2458850 is 2020-01-01. The first page of the column holds only nulls.
  auto int96 = [](int64_t nanos, int32_t day) {
    Bytes out(12);
    std::memcpy(out.data(), &nanos, 8);
    std::memcpy(out.data() + 8, &day, 4);
    return out;
  };
  auto path = write_file(
      "int96", {leaf("ts", PhysicalType::Int96, Repetition::Optional)}, 5,
      {{{"ts"},
        PhysicalType::Int96,
        5,
        {data_page(2, rle_levels({0, 0}, 1)),
         data_page(3, rle_levels({1, 0, 1}, 1) + int96(0, 2440588) + int96(3600000000000 + 5, 2458850))}}});
  auto reader = FileReader::open(path.string());
  EXPECT_EQ(reader->columns()[0].physical, PhysicalType::Int64);
  ColumnData ts = read_column(path, "ts");
  EXPECT_EQ(ts.rows, 5u);
  EXPECT_EQ(ts.valid, (std::vector<uint8_t>{0, 0, 1, 0, 1}));
  ASSERT_EQ(ts.as<int64_t>().size(), 5u);
  EXPECT_EQ(ts.as<int64_t>()[2], 0);
  EXPECT_EQ(ts.as<int64_t>()[4], int64_t{1577836800} * 1000000000 + 3600000000000 + 5);
}

// The same rows, [1, 2], [], null, [3] (a required list cannot be null: there [] instead), under
// each list shape of LogicalTypes.md's backward-compatibility rules.
struct ListShape {
  std::string name;
  std::vector<SchemaElement> fields;
  std::vector<std::string> path;
  bool list_nullable;
  bool element_nullable;
};

class ListShapes : public ::testing::TestWithParam<ListShape> {};

TEST_P(ListShapes, ReadAsListsOfTheirElements) {
  const ListShape& shape = GetParam();
  // Definition levels: the list's (if optional), the repeated field's, the element's (if optional).
  const uint16_t list_level = shape.list_nullable ? 1 : 0,
                 repeated_level = static_cast<uint16_t>(list_level + 1),
                 value_level = static_cast<uint16_t>(repeated_level + (shape.element_nullable ? 1 : 0));
  std::vector<uint16_t> repetition = {0, 1, 0, 0, 0},
                        definition = {value_level, value_level, list_level,
                                      static_cast<uint16_t>(list_level - 1), value_level};
  if (!shape.list_nullable) definition[3] = list_level;  // the "null" row is an empty list
  const int max_definition = value_level;
  Bytes body = rle_levels(repetition, 1) +
               rle_levels(definition, bit_width(static_cast<uint32_t>(max_definition))) +
               plain_int32({1, 2, 3});
  auto path = write_file("list-" + shape.name, shape.fields, 4,
                         {{shape.path, PhysicalType::Int32, 5, {data_page(5, body)}}});
  auto reader = FileReader::open(path.string());
  ASSERT_EQ(reader->columns().size(), 1u);
  EXPECT_EQ(reader->columns()[0].type_name(), "list<int32>");
  ColumnData d = read_column(path, reader->columns()[0].name);
  EXPECT_EQ(d.rows, 4u);
  ASSERT_EQ(d.offsets.size(), 1u);
  EXPECT_EQ(d.offsets[0], (std::vector<int64_t>{0, 2, 2, 2, 3}));
  EXPECT_EQ(ints(d), (std::vector<int32_t>{1, 2, 3}));
  if (shape.list_nullable)
    EXPECT_EQ(d.list_valid[0], (std::vector<uint8_t>{1, 1, 0, 1}));
  else
    EXPECT_TRUE(d.list_valid[0].empty());
}

INSTANTIATE_TEST_SUITE_P(
    LogicalTypesRules, ListShapes,
    ::testing::Values(
        // The standard three levels, optional and required elements.
        ListShape{
            "three_level",
            {group("l", 1, Repetition::Optional, ConvertedType::List), group("list", 1, Repetition::Repeated),
             leaf("element", PhysicalType::Int32, Repetition::Optional)},
            {"l", "list", "element"},
            true,
            true},
        ListShape{
            "three_level_required_element",
            {group("l", 1, Repetition::Optional, ConvertedType::List), group("list", 1, Repetition::Repeated),
             leaf("element", PhysicalType::Int32, Repetition::Required)},
            {"l", "list", "element"},
            true,
            false},
        // Two levels: the repeated field is the element (parquet-mr's and Spark's legacy lists).
        ListShape{"two_level",
                  {group("l", 1, Repetition::Optional, ConvertedType::List),
                   leaf("array", PhysicalType::Int32, Repetition::Repeated)},
                  {"l", "array"},
                  true,
                  false},
        // A repeated group of one field named `array` or `<list>_tuple`: the group is the element.
        ListShape{
            "array_group",
            {group("l", 1, Repetition::Required, ConvertedType::List),
             group("array", 1, Repetition::Repeated), leaf("x", PhysicalType::Int32, Repetition::Required)},
            {"l", "array", "x"},
            false,
            false},
        ListShape{
            "tuple_group",
            {group("l", 1, Repetition::Optional, ConvertedType::List),
             group("l_tuple", 1, Repetition::Repeated), leaf("x", PhysicalType::Int32, Repetition::Optional)},
            {"l", "l_tuple", "x"},
            true,
            true},
        // Repeated fields without any annotation: a required list of required elements.
        ListShape{
            "unannotated_field", {leaf("x", PhysicalType::Int32, Repetition::Repeated)}, {"x"}, false, false},
        ListShape{
            "unannotated_group",
            {group("points", 1, Repetition::Repeated), leaf("x", PhysicalType::Int32, Repetition::Optional)},
            {"points", "x"},
            false,
            true}),
    [](const auto& test) { return test.param.name; });

TEST(InvalidFiles, ErrorsNameTheColumnAndTheOffset) {
  auto expect_error = [](const fs::path& path, const std::string& column, const std::string& what) {
    auto reader = FileReader::open(path.string());
    ColumnData d;
    d.clear(reader->columns()[0]);
    try {
      reader->read(0, 0, d);
      ADD_FAILURE() << path << ": no error, expected " << what;
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_NE(message.find("column '" + column + "'"), std::string::npos) << message;
      EXPECT_NE(message.find("offset"), std::string::npos) << message;
      EXPECT_NE(message.find(what), std::string::npos) << message;
    }
  };
  auto one_page = [](const std::string& name, PhysicalType type, Page page,
                     Codec codec = Codec::Uncompressed) {
    return write_file(name, {leaf("x", type, Repetition::Required)}, 4,
                      {{{"x"}, type, 4, {std::move(page)}, codec}});
  };
  // A DELTA_BINARY_PACKED header with 100-value blocks (the format wants multiples of 128).
  expect_error(one_page("bad-delta-block", PhysicalType::Int32,
                        data_page(4, bytes({100, 4, 4, 2}), Encoding::Rle, Encoding::DeltaBinaryPacked)),
               "x", "multiple of 128");
  // A stream that says it holds more values than the page.
  expect_error(
      one_page("delta-count", PhysicalType::Int32,
               data_page(4, bytes({0x80, 0x01, 4, 9, 2}), Encoding::Rle, Encoding::DeltaBinaryPacked)),
      "x", "holds 9 values");
  // Deltas of 40 bits for 32-bit values.
  expect_error(one_page("delta-width", PhysicalType::Int32,
                        data_page(4, bytes({0x80, 0x01, 4, 4, 2, 0, 40, 0, 0, 0}), Encoding::Rle,
                                  Encoding::DeltaBinaryPacked)),
               "x", "40-bit deltas");
  // BYTE_STREAM_SPLIT floats whose streams are not of equal length.
  expect_error(one_page("split-length", PhysicalType::Float,
                        data_page(4, Bytes(15), Encoding::Rle, Encoding::ByteStreamSplit)),
               "x", "BYTE_STREAM_SPLIT page holds 15 bytes");
  // An encoding the format does not define for the type.
  expect_error(one_page("delta-floats", PhysicalType::Float,
                        data_page(4, Bytes(16), Encoding::Rle, Encoding::DeltaBinaryPacked)),
               "x", "float values in DELTA_BINARY_PACKED");
  // Levels in an encoding levels never have.
  expect_error(
      write_file("level-encoding", {leaf("x", PhysicalType::Int32, Repetition::Optional)}, 4,
                 {{{"x"}, PhysicalType::Int32, 4, {data_page(4, Bytes(20), Encoding::DeltaBinaryPacked)}}}),
      "x", "levels in DELTA_BINARY_PACKED");
  // A codec trigml does not read (LZO), and one the format does not define.
  expect_error(one_page("lzo", PhysicalType::Int32, data_page(4, plain_int32({1, 2, 3, 4})), Codec::Lzo), "x",
               "lzo pages");
  expect_error(one_page("codec-12", PhysicalType::Int32, data_page(4, plain_int32({1, 2, 3, 4})),
                        static_cast<Codec>(12)),
               "x", "codec 12 pages");
  // DELTA_BYTE_ARRAY whose second value would share more bytes than the first has.
  expect_error(
      one_page("prefix", PhysicalType::ByteArray,
               data_page(4,
                         // Prefix lengths 0 5 0 0: first 0, minimum delta -5 (zigzag 9), deltas
                         // less the minimum 10 0 5 at 4 bits in a 32-value miniblock.
                         bytes({0x80, 0x01, 4, 4, 0, 9, 4, 0, 0, 0, 0x0A, 0x05}) + Bytes(14) +
                             // Suffix lengths 1 1 1 1: first 1 (zigzag 2), deltas 0 at 0 bits.
                             bytes({0x80, 0x01, 4, 4, 2, 0, 0, 0, 0, 0}) + bytes({'a', 'b', 'c', 'd'}),
                         Encoding::Rle, Encoding::DeltaByteArray)),
      "x", "shares a prefix of 5 bytes");
}

TEST(Codecs, HadoopFramedLz4InSeveralFramesAndAsOneBlock) {
  std::vector<std::byte> text(3000);
  for (size_t i = 0; i < text.size(); ++i)
    text[i] = std::byte(static_cast<uint8_t>("parquet"[i % 7] + i / 700));
  auto frame = [](std::span<const std::byte> in) {
    Bytes block(static_cast<size_t>(LZ4_compressBound(static_cast<int>(in.size()))));
    int n =
        LZ4_compress_default(reinterpret_cast<const char*>(in.data()), reinterpret_cast<char*>(block.data()),
                             static_cast<int>(in.size()), static_cast<int>(block.size()));
    block.resize(static_cast<size_t>(n));
    auto be = [](size_t v) {
      return bytes({static_cast<int>(v >> 24 & 0xff), static_cast<int>(v >> 16 & 0xff),
                    static_cast<int>(v >> 8 & 0xff), static_cast<int>(v & 0xff)});
    };
    return std::pair(be(in.size()) + be(block.size()) + block, block);
  };
  auto [first, first_block] = frame(std::span(text).first(1000));
  auto [second, second_block] = frame(std::span(text).subspan(1000));
  std::vector<std::byte> out(text.size());
  decompress(Codec::Lz4, first + second, out, {"lz4"});
  EXPECT_EQ(out, text);
  // Older parquet-cpp wrote a bare block under the same codec.
  auto [whole, whole_block] = frame(text);
  std::fill(out.begin(), out.end(), std::byte{0});
  decompress(Codec::Lz4, whole_block, out, {"lz4"});
  EXPECT_EQ(out, text);
  // A frame cut short is neither.
  Bytes cut(whole.begin(), whole.end() - 1);
  EXPECT_THROW(decompress(Codec::Lz4, cut, out, {"lz4"}), FormatError);
}

}  // namespace

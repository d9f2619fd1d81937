// Run-at-a-time level encoding against hand-encoded bytes, row slicing with validity, and
// DatasetReader: batches of N rows across row groups and parts, identical with 1 or 2 threads.
#include "parquet/dataset.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.hpp"
#include "parquet/levels.hpp"

using namespace trigml;
using namespace trigml::parquet;
namespace fs = std::filesystem;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(std::byte(static_cast<uint8_t>(v)));
  return out;
}

TEST(Levels, RepetitionLevelsOfParticleRowsEncodeAsRleRuns) {
  // Two rows of 19 values each in a list<list<float>>: levels 0 (or 1), then 18 times 2. A single
  // level between long runs is an RLE run of its own (header 1 << 1 = 0x02, value), the 18 an RLE
  // run (header 18 << 1 = 0x24, value 0x02): two runs per particle, nothing bit-packed.
  HybridEncoder encoder(2);
  encoder.add(0, 1), encoder.add(2, 18), encoder.add(1, 1), encoder.add(2, 18);
  std::vector<std::byte> out;
  encoder.finish(out);
  EXPECT_EQ(out, bytes({0x02, 0x00, 0x24, 0x02, 0x02, 0x01, 0x24, 0x02}));

  io::BufferOrigin origin{"levels", "test", 0, false};
  HybridRunReader runs(io::Cursor(out, &origin), 2, 38);
  std::vector<std::pair<uint32_t, size_t>> seen;
  while (runs.remaining() > 0) {
    uint32_t value;
    size_t length;
    runs.next(value, length);
    seen.emplace_back(value, length);
  }
  std::vector<std::pair<uint32_t, size_t>> expected = {{0, 1}, {2, 18}, {1, 1}, {2, 18}};
  EXPECT_EQ(seen, expected);
}

// add_lists() writes the bytes that adding each list's two runs would, whatever came before
// (nothing, a short run, a long run, runs that leave a bit-packed group open) and for widths on
// both sides of its direct path (RLE runs of 8 to 63).
TEST(Levels, AddListsEncodesAsRunByRunAdds) {
  for (int before = 0; before < 4; ++before)
    for (uint64_t width : {1, 2, 8, 9, 19, 64, 65, 200})
      for (uint64_t lists : {1, 2, 3, 7, 40}) {
        HybridEncoder bulk(2), each(2);
        auto prefix = [&](HybridEncoder& e) {
          if (before == 1) e.add(1, 3);
          if (before == 2) e.add(0, 20);
          if (before == 3) e.add(1, 1), e.add(0, 2), e.add(2, 1);
        };
        prefix(bulk), prefix(each);
        bulk.add_lists(0, 1, 2, lists, width);
        for (uint64_t k = 0; k < lists; ++k) each.add(k == 0 ? 0 : 1, 1), each.add(2, width - 1);
        bulk.add(0, 1), each.add(0, 1);  // the next row
        std::vector<std::byte> a, b;
        bulk.finish(a), each.finish(b);
        ASSERT_EQ(a, b) << "before " << before << " width " << width << " lists " << lists;
      }
}

TEST(Levels, ShortRunsInARowAreBitPackedAndToppedUpFromTheNextLongRun) {
  // 1, 0, 1 then twenty 0s at bit width 1: the three short runs share a bit-packed group that
  // five of the zeros complete (LSB first 1,0,1,0,0,0,0,0 = 0x05, header 0x03); the other 15 zeros
  // are an RLE run (header 15 << 1 = 0x1E, value 0x00).
  std::vector<uint16_t> values = {1, 0, 1};
  values.insert(values.end(), 20, 0);
  std::vector<std::byte> out;
  encode_hybrid(values, 1, out);
  EXPECT_EQ(out, bytes({0x03, 0x05, 0x1E, 0x00}));
  // A short run before a long one: two RLE runs (3 << 1 = 0x06 then 20 << 1 = 0x28).
  values.assign(3, 1);
  values.insert(values.end(), 20, 0);
  out.clear();
  encode_hybrid(values, 1, out);
  EXPECT_EQ(out, bytes({0x06, 0x01, 0x28, 0x00}));
  io::BufferOrigin origin{"levels", "test", 0, false};
  io::Cursor cursor(out, &origin);
  std::vector<uint32_t> decoded;
  decode_hybrid(cursor, 1, values.size(), decoded);
  EXPECT_EQ(decoded, std::vector<uint32_t>(values.begin(), values.end()));
}

TEST(Levels, LongBitPackedStretchesSplitIntoRunsOf63Groups) {
  // 1000 alternating 0/1 at 1 bit: 125 groups of 8, each the byte 0b10101010; a bit-packed run
  // holds at most 63 groups (header 0x7F), the rest 62 (header (62 << 1) | 1 = 0x7D).
  std::vector<uint16_t> values(1000);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint16_t>(i % 2);
  std::vector<std::byte> out;
  encode_hybrid(values, 1, out);
  std::vector<std::byte> expected = bytes({0x7F});
  expected.insert(expected.end(), 63, std::byte{0xAA});
  expected.push_back(std::byte{0x7D});
  expected.insert(expected.end(), 62, std::byte{0xAA});
  EXPECT_EQ(out, expected);
  io::BufferOrigin origin{"levels", "test", 0, false};
  io::Cursor cursor(out, &origin);
  std::vector<uint32_t> decoded;
  decode_hybrid(cursor, 1, values.size(), decoded);
  EXPECT_EQ(decoded, std::vector<uint32_t>(values.begin(), values.end()));
}

TEST(Levels, CorruptRunsAreFormatErrors) {
  io::BufferOrigin origin{"levels.bin", "test", 100, false};
  std::vector<uint32_t> decoded;
  for (auto input : {bytes({0x00}), bytes({0x05, 0xFF}), bytes({0x80, 0x80}), bytes({})}) {
    io::Cursor cursor(input, &origin);
    EXPECT_THROW(decode_hybrid(cursor, 3, 16, decoded), FormatError);
  }
}

// A list<float> column of three rows [1, 2], null, [] with one null element in the first list,
// and the same column without nulls.
ColumnData list_column(bool with_nulls) {
  ColumnData d;
  d.physical = PhysicalType::Float;
  d.offsets = {{0, 2, 2, 2}};
  d.list_valid = {with_nulls ? std::vector<uint8_t>{1, 0, 1} : std::vector<uint8_t>{}};
  float values[] = {1, 2};
  d.values.assign(reinterpret_cast<std::byte*>(values), reinterpret_cast<std::byte*>(values) + 8);
  if (with_nulls) d.valid = {1, 0};
  d.rows = 3;
  return d;
}

TEST(ColumnData, AppendedRowsRebaseOffsetsAndMaterialiseValidity) {
  ColumnData out;
  out.physical = PhysicalType::Float;
  out.offsets = {{0}};
  out.list_valid = {{}};
  out.append_rows(list_column(false), 0, 1);  // [1, 2]
  EXPECT_TRUE(out.list_valid[0].empty());
  EXPECT_TRUE(out.valid.empty());
  out.append_rows(list_column(true), 0, 3);   // [1, null], null, []
  out.append_rows(list_column(false), 0, 2);  // [1, 2], []
  EXPECT_EQ(out.rows, 6u);
  EXPECT_EQ(out.offsets[0], (std::vector<int64_t>{0, 2, 4, 4, 4, 6, 6}));
  EXPECT_EQ(out.list_valid[0], (std::vector<uint8_t>{1, 1, 0, 1, 1, 1}));
  EXPECT_EQ(out.valid, (std::vector<uint8_t>{1, 1, 1, 0, 1, 1}));
  EXPECT_EQ(std::vector<float>(out.as<float>().begin(), out.as<float>().end()),
            (std::vector<float>{1, 2, 1, 2, 1, 2}));
  EXPECT_THROW(out.append_rows(list_column(false), 2, 2), UsageError);
}

// Parts of 700, 1 and 1300 rows in row groups of about 100 rows; every value derives from the
// global row number, so any row can be checked on its own.
struct Expected {
  static int32_t label(uint64_t row) { return static_cast<int32_t>(row % 3); }
  static uint64_t particles(uint64_t row) { return (row * 7) % 5; }  // includes empty rows
  static float value(uint64_t row, uint64_t k) {
    return static_cast<float>(row) + static_cast<float>(k) / 64;
  }
  static std::string name(uint64_t row) { return "row-" + std::to_string(row); }
};

fs::path write_dataset() {
  fs::path dir = fs::temp_directory_path() / "trigml-dataset-test" / std::to_string(::getpid());
  fs::remove_all(dir);
  fs::create_directories(dir);
  DatasetManifest manifest;
  manifest.schema = {{"label", ColumnType::Int32},
                     {"name", ColumnType::String},
                     {"HLF", ColumnType::FloatList},
                     {"GRU", ColumnType::FloatListList}};
  uint64_t row = 0;
  for (uint64_t part_rows : {700, 1, 1300}) {
    WriterOptions options;
    options.row_group_bytes = 100 * (4 + 10 + 14 * 4 + 2 * 19 * 4);
    options.page_bytes = 3000;
    std::string file = part_name(manifest.parts.size());
    Writer writer(dir / file, manifest.schema, options);
    for (uint64_t written = 0; written < part_rows;) {
      uint64_t n = std::min<uint64_t>(37, part_rows - written);
      std::vector<int32_t> labels;
      std::vector<std::string> names;
      std::vector<float> hlf, gru;
      std::vector<int64_t> hlf_offsets{0}, gru_offsets{0};
      for (uint64_t r = row; r < row + n; ++r) {
        labels.push_back(Expected::label(r));
        names.push_back(Expected::name(r));
        for (uint64_t k = 0; k < 14; ++k) hlf.push_back(Expected::value(r, k));
        hlf_offsets.push_back(static_cast<int64_t>(hlf.size()));
        for (uint64_t k = 0; k < Expected::particles(r) * 19; ++k) gru.push_back(Expected::value(r, k));
        gru_offsets.push_back(gru_offsets.back() + static_cast<int64_t>(Expected::particles(r)));
      }
      std::vector<ColumnValues> v(4);
      v[0].int32s = labels, v[1].strings = names;
      v[2].floats = hlf, v[2].offsets = hlf_offsets;
      v[3].floats = gru, v[3].offsets = gru_offsets, v[3].inner_width = 19;
      writer.write(n, v);
      written += n, row += n;
    }
    writer.close();
    manifest.parts.push_back({file, part_rows});
  }
  write_manifest(dir, manifest);
  return dir;
}

// Checks rows [first, first + data[0].rows) of the dataset against Expected.
void check_rows(const std::vector<ColumnData>& data, uint64_t first) {
  ASSERT_EQ(data.size(), 4u);
  uint64_t rows = data[0].rows;
  for (const auto& column : data) ASSERT_EQ(column.rows, rows);
  const auto& names = data[1];
  const auto& hlf = data[2];
  const auto& gru = data[3];
  ASSERT_EQ(hlf.offsets[0].size(), rows + 1);
  ASSERT_EQ(gru.offsets[0].size(), rows + 1);
  ASSERT_EQ(static_cast<size_t>(gru.offsets[0].back()) + 1, gru.offsets[1].size());
  for (uint64_t r = 0; r < rows; ++r) {
    uint64_t row = first + r;
    ASSERT_EQ(data[0].as<int32_t>()[r], Expected::label(row)) << row;
    ASSERT_EQ(std::string(reinterpret_cast<const char*>(names.values.data()) + names.string_offsets[r],
                          static_cast<size_t>(names.string_offsets[r + 1] - names.string_offsets[r])),
              Expected::name(row));
    ASSERT_EQ(hlf.offsets[0][r + 1] - hlf.offsets[0][r], 14);
    for (int64_t k = 0; k < 14; ++k)
      ASSERT_EQ(hlf.as<float>()[static_cast<size_t>(hlf.offsets[0][r] + k)],
                Expected::value(row, static_cast<uint64_t>(k)));
    int64_t p0 = gru.offsets[0][r], p1 = gru.offsets[0][r + 1];
    ASSERT_EQ(static_cast<uint64_t>(p1 - p0), Expected::particles(row)) << row;
    for (int64_t p = p0; p < p1; ++p) {
      int64_t begin = gru.offsets[1][static_cast<size_t>(p)],
              end = gru.offsets[1][static_cast<size_t>(p + 1)];
      ASSERT_EQ(end - begin, 19);
      for (int64_t k = begin; k < end; ++k)
        ASSERT_EQ(gru.as<float>()[static_cast<size_t>(k)],
                  Expected::value(row, static_cast<uint64_t>(k - gru.offsets[1][static_cast<size_t>(p0)])));
    }
  }
}

const std::vector<std::string> kColumns = {"label", "name", "HLF", "GRU"};

TEST(DatasetReader, BatchesOfNRowsCrossRowGroupsAndParts) {
  fs::path dir = write_dataset();
  for (unsigned threads : {1u, 2u}) {
    for (uint64_t batch : {1ull, 64ull, 333ull, 5000ull}) {
      DatasetReader reader(dir, kColumns, {.threads = threads});
      std::vector<ColumnData> data;
      uint64_t first = 0;
      while (reader.next_batch(batch, data)) {
        uint64_t rows = data[0].rows;
        if (first + batch <= 2001) {
          EXPECT_EQ(rows, batch);  // full batches until the end
        }
        check_rows(data, first);
        if (::testing::Test::HasFatalFailure()) return;
        first += rows;
      }
      EXPECT_EQ(first, 2001u) << "batch " << batch << ", threads " << threads;
      EXPECT_EQ(reader.rows(), 2001u);
    }
  }
}

TEST(DatasetReader, RowGroupsAndBatchesMixAndAgreeWithAnyThreadCount) {
  fs::path dir = write_dataset();
  std::vector<uint64_t> group_sizes[2];
  for (unsigned threads : {1u, 2u}) {
    DatasetReader reader(dir, kColumns, {.threads = threads});
    std::vector<ColumnData> data;
    uint64_t first = 0;
    bool batch = false;
    // Alternately a row group (or its rest) and a batch of 50 rows.
    while (batch ? reader.next_batch(50, data) : reader.next(data)) {
      check_rows(data, first);
      if (::testing::Test::HasFatalFailure()) return;
      if (!batch) group_sizes[threads - 1].push_back(data[0].rows);
      first += data[0].rows;
      batch = !batch;
      EXPECT_EQ(reader.column_info(3).type_name(), "list<list<float>>");
    }
    EXPECT_EQ(first, 2001u);
    EXPECT_GT(group_sizes[threads - 1].size(), 10u);
  }
  EXPECT_EQ(group_sizes[0], group_sizes[1]);
}

}  // namespace

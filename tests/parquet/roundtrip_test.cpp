// trigml's Parquet writer and reader: every column kind, several row groups and pages, every
// codec; levels checked against hand-encoded bytes from the format specification.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <numeric>

#include "common/error.hpp"
#include "parquet/codec.hpp"
#include "parquet/levels.hpp"
#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

using namespace trigml;
using namespace trigml::parquet;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "trigml-parquet-tests";
  fs::create_directories(dir);
  return dir / name;
}

TEST(Levels, HybridEncodingMatchesTheSpecificationExample) {
  // Parquet's own example: values 0..7 with bit width 3 bit-pack into 0x88 0xC6 0xFA after the
  // header (1 group: (1 << 1) | 1 = 3).
  std::vector<uint16_t> values = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<std::byte> out;
  encode_hybrid(values, 3, out);
  std::vector<std::byte> expected = {std::byte{0x03}, std::byte{0x88}, std::byte{0xC6}, std::byte{0xFA}};
  EXPECT_EQ(out, expected);
  // A run of 100 ones at bit width 1: RLE header (100 << 1) = 200 = varint C8 01, value 01.
  std::vector<uint16_t> ones(100, 1);
  out.clear();
  encode_hybrid(ones, 1, out);
  expected = {std::byte{0xC8}, std::byte{0x01}, std::byte{0x01}};
  EXPECT_EQ(out, expected);
  io::BufferOrigin origin{"levels", "test", 0, false};
  io::Cursor cursor(out, &origin);
  std::vector<uint32_t> decoded;
  decode_hybrid(cursor, 1, 100, decoded);
  EXPECT_EQ(decoded, std::vector<uint32_t>(100, 1));
}

class ParquetRoundTrip : public ::testing::TestWithParam<Codec> {};

TEST_P(ParquetRoundTrip, EveryColumnKindComesBackExactly) {
  const uint64_t rows = 5000;
  std::vector<uint8_t> flags(rows);
  std::vector<int16_t> small(rows);
  std::vector<int32_t> labels(rows);
  std::vector<int64_t> entries(rows);
  std::vector<float> floats(rows);
  std::vector<double> doubles(rows);
  std::vector<std::string> names(rows);
  std::vector<int64_t> list_offsets{0}, nested_offsets{0};
  std::vector<float> list_items, nested_items;
  for (uint64_t r = 0; r < rows; ++r) {
    flags[r] = r % 3 == 0;
    small[r] = static_cast<int16_t>(r % 450 - 200);
    labels[r] = static_cast<int32_t>(r % 3);
    entries[r] = static_cast<int64_t>(r) * 1000003;
    floats[r] = static_cast<float>(r) * 0.25f - 7;
    doubles[r] = static_cast<double>(r) / 3;
    names[r] = "event-" + std::to_string(r % 17);
    for (int k = 0; k < 3; ++k) list_items.push_back(static_cast<float>(r + k));
    list_offsets.push_back(static_cast<int64_t>(list_items.size()));
    uint64_t particles = (r * 7) % 11;  // includes empty events
    for (uint64_t p = 0; p < particles * 19; ++p)
      nested_items.push_back(static_cast<float>(r) + static_cast<float>(p) / 100);
    nested_offsets.push_back(nested_offsets.back() + static_cast<int64_t>(particles));
  }
  std::vector<ColumnSpec> specs = {{"flag", ColumnType::Bool},
                                   {"n_tracks", ColumnType::Int16},
                                   {"label", ColumnType::Int32},
                                   {"entry", ColumnType::Int64},
                                   {"HT", ColumnType::Float},
                                   {"weight", ColumnType::Double},
                                   {"class", ColumnType::String},
                                   {"HLF_input", ColumnType::FloatList},
                                   {"GRU_input", ColumnType::FloatListList}};
  WriterOptions options;
  options.codec = GetParam();
  options.row_group_bytes = 400000;  // several row groups
  options.page_bytes = 30000;        // several pages per chunk
  options.metadata = {{"trigml.version", "test"}};
  fs::path path = scratch("roundtrip-" + codec_name(GetParam()) + ".parquet");
  {
    Writer writer(path, specs, options);
    // Uneven batches.
    for (uint64_t first = 0; first < rows;) {
      uint64_t last = std::min(rows, first + 777);
      uint64_t n = last - first;
      std::vector<int64_t> lo(list_offsets.begin() + static_cast<std::ptrdiff_t>(first),
                              list_offsets.begin() + static_cast<std::ptrdiff_t>(last + 1));
      std::vector<int64_t> no(nested_offsets.begin() + static_cast<std::ptrdiff_t>(first),
                              nested_offsets.begin() + static_cast<std::ptrdiff_t>(last + 1));
      std::vector<ColumnValues> columns(9);
      columns[0].bools = std::span(flags).subspan(first, n);
      columns[1].int16s = std::span(small).subspan(first, n);
      columns[2].int32s = std::span(labels).subspan(first, n);
      columns[3].int64s = std::span(entries).subspan(first, n);
      columns[4].floats = std::span(floats).subspan(first, n);
      columns[5].doubles = std::span(doubles).subspan(first, n);
      columns[6].strings = std::span(names).subspan(first, n);
      columns[7].floats = list_items;
      columns[7].offsets = lo;
      columns[8].floats = nested_items;
      columns[8].offsets = no;
      columns[8].inner_width = 19;
      writer.write(n, columns);
      first = last;
    }
    writer.close();
  }
  auto reader = FileReader::open(path.string());
  EXPECT_EQ(reader->rows(), rows);
  EXPECT_GT(reader->row_groups(), 2u);
  ASSERT_NE(reader->metadata_value("trigml.version"), nullptr);
  EXPECT_EQ(*reader->metadata_value("trigml.version"), "test");
  EXPECT_EQ(reader->columns()[reader->column("GRU_input")].type_name(), "list<list<float>>");
  EXPECT_EQ(reader->columns()[reader->column("n_tracks")].type_name(), "int16");
  std::vector<ColumnData> data(specs.size());
  for (size_t c = 0; c < specs.size(); ++c) {
    data[c].clear(reader->columns()[c]);
    for (size_t g = 0; g < reader->row_groups(); ++g) reader->read(g, c, data[c]);
    EXPECT_EQ(data[c].rows, rows) << specs[c].name;
  }
  for (uint64_t r = 0; r < rows; ++r) {
    ASSERT_EQ(data[0].as<uint8_t>()[r], flags[r]) << r;
    ASSERT_EQ(data[1].as<int32_t>()[r], small[r]) << r;
    ASSERT_EQ(data[2].as<int32_t>()[r], labels[r]);
    ASSERT_EQ(data[3].as<int64_t>()[r], entries[r]);
    ASSERT_EQ(data[4].as<float>()[r], floats[r]);
    ASSERT_EQ(data[5].as<double>()[r], doubles[r]);
    const auto& so = data[6].string_offsets;
    ASSERT_EQ(std::string(reinterpret_cast<const char*>(data[6].values.data()) + so[r], so[r + 1] - so[r]),
              names[r]);
  }
  EXPECT_EQ(data[7].offsets[0], list_offsets);
  EXPECT_EQ(std::vector<float>(data[7].as<float>().begin(), data[7].as<float>().end()), list_items);
  EXPECT_EQ(data[8].offsets[0], nested_offsets);
  ASSERT_EQ(data[8].offsets[1].size(), static_cast<size_t>(nested_offsets.back()) + 1);
  for (size_t p = 0; p + 1 < data[8].offsets[1].size(); ++p)
    EXPECT_EQ(data[8].offsets[1][p + 1] - data[8].offsets[1][p], 19);
  EXPECT_EQ(std::vector<float>(data[8].as<float>().begin(), data[8].as<float>().end()), nested_items);
  // Statistics of the first row group's HT column: min and max of its rows.
  const auto& stats = reader->metadata().row_groups[0].columns[4].statistics;
  ASSERT_TRUE(stats.min_value && stats.max_value);
  float lo, hi;
  std::memcpy(&lo, stats.min_value->data(), 4);
  std::memcpy(&hi, stats.max_value->data(), 4);
  uint64_t first_group_rows = static_cast<uint64_t>(reader->metadata().row_groups[0].num_rows);
  EXPECT_EQ(lo, floats[0]);
  EXPECT_EQ(hi, floats[first_group_rows - 1]);
}

INSTANTIATE_TEST_SUITE_P(Codecs, ParquetRoundTrip,
                         ::testing::Values(Codec::Uncompressed, Codec::Snappy, Codec::Zstd, Codec::Lz4Raw));

// Every speed setting of LZ4 and ZSTD gives pages that decompress to the input; the settings
// reach the libraries (LZ4's largest acceleration finds fewer matches than its default).
TEST(ParquetCodecs, EverySpeedSettingRoundTrips) {
  // Particle-like rows: 13 noisy floats and 6 flags of 0 or 1, the compressible part.
  std::vector<float> rows(19 * 20000);
  uint64_t state = 99;
  for (size_t i = 0; i < rows.size(); ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    rows[i] = i % 19 < 13 ? static_cast<float>(state >> 40) * 1e-3f : static_cast<float>((state >> 63) & 1);
  }
  auto in = std::as_bytes(std::span(rows));
  std::map<std::pair<Codec, int>, size_t> sizes;
  for (auto [codec, setting] : {std::pair{Codec::Lz4Raw, 1},
                                {Codec::Lz4Raw, 4},
                                {Codec::Lz4Raw, 64},
                                {Codec::Zstd, -3},
                                {Codec::Zstd, 1},
                                {Codec::Zstd, 9}}) {
    CodecSettings settings;
    (codec == Codec::Lz4Raw ? settings.lz4_acceleration : settings.zstd_level) = setting;
    ByteBuffer packed;
    compress(codec, in, packed, settings);
    EXPECT_LT(packed.size(), in.size() * 9 / 10) << codec_name(codec) << " " << setting;
    std::vector<std::byte> back(in.size());
    decompress(codec, packed, back, {"codec test"});
    EXPECT_TRUE(std::equal(back.begin(), back.end(), in.begin())) << codec_name(codec) << " " << setting;
    sizes[{codec, setting}] = packed.size();
  }
  EXPECT_GT(sizes[std::pair(Codec::Lz4Raw, 64)], sizes[std::pair(Codec::Lz4Raw, 1)]);
  EXPECT_LT(sizes[std::pair(Codec::Zstd, 9)], sizes[std::pair(Codec::Zstd, -3)]);
}

TEST(ParquetErrors, WrongColumnTruncatedFileAndBadFooterNameTheFile) {
  fs::path path = scratch("small.parquet");
  {
    Writer writer(path, {{"x", ColumnType::Float}});
    std::vector<float> x = {1, 2, 3};
    ColumnValues v;
    v.floats = x;
    writer.write(3, std::span(&v, 1));
    writer.close();
  }
  auto reader = FileReader::open(path.string());
  try {
    reader->column("y");
    FAIL();
  } catch (const NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'y' (the file has: x)"), std::string::npos) << e.what();
  }
  std::vector<std::byte> bytes(fs::file_size(path));
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    ASSERT_EQ(std::fread(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  }
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    try {
      auto r = FileReader::open(std::make_unique<io::MemorySource>("cut.parquet", prefix));
      ColumnData d;
      d.clear(r->columns()[0]);
      r->read(0, 0, d);
      ADD_FAILURE() << "a " << cut << "-byte prefix read without error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.parquet"), std::string::npos) << e.what();
    }
  }
}

class ParquetFlips : public ::testing::TestWithParam<Codec> {};

TEST_P(ParquetFlips, FlippedBytesInFooterAndPagesGiveErrorsNamingFileRowGroupAndColumn) {
  fs::path path = scratch("flips-" + codec_name(GetParam()) + ".parquet");
  std::vector<float> x(3000);
  std::vector<int64_t> offsets{0};
  std::vector<float> items;
  for (size_t i = 0; i < x.size(); ++i) {
    x[i] = static_cast<float>(i);
    for (size_t k = 0; k < i % 4; ++k) items.push_back(static_cast<float>(k));
    offsets.push_back(static_cast<int64_t>(items.size()));
  }
  {
    WriterOptions options;
    options.page_bytes = 2000;
    options.row_group_bytes = 8000;
    options.codec = GetParam();
    Writer writer(path, {{"x", ColumnType::Float}, {"l", ColumnType::FloatList}}, options);
    std::vector<ColumnValues> v(2);
    v[0].floats = x;
    v[1].floats = items, v[1].offsets = offsets;
    writer.write(x.size(), v);
    writer.close();
  }
  std::vector<std::byte> bytes(fs::file_size(path));
  {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    ASSERT_EQ(std::fread(bytes.data(), 1, bytes.size(), f), bytes.size());
    std::fclose(f);
  }
  size_t errors = 0;
  for (size_t at = 4; at < bytes.size(); at += 7) {
    auto mutated = bytes;
    mutated[at] ^= std::byte{0x5A};
    try {
      auto r = FileReader::open(std::make_unique<io::MemorySource>("flipped.parquet", mutated));
      for (size_t g = 0; g < r->row_groups(); ++g)
        for (size_t c = 0; c < r->columns().size(); ++c) {
          ColumnData d;
          d.clear(r->columns()[c]);
          r->read(g, c, d);
        }
    } catch (const Error& e) {
      ++errors;
      std::string message = e.what();
      EXPECT_NE(message.find("flipped.parquet"), std::string::npos) << message;
      EXPECT_NE(message.find("offset"), std::string::npos) << "byte " << at << ": " << message;
      if (message.find("footer") == std::string::npos && message.find("PAR1") == std::string::npos &&
          message.find("row group") == std::string::npos)
        ADD_FAILURE() << "byte " << at
                      << ": names neither the footer nor a row group and column: " << message;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "byte " << at << ": " << typeid(e).name() << " escaped: " << e.what();
    }
  }
  EXPECT_GT(errors, 0u);
}

INSTANTIATE_TEST_SUITE_P(Codecs, ParquetFlips, ::testing::Values(Codec::Snappy, Codec::Zstd, Codec::Lz4Raw));

}  // namespace

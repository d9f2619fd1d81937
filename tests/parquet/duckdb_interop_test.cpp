// Interoperability with DuckDB, an independent Parquet implementation (npm @duckdb/node-api):
// DuckDB reads what trigml writes (row count, per-column count and sum, nested shapes), and trigml
// reads what DuckDB writes (flat columns, lists, lists of lists, Snappy, ZSTD and LZ4_RAW, dictionaries).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/run_command.hpp"
#include "interop/peers.hpp"
#include "parquet/dataset.hpp"
#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

using namespace trigml::parquet;
namespace fs = std::filesystem;
using json = nlohmann::json;
using trigml::testing::duckdb_available;
using trigml::testing::kInterop;
using trigml::testing::quote;

namespace {

json duckdb(const std::vector<std::string>& statements) {
  std::string command = "node " + quote((kInterop / "duckdb_query.mjs").string());
  for (const auto& s : statements) command += " " + quote(s);
  std::string out = trigml::testing::run_command(command).output;
  try {
    return json::parse(out);
  } catch (const json::exception&) {
    ADD_FAILURE() << "DuckDB failed: " << out;
    return json::array();
  }
}

double number(const json& j) {
  return j.is_string() ? std::stod(j.get<std::string>()) : j.get<double>();
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "trigml-duckdb";
  fs::create_directories(dir);
  return dir / name;
}

class TrigmlWritesDuckDbReads : public ::testing::TestWithParam<Codec> {};

TEST_P(TrigmlWritesDuckDbReads, CountsSumsAndShapesAgree) {
  if (!duckdb_available())
    GTEST_SKIP() << "DuckDB's Node.js package is not installed (tests/interop/install)";
  const uint64_t rows = 3000;
  std::vector<uint8_t> flags(rows);
  std::vector<int16_t> small(rows);
  std::vector<int32_t> ints(rows);
  std::vector<int64_t> longs(rows);
  std::vector<float> floats(rows);
  std::vector<double> doubles(rows);
  std::vector<std::string> strings(rows);
  std::vector<int64_t> list_offsets{0}, nested_offsets{0};
  std::vector<float> list_items, nested_items;
  double float_sum = 0, double_sum = 0, list_sum = 0, nested_sum = 0;
  int64_t int_sum = 0, small_sum = 0, long_sum = 0, flag_sum = 0;
  for (uint64_t r = 0; r < rows; ++r) {
    flags[r] = r % 4 == 1, flag_sum += flags[r];
    small[r] = static_cast<int16_t>(static_cast<int>(r % 500) - 250), small_sum += small[r];
    ints[r] = static_cast<int32_t>(r * 37 % 1001) - 500, int_sum += ints[r];
    longs[r] = static_cast<int64_t>(r) * 123456789, long_sum += longs[r];
    floats[r] = static_cast<float>(r % 97) * 0.5f - 3, float_sum += floats[r];
    doubles[r] = static_cast<double>(r) / 7, double_sum += doubles[r];
    strings[r] = "s" + std::to_string(r % 13);
    for (uint64_t k = 0; k < r % 5; ++k)
      list_items.push_back(static_cast<float>(k) + 0.25f), list_sum += list_items.back();
    list_offsets.push_back(static_cast<int64_t>(list_items.size()));
    for (uint64_t p = 0; p < (r * 3) % 7; ++p)
      for (int j = 0; j < 19; ++j)
        nested_items.push_back(static_cast<float>(j) * 0.5f), nested_sum += nested_items.back();
    nested_offsets.push_back(nested_offsets.back() + static_cast<int64_t>((r * 3) % 7));
  }
  std::vector<ColumnSpec> specs = {
      {"flag", ColumnType::Bool},   {"small", ColumnType::Int16},    {"i32", ColumnType::Int32},
      {"i64", ColumnType::Int64},   {"f32", ColumnType::Float},      {"f64", ColumnType::Double},
      {"text", ColumnType::String}, {"list", ColumnType::FloatList}, {"nested", ColumnType::FloatListList}};
  WriterOptions options;
  options.codec = GetParam();
  options.row_group_bytes = 100000;
  options.page_bytes = 20000;
  fs::path path = scratch("trigml-" + codec_name(GetParam()) + ".parquet");
  {
    Writer writer(path, specs, options);
    std::vector<ColumnValues> v(9);
    v[0].bools = flags, v[1].int16s = small, v[2].int32s = ints, v[3].int64s = longs, v[4].floats = floats;
    v[5].doubles = doubles, v[6].strings = strings;
    v[7].floats = list_items, v[7].offsets = list_offsets;
    v[8].floats = nested_items, v[8].offsets = nested_offsets, v[8].inner_width = 19;
    writer.write(rows, v);
    writer.close();
  }
  std::string file = "'" + path.string() + "'";
  json r = duckdb(
      {"SELECT count(*) AS n, sum(flag::INT) AS flag, sum(small) AS small, sum(i32) AS i32, "
       "sum(i64)::DOUBLE AS i64, sum(f32::DOUBLE) AS f32, sum(f64) AS f64, count(DISTINCT text) AS texts, "
       "sum(len(list)) AS list_items, sum(list_sum(list)::DOUBLE) AS list_sum, "
       "sum(len(nested)) AS particles, sum(len(flatten(nested))) AS nested_items, "
       "sum(list_sum(flatten(nested))::DOUBLE) AS nested_sum, "
       "max(len(nested[1])) AS inner_max, min(len(nested[1])) AS inner_min, "
       "typeof(any_value(small)) AS small_type FROM read_parquet(" +
       file + ")"});
  ASSERT_EQ(r.size(), 1u);
  const json& x = r[0];
  EXPECT_EQ(number(x["n"]), rows);
  EXPECT_EQ(number(x["flag"]), flag_sum);
  EXPECT_EQ(number(x["small"]), small_sum);
  EXPECT_EQ(x["small_type"], "SMALLINT");
  EXPECT_EQ(number(x["i32"]), int_sum);
  EXPECT_DOUBLE_EQ(number(x["i64"]), static_cast<double>(long_sum));
  EXPECT_NEAR(number(x["f32"]), float_sum, 1e-9 * std::fabs(float_sum) + 1e-9);
  EXPECT_NEAR(number(x["f64"]), double_sum, 1e-9 * std::fabs(double_sum));
  EXPECT_EQ(number(x["texts"]), 13);
  EXPECT_EQ(number(x["list_items"]), static_cast<double>(list_items.size()));
  EXPECT_NEAR(number(x["list_sum"]), list_sum, 1e-6 * list_sum);
  EXPECT_EQ(number(x["particles"]), static_cast<double>(nested_offsets.back()));
  EXPECT_EQ(number(x["nested_items"]), static_cast<double>(nested_items.size()));
  EXPECT_NEAR(number(x["nested_sum"]), nested_sum, 1e-6 * nested_sum);
  EXPECT_EQ(number(x["inner_max"]), 19);
  EXPECT_EQ(number(x["inner_min"]), 19);
}

INSTANTIATE_TEST_SUITE_P(Codecs, TrigmlWritesDuckDbReads,
                         ::testing::Values(Codec::Uncompressed, Codec::Snappy, Codec::Zstd, Codec::Lz4Raw));

class DuckDbWritesTrigmlReads : public ::testing::TestWithParam<std::string> {};

TEST_P(DuckDbWritesTrigmlReads, ValuesAgree) {
  if (!duckdb_available())
    GTEST_SKIP() << "DuckDB's Node.js package is not installed (tests/interop/install)";
  fs::path path = scratch("duckdb-" + GetParam() + ".parquet");
  fs::remove(path);
  // 2000 rows: a repetitive string (dictionary-encoded by DuckDB), numbers, a list, a list of lists,
  // some nulls.
  std::string table =
      "SELECT i::INTEGER AS i, (i * 3)::BIGINT AS big, (i / 4)::FLOAT AS f, (i / 8)::DOUBLE AS d, "
      "'class' || (i % 3)::VARCHAR AS cls, CASE WHEN i % 10 = 0 THEN NULL ELSE i END AS maybe, "
      "[(i % 5)::FLOAT, 1.5::FLOAT][1:(i % 3)] AS lst, "
      "[[j::FLOAT for j in range(i % 4)] for k in range(i % 3)] AS nested, "
      // Lists that are never empty or null (pages of present values only), two and three deep.
      "[[(i + j)::FLOAT for j in range(1 + i % 4)] for k in range(1 + i % 3)] AS full, "
      "[[[(i + k + j)::FLOAT for j in range(1 + (i + m) % 2)] for m in range(2)] for k in range(1 + i % 2)] "
      "AS deep, "
      // Null lists only in the last row group, null elements throughout.
      "CASE WHEN i >= 1500 AND i % 7 = 0 THEN NULL ELSE "
      "[CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 5)::FLOAT END, 2.5::FLOAT][1:(i % 3)] END AS holes "
      "FROM range(2000) t(i)";
  json written = duckdb(
      {"COPY (" + table + ") TO '" + path.string() + "' (FORMAT parquet, COMPRESSION " + GetParam() +
           ", ROW_GROUP_SIZE 500)",
       "SELECT sum(i) AS i, sum(big)::DOUBLE AS big, sum(f::DOUBLE) AS f, sum(d) AS d, "
       "count(maybe) AS maybe_count, sum(maybe) AS maybe_sum, sum(len(lst)) AS lst_items, "
       "sum(list_sum(lst)::DOUBLE) AS lst_sum, sum(len(nested)) AS nested_lists, "
       "sum(len(flatten(nested))) AS nested_items, sum(list_sum(flatten(nested))::DOUBLE) AS nested_sum, "
       "sum(CASE WHEN cls = 'class1' THEN 1 ELSE 0 END) AS class1, count(holes) AS hole_lists, "
       "sum(len(holes)) AS hole_items, "
       "sum(len(holes) - len(list_filter(holes, x -> x IS NOT NULL))) AS hole_nulls, "
       "sum(list_sum(holes)::DOUBLE) AS hole_sum FROM read_parquet('" +
           path.string() + "')"});
  ASSERT_EQ(written.size(), 1u);
  const json& e = written[0];
  auto reader = FileReader::open(path.string());
  EXPECT_EQ(reader->rows(), 2000u);
  EXPECT_GE(reader->row_groups(), 1u);
  auto read = [&](const std::string& name) {
    ColumnData d;
    size_t c = reader->column(name);
    d.clear(reader->columns()[c]);
    for (size_t g = 0; g < reader->row_groups(); ++g) reader->read(g, c, d);
    EXPECT_EQ(d.rows, 2000u) << name;
    return d;
  };
  auto sum_values = [](const ColumnData& d) {
    double s = 0;
    if (d.physical == PhysicalType::Int32)
      for (auto v : d.as<int32_t>()) s += v;
    if (d.physical == PhysicalType::Int64)
      for (auto v : d.as<int64_t>()) s += static_cast<double>(v);
    if (d.physical == PhysicalType::Float)
      for (auto v : d.as<float>()) s += v;
    if (d.physical == PhysicalType::Double)
      for (auto v : d.as<double>()) s += v;
    return s;
  };
  EXPECT_EQ(sum_values(read("i")), number(e["i"]));
  EXPECT_EQ(sum_values(read("big")), number(e["big"]));
  EXPECT_NEAR(sum_values(read("f")), number(e["f"]), 1e-6 * number(e["f"]));
  EXPECT_NEAR(sum_values(read("d")), number(e["d"]), 1e-9 * number(e["d"]));
  ColumnData maybe = read("maybe");
  ASSERT_EQ(maybe.valid.size(), 2000u);
  EXPECT_EQ(static_cast<double>(std::count(maybe.valid.begin(), maybe.valid.end(), 1)),
            number(e["maybe_count"]));
  EXPECT_EQ(sum_values(maybe), number(e["maybe_sum"])) << "nulls read as zero placeholders";
  ColumnData cls = read("cls");
  int class1 = 0;
  for (size_t r = 0; r < 2000; ++r)
    class1 += std::string(reinterpret_cast<const char*>(cls.values.data()) + cls.string_offsets[r],
                          static_cast<size_t>(cls.string_offsets[r + 1] - cls.string_offsets[r])) == "class1";
  EXPECT_EQ(class1, number(e["class1"]));
  ColumnData lst = read("lst");
  ASSERT_EQ(lst.offsets.size(), 1u);
  EXPECT_EQ(static_cast<double>(lst.offsets[0].back()), number(e["lst_items"]));
  EXPECT_NEAR(sum_values(lst), number(e["lst_sum"]), 1e-6);
  ColumnData nested = read("nested");
  ASSERT_EQ(nested.offsets.size(), 2u);
  EXPECT_EQ(static_cast<double>(nested.offsets[0].back()), number(e["nested_lists"]));
  EXPECT_EQ(static_cast<double>(nested.offsets[1].back()), number(e["nested_items"]));
  EXPECT_NEAR(sum_values(nested), number(e["nested_sum"]), 1e-6 * (1 + number(e["nested_sum"])));
  // Every list's length and every value, against the table's definition.
  ColumnData full = read("full");
  ASSERT_EQ(full.offsets.size(), 2u);
  for (int64_t i = 0, item = 0; i < 2000; ++i) {
    ASSERT_EQ(full.offsets[0][i + 1] - full.offsets[0][i], 1 + i % 3) << i;
    for (int64_t k = full.offsets[0][i]; k < full.offsets[0][i + 1]; ++k) {
      ASSERT_EQ(full.offsets[1][k + 1] - full.offsets[1][k], 1 + i % 4) << i;
      for (int64_t j = 0; j < 1 + i % 4; ++j) ASSERT_EQ(full.as<float>()[item++], static_cast<float>(i + j));
    }
  }
  ColumnData deep = read("deep");
  ASSERT_EQ(deep.offsets.size(), 3u);
  for (int64_t i = 0, item = 0; i < 2000; ++i) {
    ASSERT_EQ(deep.offsets[0][i + 1] - deep.offsets[0][i], 1 + i % 2) << i;
    for (int64_t k = 0; k < 1 + i % 2; ++k) {
      int64_t middle = deep.offsets[0][i] + k;
      ASSERT_EQ(deep.offsets[1][middle + 1] - deep.offsets[1][middle], 2) << i;
      for (int64_t m = 0; m < 2; ++m) {
        int64_t inner = deep.offsets[1][middle] + m;
        ASSERT_EQ(deep.offsets[2][inner + 1] - deep.offsets[2][inner], 1 + (i + m) % 2) << i;
        for (int64_t j = 0; j < 1 + (i + m) % 2; ++j)
          ASSERT_EQ(deep.as<float>()[item++], static_cast<float>(i + k + j));
      }
    }
  }
  // Nulls that first appear in a later row group.
  ColumnData holes = read("holes");
  ASSERT_EQ(holes.list_valid[0].size(), 2000u);
  EXPECT_EQ(static_cast<double>(std::count(holes.list_valid[0].begin(), holes.list_valid[0].end(), 1)),
            number(e["hole_lists"]));
  EXPECT_EQ(static_cast<double>(holes.offsets[0].back()), number(e["hole_items"]));
  ASSERT_EQ(holes.valid.size(), static_cast<size_t>(holes.offsets[0].back()));
  EXPECT_EQ(static_cast<double>(std::count(holes.valid.begin(), holes.valid.end(), 0)),
            number(e["hole_nulls"]));
  EXPECT_NEAR(sum_values(holes), number(e["hole_sum"]), 1e-6 * number(e["hole_sum"]));
  // The same columns in batches of 333 rows across the row groups: the same values and validity.
  const std::vector<std::string> names = {"i", "cls", "maybe", "nested", "holes"};
  DatasetReader batches(path, names);
  std::vector<ColumnData> whole = {read("i"), cls, maybe, nested, holes}, batch;
  std::vector<ColumnData> joined(whole.size());
  for (size_t c = 0; c < whole.size(); ++c) joined[c].clear(reader->columns()[reader->column(names[c])]);
  while (batches.next_batch(333, batch))
    for (size_t c = 0; c < whole.size(); ++c) joined[c].append_rows(batch[c], 0, batch[c].rows);
  for (size_t c = 0; c < whole.size(); ++c) {
    EXPECT_EQ(joined[c].rows, 2000u);
    EXPECT_EQ(joined[c].values, whole[c].values) << c;
    EXPECT_EQ(joined[c].string_offsets, whole[c].string_offsets) << c;
    EXPECT_EQ(joined[c].offsets, whole[c].offsets) << c;
    EXPECT_EQ(joined[c].list_valid, whole[c].list_valid) << c;
    EXPECT_EQ(joined[c].valid, whole[c].valid) << c;
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, DuckDbWritesTrigmlReads,
                         ::testing::Values("snappy", "zstd", "lz4_raw", "uncompressed"));

}  // namespace

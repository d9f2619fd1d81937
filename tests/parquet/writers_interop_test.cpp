// Files from independent Parquet writers, across encodings, codecs and page versions: DuckDB
// (npm @duckdb/node-api; dictionary pages, data pages v2 with DELTA encodings) and the Rust
// arrow-rs writer (npm parquet-wasm, every encoding and codec chosen per column). For each file
// `trigml dump --json` must equal what DuckDB reads, column by column and row by row.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/run_command.hpp"
#include "interop/peers.hpp"
#include "parquet/reader.hpp"

using namespace trigml::parquet;
namespace fs = std::filesystem;
using json = nlohmann::json;
using trigml::testing::duckdb_available;
using trigml::testing::kInterop;
using trigml::testing::quote;

namespace {

bool parquet_wasm_available() {
  return fs::exists(kInterop / "node_modules" / "parquet-wasm") &&
         fs::exists(kInterop / "node_modules" / "apache-arrow");
}

json parse_output(const std::string& what, const trigml::testing::CommandResult& result) {
  if (result.status != 0) {
    ADD_FAILURE() << what << " failed (" << result.status << "): " << result.output;
    return nullptr;
  }
  try {
    return json::parse(result.output);
  } catch (const json::exception&) {
    ADD_FAILURE() << what << " printed no JSON: " << result.output;
    return nullptr;
  }
}

void run_checked(const std::string& command) {
  auto result = trigml::testing::run_command(command);
  ASSERT_EQ(result.status, 0) << command << "\n" << result.output;
}

fs::path scratch(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / "trigml-writers";
  fs::create_directories(dir);
  fs::remove(dir / name);
  return dir / name;
}

// DuckDB's reading of `columns`, as arrays per column in file order; `expressions` (SQL of the
// column, by name) turn DuckDB's types into what trigml reads them as.
json duckdb_columns(const fs::path& file, const std::vector<std::string>& columns,
                    const std::map<std::string, std::string>& expressions = {}) {
  std::string select;
  for (const auto& c : columns) {
    auto e = expressions.find(c);
    select += (select.empty() ? "" : ", ") + (e == expressions.end() ? "\"" + c + "\"" : e->second) +
              " AS \"" + c + "\"";
  }
  std::string command = "node " + quote((kInterop / "duckdb_query.mjs").string()) + " " +
                        quote("SET threads = 1") + " " +
                        quote("SELECT " + select + " FROM read_parquet('" + file.string() + "')");
  json rows = parse_output("DuckDB", trigml::testing::run_command(command));
  json out = json::object();
  for (const auto& c : columns) out[c] = json::array();
  if (rows.is_array())
    for (const auto& row : rows)
      for (const auto& c : columns) out[c].push_back(row.at(c));
  return out;
}

json trigml_columns(const fs::path& file, const std::vector<std::string>& columns) {
  std::string command = quote(TRIGML_CLI) + " dump --json " + quote(file.string());
  for (const auto& c : columns) command += " " + quote(c);
  json dumped = parse_output("trigml dump", trigml::testing::run_command(command));
  return dumped.is_object() ? dumped["columns"] : json::object();
}

// DuckDB's JSON gives BIGINT and HUGEINT as strings, everything else as JSON types: compare a
// trigml number with either.
// `one_ulp`: doubles may differ in their last bit (beyond double precision, rounding differs).
bool same_value(const json& ours, const json& theirs, bool one_ulp) {
  if (ours.is_array() && theirs.is_array()) {
    if (ours.size() != theirs.size()) return false;
    for (size_t i = 0; i < ours.size(); ++i)
      if (!same_value(ours[i], theirs[i], one_ulp)) return false;
    return true;
  }
  if (ours.is_number_integer() && theirs.is_string()) return std::to_string(ours.get<int64_t>()) == theirs;
  if (ours.is_number() && theirs.is_number()) {
    const double a = ours.get<double>(), b = theirs.get<double>();
    return a == b || (one_ulp && std::nextafter(a, b) == b);
  }
  return ours == theirs;
}

// trigml's reading of `file` against DuckDB's of `reference` (the same values, written so that
// DuckDB reads them where it does not read `file`'s encoding or codec).
void expect_same_columns(const fs::path& file, const std::vector<std::string>& columns,
                         const fs::path& reference,
                         const std::map<std::string, std::string>& expressions = {},
                         const std::set<std::string>& one_ulp = {}) {
  json ours = trigml_columns(file, columns), theirs = duckdb_columns(reference, columns, expressions);
  for (const auto& c : columns) {
    const json& a = ours[c];
    const json& b = theirs[c];
    ASSERT_EQ(a.size(), b.size()) << file << ": column " << c;
    ASSERT_GT(a.size(), 0u) << file << ": column " << c;
    size_t differing = 0;
    for (size_t row = 0; row < a.size(); ++row)
      if (!same_value(a[row], b[row], one_ulp.count(c) > 0) && differing++ < 3)
        ADD_FAILURE() << file << ": column " << c << " row " << row << ": trigml " << a[row].dump()
                      << ", DuckDB " << b[row].dump();
    EXPECT_EQ(differing, 0u) << file << ": column " << c;
  }
}

void expect_same_columns(const fs::path& file, const std::vector<std::string>& columns) {
  expect_same_columns(file, columns, file);
}

// The encodings each page of `file` uses, as the footer lists them per column chunk.
std::vector<Encoding> chunk_encodings(const fs::path& file) {
  auto reader = FileReader::open(file.string());
  std::vector<Encoding> all;
  for (const auto& group : reader->metadata().row_groups)
    for (const auto& chunk : group.columns)
      all.insert(all.end(), chunk.encodings.begin(), chunk.encodings.end());
  return all;
}

bool uses(const std::vector<Encoding>& encodings, Encoding e) {
  return std::find(encodings.begin(), encodings.end(), e) != encodings.end();
}

// --- DuckDB -------------------------------------------------------------------------------------

struct DuckDbCase {
  std::string name;
  std::string version;  // PARQUET_VERSION
  std::string compression;
};

class DuckDbWrites : public ::testing::TestWithParam<DuckDbCase> {};

TEST_P(DuckDbWrites, TrigmlDumpsWhatDuckDbReads) {
  if (!duckdb_available())
    GTEST_SKIP() << "DuckDB's Node.js package is not installed (tests/interop/install)";
  const DuckDbCase& c = GetParam();
  fs::path file = scratch("duckdb-" + c.name + ".parquet");
  const std::string table =
      "SELECT i::INTEGER AS i, (i * 123456789)::BIGINT AS big, (i % 100 - 50)::TINYINT AS tiny, "
      "(i * 7 % 1000 - 500)::SMALLINT AS small, (i / 4)::FLOAT AS f, (i / 7)::DOUBLE AS d, "
      "i % 3 = 1 AS flag, 'class' || (i % 3)::VARCHAR AS cls, 'event-' || (i // 10)::VARCHAR || '-' || "
      "(i % 10)::VARCHAR AS name, CASE WHEN i % 10 = 0 THEN NULL ELSE i * 3 END AS maybe, "
      "CASE WHEN i % 9 = 0 THEN NULL ELSE (i % 1000) / 8 END::DOUBLE AS maybe_d, "
      "CASE WHEN i % 6 = 0 THEN NULL ELSE 'v' || (i % 50)::VARCHAR END AS maybe_s, "
      "[(i % 5)::FLOAT, 1.5::FLOAT][1:(i % 3)] AS lst, "
      "[[j::BIGINT * i for j in range(i % 4)] for k in range(i % 3)] AS nested, "
      "CASE WHEN i % 7 = 0 THEN NULL ELSE [CASE WHEN i % 11 = 0 THEN NULL ELSE 'x' || i::VARCHAR END] END "
      "AS holes FROM range(5000) t(i)";
  run_checked("node " + quote((kInterop / "duckdb_query.mjs").string()) + " " +
              quote("COPY (" + table + ") TO '" + file.string() + "' (FORMAT parquet, COMPRESSION " +
                    c.compression + ", PARQUET_VERSION " + c.version + ", ROW_GROUP_SIZE 2048)"));
  if (c.version == "V2") {
    auto encodings = chunk_encodings(file);
    for (Encoding e : {Encoding::DeltaBinaryPacked, Encoding::DeltaLengthByteArray, Encoding::ByteStreamSplit,
                       Encoding::RleDictionary})
      EXPECT_TRUE(uses(encodings, e)) << "DuckDB no longer writes " << encoding_name(e);
  }
  expect_same_columns(file, {"i", "big", "tiny", "small", "f", "d", "flag", "cls", "name", "maybe", "maybe_d",
                             "maybe_s", "lst", "nested", "holes"});
}

INSTANTIATE_TEST_SUITE_P(
    VersionsAndCodecs, DuckDbWrites,
    ::testing::Values(DuckDbCase{"v2_uncompressed", "V2", "uncompressed"},
                      DuckDbCase{"v2_snappy", "V2", "snappy"}, DuckDbCase{"v2_gzip", "V2", "gzip"},
                      DuckDbCase{"v2_zstd", "V2", "zstd"}, DuckDbCase{"v2_brotli", "V2", "brotli"},
                      DuckDbCase{"v2_lz4_raw", "V2", "lz4_raw"}, DuckDbCase{"v1_gzip", "V1", "gzip"},
                      DuckDbCase{"v1_brotli", "V1", "brotli"}),
    [](const auto& test) { return test.param.name; });

// Logical types, as trigml reads them: DECIMAL as double, UUID as text, dates as int32 days,
// times and timestamps as int64 in their unit, unsigned integers as values (UINT_32 widened).
TEST(DuckDbLogicalTypes, ReadAsTheirValues) {
  if (!duckdb_available())
    GTEST_SKIP() << "DuckDB's Node.js package is not installed (tests/interop/install)";
  fs::path file = scratch("duckdb-logical.parquet");
  const std::string table =
      // Unscaled values divided by their scale: DECIMAL(9, 2) in INT32, (18, 4) in INT64, (38, 6) in
      // 16 bytes.
      "SELECT ((i * 12345 - 6000000) / 100)::DECIMAL(9, 2) AS dec9, "
      "((i * 987654321 - 5) / 7)::DECIMAL(18, 4) AS dec18, "
      "((i - 2500)::HUGEINT * 1000000000000000000000 + i)::DECIMAL(38, 0)::DECIMAL(38, 6) AS dec38, "
      "CASE WHEN i % 5 = 0 THEN NULL ELSE md5(i::VARCHAR)::UUID END AS id, "
      "DATE '1969-12-25' + i::INTEGER AS day, "
      "TIMESTAMP '2024-02-29 12:34:56.789' + i * INTERVAL 1 HOUR AS ts, "
      "TIME '00:00:01' + i * INTERVAL 17 SECOND AS t, (i % 256)::UTINYINT AS u8, (i * 13)::USMALLINT AS u16, "
      "(4294967295 - i)::UINTEGER AS u32, (9223372036854775807 - i)::UBIGINT AS u64, "
      "(i % 200 - 100)::TINYINT AS i8, [((i * 3) / 8)::DECIMAL(9, 3)] AS decs FROM range(5000) t(i)";
  run_checked("node " + quote((kInterop / "duckdb_query.mjs").string()) + " " +
              quote("COPY (" + table + ") TO '" + file.string() + "' (FORMAT parquet, ROW_GROUP_SIZE 2048)"));
  auto reader = FileReader::open(file.string());
  EXPECT_EQ(reader->columns()[reader->column("dec38")].stored, PhysicalType::FixedLenByteArray);
  EXPECT_EQ(reader->columns()[reader->column("u32")].physical, PhysicalType::Int64);
  expect_same_columns(
      file, {"dec9", "dec18", "dec38", "id", "day", "ts", "t", "u8", "u16", "u32", "u64", "i8", "decs"}, file,
      {{"dec9", "dec9::DOUBLE"},
       {"dec18", "dec18::DOUBLE"},
       {"dec38", "dec38::DOUBLE"},
       {"id", "id::VARCHAR"},
       {"day", "(day - DATE '1970-01-01')::INTEGER"},
       {"ts", "epoch_us(ts)"},
       {"t", "epoch_us(t)"},
       {"u64", "u64::BIGINT"},
       {"decs", "decs::DOUBLE[]"}},
      // 38 digits: trigml rounds the whole part once, DuckDB divides rounded numbers.
      {"dec38"});
  // UINT_64 values above int64's: an error, not a negative number.
  fs::path big = scratch("duckdb-uint64.parquet");
  run_checked(
      "node " + quote((kInterop / "duckdb_query.mjs").string()) + " " +
      quote("COPY (SELECT 18446744073709551615::UBIGINT AS u) TO '" + big.string() + "' (FORMAT parquet)"));
  auto result =
      trigml::testing::run_command(quote(TRIGML_CLI) + " dump --json " + quote(big.string()) + " u");
  EXPECT_NE(result.status, 0) << result.output;
  EXPECT_NE(result.output.find("18446744073709551615"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("column 'u'"), std::string::npos) << result.output;
}

// --- arrow-rs through parquet-wasm --------------------------------------------------------------

struct ArrowRsCase {
  std::string name;
  std::string options;             // tests/interop/arrow_rs_write.mjs's options
  std::vector<Encoding> expected;  // encodings the file must use, so that a writer change shows
  // Where DuckDB does not read the file (LZ4 in Hadoop's frames, BYTE_STREAM_SPLIT integers): the
  // options of the same table written so that it does.
  std::string duckdb_reads = {};
};

class ArrowRsWrites : public ::testing::TestWithParam<ArrowRsCase> {};

TEST_P(ArrowRsWrites, TrigmlDumpsWhatDuckDbReads) {
  if (!duckdb_available() || !parquet_wasm_available())
    GTEST_SKIP() << "DuckDB's or parquet-wasm's Node.js package is not installed (tests/interop/install)";
  const ArrowRsCase& c = GetParam();
  fs::path file = scratch("arrow-rs-" + c.name + ".parquet");
  run_checked("node " + quote((kInterop / "arrow_rs_write.mjs").string()) + " " + quote(file.string()) + " " +
              quote(c.options));
  auto encodings = chunk_encodings(file);
  for (Encoding e : c.expected) EXPECT_TRUE(uses(encodings, e)) << encoding_name(e) << " not used";
  fs::path reference = file;
  if (!c.duckdb_reads.empty()) {
    reference = scratch("arrow-rs-" + c.name + "-reference.parquet");
    run_checked("node " + quote((kInterop / "arrow_rs_write.mjs").string()) + " " +
                quote(reference.string()) + " " + quote(c.duckdb_reads));
  }
  expect_same_columns(file, {"i32", "i64", "f32", "f64", "flag", "text", "lst"}, reference);
}

const std::string kDeltas =
    R"("encodings": {"i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED", "f32": "BYTE_STREAM_SPLIT",
     "f64": "BYTE_STREAM_SPLIT", "text": "DELTA_LENGTH_BYTE_ARRAY"})";
const std::string kPrefixes =
    R"("encodings": {"i32": "BYTE_STREAM_SPLIT", "i64": "BYTE_STREAM_SPLIT", "f32": "BYTE_STREAM_SPLIT",
     "text": "DELTA_BYTE_ARRAY"})";

const std::string kDuckDbReads = R"({"version": 1, "dictionary": false})";

INSTANTIATE_TEST_SUITE_P(
    EncodingsAndCodecs, ArrowRsWrites,
    ::testing::Values(
        ArrowRsCase{"v1_plain", R"({"version": 1, "dictionary": false})", {Encoding::Plain}},
        ArrowRsCase{
            "v1_dictionary_snappy", R"({"version": 1, "compression": "SNAPPY"})", {Encoding::RleDictionary}},
        ArrowRsCase{
            "v2_dictionary_zstd", R"({"version": 2, "compression": "ZSTD"})", {Encoding::RleDictionary}},
        ArrowRsCase{"v2_defaults",
                    R"({"version": 2, "dictionary": false})",
                    {Encoding::DeltaBinaryPacked, Encoding::Rle}},
        ArrowRsCase{"v2_deltas_gzip",
                    R"({"version": 2, "dictionary": false, "compression": "GZIP", )" + kDeltas + "}",
                    {Encoding::DeltaBinaryPacked, Encoding::ByteStreamSplit, Encoding::DeltaLengthByteArray}},
        ArrowRsCase{"v1_deltas_brotli",
                    R"({"version": 1, "dictionary": false, "compression": "BROTLI", )" + kDeltas + "}",
                    {Encoding::DeltaBinaryPacked, Encoding::ByteStreamSplit, Encoding::DeltaLengthByteArray}},
        ArrowRsCase{"v2_prefixes_lz4",
                    R"({"version": 2, "dictionary": false, "compression": "LZ4", )" + kPrefixes + "}",
                    {Encoding::ByteStreamSplit, Encoding::DeltaByteArray},
                    kDuckDbReads},
        ArrowRsCase{"v1_prefixes_lz4_raw",
                    R"({"version": 1, "dictionary": false, "compression": "LZ4_RAW", )" + kPrefixes + "}",
                    {Encoding::ByteStreamSplit, Encoding::DeltaByteArray},
                    kDuckDbReads},
        ArrowRsCase{"v1_lz4_one_big_page",
                    R"({"version": 1, "compression": "LZ4", "page_bytes": 1000000,
                    "row_group_rows": 100000})",
                    {Encoding::RleDictionary},
                    kDuckDbReads}),
    [](const auto& test) { return test.param.name; });

}  // namespace

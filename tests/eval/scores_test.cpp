// scores.parquet: read back across row groups, and the errors for files that are not scores.
#include "eval/scores.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.hpp"
#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

using namespace trigml;
using namespace trigml::eval;
namespace fs = std::filesystem;
using parquet::ColumnType;

namespace {

class ScoresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("trigml-scores-test-{}-{}", ::getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// Another writer's layout (two classes, small row groups) with values that follow from the row
// number, so the reader's result can be checked row by row.
TEST_F(ScoresTest, ReadsEveryRowGroupInOrder) {
  constexpr size_t kRows = 5000;
  std::vector<int32_t> labels(kRows);
  std::vector<float> signal(kRows), background(kRows);
  std::vector<std::string> sources(kRows);
  std::vector<int64_t> entries(kRows);
  for (size_t i = 0; i < kRows; ++i) {
    labels[i] = static_cast<int32_t>(i % 2);
    signal[i] = static_cast<float>(i) / kRows;
    background[i] = 1 - signal[i];
    sources[i] = fmt::format("file-{}.root", i / 1000);
    entries[i] = static_cast<int64_t>(i % 1000);
  }
  parquet::WriterOptions options;
  options.row_group_bytes = 8192;
  {
    parquet::Writer writer(dir_ / "scores.parquet",
                           {{"label", ColumnType::Int32},
                            {"p_signal", ColumnType::Float},
                            {"p_background", ColumnType::Float},
                            {"source_file", ColumnType::String},
                            {"entry", ColumnType::Int64}},
                           options);
    // The writer ends a row group after a write that fills it: batches of 500 rows.
    for (size_t first = 0; first < kRows; first += 500) {
      std::vector<parquet::ColumnValues> v(5);
      v[0].int32s = std::span(labels).subspan(first, 500);
      v[1].floats = std::span(signal).subspan(first, 500);
      v[2].floats = std::span(background).subspan(first, 500);
      v[3].strings = std::span(sources).subspan(first, 500);
      v[4].int64s = std::span(entries).subspan(first, 500);
      writer.write(500, v);
    }
    writer.close();
  }
  ASSERT_GT(parquet::FileReader::open((dir_ / "scores.parquet").string())->row_groups(), 2u);
  Scores scores = read_scores(dir_ / "scores.parquet");
  EXPECT_EQ(scores.class_names, (std::vector<std::string>{"signal", "background"}));
  ASSERT_EQ(scores.events(), kRows);
  EXPECT_EQ(scores.labels, labels);
  EXPECT_EQ(scores.source_file, sources);
  EXPECT_EQ(scores.entry, entries);
  for (size_t i = 0; i < kRows; ++i) {
    ASSERT_EQ(scores.probabilities[2 * i], signal[i]) << i;
    ASSERT_EQ(scores.probabilities[2 * i + 1], background[i]) << i;
  }
}

TEST_F(ScoresTest, FilesThatAreNotScoresAreNamedErrors) {
  std::vector<int64_t> wide_labels = {0, 1};
  std::vector<float> p = {0.25f, 0.75f};
  std::vector<std::string> sources = {"a.root", "a.root"};
  auto write = [&](const fs::path& path, std::vector<parquet::ColumnSpec> specs) {
    parquet::Writer writer(path, specs);
    std::vector<parquet::ColumnValues> v(specs.size());
    for (size_t c = 0; c < specs.size(); ++c) {
      if (specs[c].type == ColumnType::Int64) v[c].int64s = wide_labels;
      if (specs[c].type == ColumnType::Float) v[c].floats = p;
      if (specs[c].type == ColumnType::String) v[c].strings = sources;
    }
    writer.write(2, v);
    writer.close();
  };
  write(dir_ / "int64-label.parquet", {{"label", ColumnType::Int64},
                                       {"p_qcd", ColumnType::Float},
                                       {"source_file", ColumnType::String},
                                       {"entry", ColumnType::Int64}});
  try {
    read_scores(dir_ / "int64-label.parquet");
    FAIL() << "an int64 label was accepted";
  } catch (const FormatError& e) {
    EXPECT_EQ(e.context().object, "column 'label'") << e.what();
    EXPECT_EQ(e.context().file, (dir_ / "int64-label.parquet").string());
  }
  write(dir_ / "no-probabilities.parquet", {{"label", ColumnType::Int64}, {"entry", ColumnType::Int64}});
  EXPECT_THROW(read_scores(dir_ / "no-probabilities.parquet"), NotFoundError);
}

TEST_F(ScoresTest, MismatchedSizesWriteNothing) {
  std::vector<int32_t> labels = {0, 1};
  std::vector<float> probabilities = {0.5f, 0.5f, 0.5f};  // two events of two classes need four
  std::vector<std::string> sources = {"a.root", "a.root"};
  std::vector<int64_t> entries = {0, 1};
  EXPECT_THROW(write_scores(dir_ / "scores.parquet", labels, probabilities, {"a", "b"}, sources, entries),
               UsageError);
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace

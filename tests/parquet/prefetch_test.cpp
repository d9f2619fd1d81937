// FileReader::prefetch on a source that is not in memory (as a remote one): the chunks of many
// row groups and columns come in one request, in the background if asked, and decode to the
// values of the mapped file.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/piecewise_source.hpp"
#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

using namespace trigml;
using namespace trigml::parquet;
using trigml::testing::PiecewiseSource;
namespace fs = std::filesystem;

namespace {

fs::path write_groups() {
  fs::path path = fs::temp_directory_path() / "trigml-prefetch" / "groups.parquet";
  fs::create_directories(path.parent_path());
  const uint64_t rows = 30000;
  std::vector<float> x(rows), items;
  std::vector<int64_t> entry(rows), offsets{0};
  for (uint64_t r = 0; r < rows; ++r) {
    x[r] = static_cast<float>(r) * 0.5f;
    entry[r] = static_cast<int64_t>(r * 3);
    for (uint64_t k = 0; k < r % 5; ++k) items.push_back(static_cast<float>(r + k));
    offsets.push_back(static_cast<int64_t>(items.size()));
  }
  WriterOptions options;
  options.row_group_bytes = 100000;  // several row groups
  Writer writer(path,
                {{"x", ColumnType::Float}, {"entry", ColumnType::Int64}, {"list", ColumnType::FloatList}},
                options);
  for (uint64_t first = 0; first < rows; first += 5000) {  // the writer cuts row groups between writes
    std::vector<int64_t> batch_offsets(offsets.begin() + static_cast<ptrdiff_t>(first),
                                       offsets.begin() + static_cast<ptrdiff_t>(first + 5001));
    std::vector<ColumnValues> columns(3);
    columns[0].floats = std::span(x).subspan(first, 5000);
    columns[1].int64s = std::span(entry).subspan(first, 5000);
    columns[2].floats = items;
    columns[2].offsets = batch_offsets;
    writer.write(5000, columns);
  }
  writer.close();
  return path;
}

// Decodes every chunk through `reader` and checks it against the mapped file.
void expect_values_of_mapped_file(const FileReader& reader, const fs::path& path) {
  auto mapped = FileReader::open(path.string());
  for (size_t g = 0; g < reader.row_groups(); ++g)
    for (size_t c = 0; c < reader.columns().size(); ++c) {
      ColumnData got, want;
      got.clear(reader.columns()[c]);
      want.clear(mapped->columns()[c]);
      reader.read(g, c, got);
      mapped->read(g, c, want);
      EXPECT_TRUE(got.values == want.values) << "row group " << g << " column " << c;
      EXPECT_EQ(got.offsets, want.offsets);
      EXPECT_EQ(got.rows, want.rows);
    }
}

TEST(ParquetPrefetch, ManyRowGroupsAndColumnsInOneRequest) {
  fs::path path = write_groups();
  auto piecewise = std::make_unique<PiecewiseSource>(path);
  const PiecewiseSource& source = *piecewise;
  auto reader = FileReader::open(std::move(piecewise));
  ASSERT_GE(reader->row_groups(), 3u);
  std::vector<size_t> groups, columns = {0, 1, 2};
  for (size_t g = 0; g < reader->row_groups(); ++g) groups.push_back(g);
  reader->prefetch(groups, columns);
  reader->prefetch(groups, columns);  // already held: no second request
  EXPECT_EQ(source.counts().requests, 1);
  EXPECT_EQ(source.counts().fetches.size(), groups.size() * columns.size());
  expect_values_of_mapped_file(*reader, path);
  EXPECT_EQ(source.counts().requests, 1) << "a prefetched chunk was read again";
}

TEST(ParquetPrefetch, InTheBackgroundTheNextRowGroupsArriveWhileTheFirstDecodes) {
  fs::path path = write_groups();
  auto piecewise = std::make_unique<PiecewiseSource>(path);
  const PiecewiseSource& source = *piecewise;
  auto reader = FileReader::open(std::move(piecewise));
  std::vector<size_t> columns = {0, 1, 2}, later;
  for (size_t g = 1; g < reader->row_groups(); ++g) later.push_back(g);
  reader->prefetch(later, columns, FileReader::Fetch::InBackground);
  expect_values_of_mapped_file(*reader, path);
  auto counts = source.counts();
  EXPECT_EQ(counts.requests, 1);
  EXPECT_EQ(counts.elsewhere, static_cast<int>(later.size() * columns.size()));
  EXPECT_EQ(counts.on_creating_thread, 0);
}

TEST(ParquetPrefetch, AFailedRequestIsTheErrorOfTheReadsThatNeedIt) {
  fs::path path = write_groups();
  // A source that lies about nothing but fails every vector read, as a server gone away would.
  class Failing final : public io::ByteSource {
   public:
    explicit Failing(const fs::path& file) : inner_(file) {}
    const std::string& name() const override { return inner_.name(); }
    uint64_t size() const override { return inner_.size(); }
    void read(uint64_t offset, std::span<std::byte> out) const override { inner_.read(offset, out); }
    void read_many(std::span<const io::ByteRange>, std::span<std::byte* const>) const override {
      throw IoError("server went away", {name()});
    }

   private:
    PiecewiseSource inner_;
  };
  auto reader = FileReader::open(std::make_unique<Failing>(path));
  std::vector<size_t> groups = {0, 1}, columns = {0};
  EXPECT_THROW(reader->prefetch(groups, columns), IoError);
  ColumnData data;
  data.clear(reader->columns()[0]);
  reader->read(0, 0, data);  // nothing was left registered: read on its own
  EXPECT_GT(data.rows, 0u);
  reader->prefetch(groups, columns, FileReader::Fetch::InBackground);
  data.clear(reader->columns()[0]);
  EXPECT_THROW(reader->read(1, 0, data), IoError);
}

}  // namespace

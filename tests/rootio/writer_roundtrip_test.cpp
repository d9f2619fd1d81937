// Files written by trigml's ROOT writer, read back by trigml's reader: every branch of the sample
// tree (every leaf type; scalar, fixed-size and jagged; several baskets and clusters) for every
// compression gives exactly the values that were written, and the same kind of column.
#include <gtest/gtest.h>

#include <filesystem>

#include "rootio/file.hpp"
#include "rootio/tree.hpp"
#include "rootio/writer.hpp"
#include "rootio/writer_sample.hpp"

using namespace trigml::rootio;
namespace sample_tree = trigml::rootio::testing;
namespace fs = std::filesystem;

namespace {

class WriterRoundTrip : public ::testing::TestWithParam<Compression> {};

TEST_P(WriterRoundTrip, ReaderGetsBackExactlyWhatWasWritten) {
  fs::path dir = fs::temp_directory_path() / "trigml-roundtrip";
  fs::create_directories(dir);
  fs::path path = dir / ("sample-" + std::to_string(static_cast<int>(GetParam())) + ".root");
  sample_tree::SampleTree sample = sample_tree::make_sample_tree(25000);
  WriterOptions options;
  options.compression = GetParam();
  options.cluster_entries = 4000;
  options.basket_bytes = 16 * 1024;
  {
    auto writer = FileWriter::create(path, options);
    sample_tree::write_sample_tree(writer->add_tree("Delphes", "round trip"), sample, 3333);
    writer->add_named("trigml_process", "ttbar");
    writer->close();
  }
  auto file = RootFile::open(path.string());
  auto named = file->find_key("trigml_process");
  EXPECT_EQ(named.key.class_name, "TNamed");
  EXPECT_EQ(file->read_object(named.key).record()->at("fTitle").as_string(), "ttbar");
  auto tree = Tree::open(file, "Delphes");
  ASSERT_EQ(tree->entries(), sample.entries);
  // Read in ranges that do not align with the clusters, as a reader of a part of the file would.
  std::vector<const Branch*> branches;
  for (const auto& b : sample.branches) branches.push_back(&tree->branch(b.name));
  TreeReader reader(*tree, branches, 2);
  std::vector<uint64_t> cuts = {0, 1, 3999, 4000, 9001, 25000};
  std::vector<size_t> value_position(sample.branches.size(), 0);
  for (size_t r = 0; r + 1 < cuts.size(); ++r) {
    auto& columns = reader.read(cuts[r], cuts[r + 1]);
    for (size_t i = 0; i < sample.branches.size(); ++i) {
      const auto& b = sample.branches[i];
      const Column& c = columns[i];
      SCOPED_TRACE(b.name);
      ASSERT_EQ(c.kind, Column::Kind::Numeric);
      ASSERT_EQ(c.entries, cuts[r + 1] - cuts[r]);
      EXPECT_EQ(c.offsets.size(), b.kind == sample_tree::SampleBranch::Jagged ? 1u : 0u);
      if (b.kind == sample_tree::SampleBranch::Fixed) {
        EXPECT_EQ(c.shape, std::vector<uint32_t>{b.length});
      }
      std::vector<double> expected = b.as_doubles();
      ASSERT_LE(value_position[i] + c.value_count(), expected.size());
      for (size_t k = 0; k < c.value_count(); ++k)
        ASSERT_EQ(c.number(k), expected[value_position[i] + k]) << "range " << r << " value " << k;
      if (b.kind == sample_tree::SampleBranch::Jagged) {
        for (uint64_t e = 0; e < c.entries; ++e) {
          auto [begin, end] = sample.entry_range(i, cuts[r] + e);
          ASSERT_EQ(c.offsets[0][e + 1] - c.offsets[0][e], end - begin) << "entry " << cuts[r] + e;
        }
      }
      value_position[i] += c.value_count();
    }
  }
  auto boundaries = tree->cluster_boundaries();
  EXPECT_EQ(boundaries, (std::vector<uint64_t>{0, 4000, 8000, 12000, 16000, 20000, 24000, 25000}));
}

INSTANTIATE_TEST_SUITE_P(Compressions, WriterRoundTrip,
                         ::testing::Values(Compression::None, Compression::Zlib, Compression::LZ4,
                                           Compression::ZSTD));

}  // namespace

// Branches the independent reader could not read (or read with decoding warnings), checked
// against what must be true of them.
#include <gtest/gtest.h>

#include <cmath>

#include "common/corpus.hpp"
#include "rootio/file.hpp"
#include "rootio/tree.hpp"

using namespace trigml::rootio;

namespace {

const std::string kFiles = trigml::testing::corpus_dir() + "/files/";

std::shared_ptr<Tree> open_tree(const std::string& file, const std::string& tree) {
  return Tree::open(RootFile::open(kFiles + file), tree);
}

Column read_all(const Tree& tree, const std::string& branch) {
  return tree.read(tree.branch(branch), 0, tree.entries());
}

// uproot-HZZ-objects.root stores MET as an unsplit TVector2 and the MC truth vectors as unsplit
// TVector3; uproot-HZZ.root stores the same events as flat float branches.
TEST(CorpusRelations, UnsplitTVector2AndTVector3EqualTheFlatBranches) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto objects = open_tree("uproot-HZZ-objects.root", "events");
  auto flat = open_tree("uproot-HZZ.root", "events");
  ASSERT_EQ(objects->entries(), flat->entries());
  Column met = read_all(*objects, "MET");
  Column px = read_all(*flat, "MET_px");
  Column py = read_all(*flat, "MET_py");
  ASSERT_EQ(met.kind, Column::Kind::Object);
  for (uint64_t e = 0; e < met.entries; ++e) {
    const Record* v = met.objects[e].record();
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->class_name, "TVector2");
    EXPECT_EQ(v->at("fX").as_double(), px.number(e)) << "entry " << e;
    EXPECT_EQ(v->at("fY").as_double(), py.number(e)) << "entry " << e;
  }
  // The flat file has no MC truth branches; the TVector3 members must at least decode completely
  // (the byte counts of every object are checked while reading) and be finite.
  for (const char* name : {"MC_bquarkhadronic", "MC_bquarkleptonic", "MC_wdecayb", "MC_wdecaybbar",
                           "MC_lepton", "MC_neutrino"}) {
    Column c = read_all(*objects, name);
    ASSERT_EQ(c.entries, objects->entries());
    for (const Value& v : c.objects) {
      const Record* r = v.record();
      ASSERT_NE(r, nullptr);
      EXPECT_EQ(r->class_name, "TVector3");
      for (const char* member : {"fX", "fY", "fZ"}) EXPECT_TRUE(std::isfinite(r->at(member).as_double()));
    }
  }
}

// The file was written with the values -2, -1.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1 .. 9 stored as
// Double32_t / Float16_t in [-2.71, 10] with 32, 30, 20, 10, 5 and 3 bits.
TEST(CorpusRelations, PackedFloatsFollowTheWrittenPatternWithinOneQuantisationStep) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  const std::vector<double> written = {-2, -1.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto tree = open_tree("uproot-double32-float16.root", "tree");
  ASSERT_EQ(tree->entries(), written.size());
  struct Case {
    const char* branch;
    int bits;
    bool float16;
    size_t width;
  };
  const Case cases[] = {
      {"double32_32", 32, false, 1}, {"double32_30", 30, false, 1}, {"double32_20", 20, false, 1},
      {"double32_10", 10, false, 1}, {"double32_5", 5, false, 1},   {"double32_3", 3, false, 1},
      {"float16_16", 16, true, 1},   {"float16_10", 10, true, 1},   {"float16_5", 5, true, 1},
      {"float16_3", 3, true, 1},     {"array_30", 30, false, 3},    {"array_10", 10, true, 3}};
  const double xmin = -2.71, xmax = 10;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.branch);
    Column column = read_all(*tree, c.branch);
    ASSERT_EQ(column.value_count(), written.size() * c.width);
    double levels = c.bits == 32 ? 4294967295.0 : std::ldexp(1.0, c.bits);
    double step = (xmax - xmin) / levels;
    for (size_t i = 0; i < column.value_count(); ++i) {
      double value = column.number(i);
      double expected = written[i / c.width];
      EXPECT_LE(std::fabs(value - expected), step * 1.0000001 + (c.float16 ? 1e-6 : 0)) << "value " << i;
      // Stored as an integer number of steps above xmin.
      double k = (value - xmin) / step;
      EXPECT_NEAR(k, std::round(k), c.float16 ? 2e-3 * std::max(1.0, k / 1000) : 1e-4) << "value " << i;
    }
  }
}

// The same jagged branches written once with and once without entry-offset arrays.
TEST(CorpusRelations, BasketsWithoutEntryOffsetsReadLikeBasketsWithThem) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto with = open_tree("uproot-small-dy-withoffsets.root", "tree");
  auto without = open_tree("uproot-small-dy-nooffsets.root", "tree");
  ASSERT_EQ(with->entries(), without->entries());
  size_t compared = 0;
  for (const Branch* branch : with->all_branches()) {
    Column a = read_all(*with, branch->name);
    Column b = read_all(*without, branch->name);
    EXPECT_EQ(a.offsets, b.offsets) << branch->name;
    EXPECT_EQ(a.values, b.values) << branch->name;
    ++compared;
  }
  EXPECT_EQ(compared, 8u);
}

// vector<vector<float>> with an unusual streamer record; value confirmed by uproot's own test
// suite (test_0637: entry 1, inner vector 1, item 5).
TEST(CorpusRelations, VectorOfVectorWithUnusualStreamer) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto tree = open_tree("uproot-issue519.root", "testtree");
  Column c = read_all(*tree, "testbranch");
  ASSERT_EQ(c.offsets.size(), 2u);
  uint64_t inner = c.offsets[0][1] + 1;  // entry 1, second inner vector
  uint64_t item = c.offsets[1][inner] + 5;
  EXPECT_FLOAT_EQ(c.as<float>()[item], 0.346174418926239f);
}

// Split std::bitset members: ROOT wrote zero bytes per entry, so there is nothing to read: a
// null object, or an empty list for members of a TClonesArray.
TEST(CorpusRelations, SplitBitsetsThatRootDidNotStoreReadAsEmpty) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto tree = open_tree("uproot-mc10events.root", "Events");
  Column info = read_all(*tree, "triggerBits");
  ASSERT_EQ(info.entries, tree->entries());
  for (const Value& v : info.objects) EXPECT_TRUE(v.is_null());
  for (const char* name : {"Electron.hltMatchBits", "Muon.hltMatchBits", "AK4CHS.hltMatchBits"}) {
    SCOPED_TRACE(name);
    Column c = read_all(*tree, name);
    ASSERT_EQ(c.entries, tree->entries());
    for (const Value& v : c.objects) {
      ASSERT_NE(v.list(), nullptr);
      EXPECT_TRUE(v.list()->empty());
    }
  }
}

}  // namespace

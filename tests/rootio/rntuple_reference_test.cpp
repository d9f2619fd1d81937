// The corpus's RNTuples read as JSROOT reads them: every field, every entry, value by value
// (tests/rootio/rntuple_reference/*.json, made by tests/rootio/jsroot/rntuple_makeref.sh).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/corpus.hpp"
#include "common/error.hpp"
#include "rootio/file.hpp"
#include "rootio/rntuple.hpp"

using namespace trigml;
using namespace trigml::rootio;
using json = nlohmann::ordered_json;

namespace {

const std::filesystem::path kReferences =
    std::filesystem::path(TRIGML_SOURCE_DIR) / "tests/rootio/rntuple_reference";

std::vector<std::string> reference_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kReferences))
    if (entry.path().extension() == ".json") names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

json load_reference(const std::string& name) {
  std::ifstream in(kReferences / name);
  return json::parse(in);
}

// Compares trigml's value (as `dump --json` prints it) with JSROOT's, recursively; `where` grows
// into a path such as "entry 3[1].pt". JSROOT names std::pair's members first/second where the
// format names the subfields _0/_1: records are compared member by member in order.
void expect_same(const json& ours, const json& theirs, const std::string& type, const std::string& where) {
  if (theirs.is_number()) {
    ASSERT_TRUE(ours.is_number()) << where << ": " << ours.dump() << " is not a number";
    EXPECT_EQ(ours.get<double>(), theirs.get<double>()) << where;
  } else if (theirs.is_string() || theirs.is_boolean() || theirs.is_null()) {
    EXPECT_EQ(ours, theirs) << where;
  } else if (theirs.is_array()) {
    ASSERT_TRUE(ours.is_array()) << where << ": " << ours.dump() << " is not a list";
    ASSERT_EQ(ours.size(), theirs.size()) << where;
    for (size_t i = 0; i < theirs.size(); ++i)
      expect_same(ours[i], theirs[i], type, fmt::format("{}[{}]", where, i));
  } else {
    ASSERT_TRUE(ours.is_object()) << where << ": " << ours.dump() << " is not a record";
    ASSERT_EQ(ours.size(), theirs.size()) << where << ": " << ours.dump() << " vs " << theirs.dump();
    auto mine = ours.begin();
    for (auto it = theirs.begin(); it != theirs.end(); ++it, ++mine) {
      bool pair_member =
          (it.key() == "first" && mine.key() == "_0") || (it.key() == "second" && mine.key() == "_1");
      EXPECT_TRUE(mine.key() == it.key() || pair_member)
          << where << ": member " << mine.key() << " vs " << it.key();
      expect_same(mine.value(), it.value(), type, where + "." + it.key());
    }
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param.substr(0, info.param.find(".json"));
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

class RNTupleReference : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    TRIGML_SKIP_WITHOUT_CORPUS();
    reference = load_reference(GetParam());
    std::string path =
        trigml::testing::corpus_dir() + "/files/rntuple/" + reference["file"].get<std::string>();
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    ntuple = RNTuple::open(RootFile::open(path), reference["ntuple"].get<std::string>());
  }
  json reference;
  std::shared_ptr<RNTuple> ntuple;
};

TEST_P(RNTupleReference, SchemaAndEntries) {
  EXPECT_EQ(ntuple->entries(), reference["entries"].get<uint64_t>());
  std::vector<std::string> top;
  for (uint32_t id : ntuple->top_fields()) top.push_back(ntuple->description().fields[id].name);
  EXPECT_EQ(top, reference["fields"].get<std::vector<std::string>>());
  const auto& tree = reference["field_tree"];
  ASSERT_EQ(ntuple->description().fields.size(), tree.size());
  for (const auto& field : tree) {
    const auto& ours = ntuple->description().fields[field["id"].get<uint32_t>()];
    EXPECT_EQ(ours.name, field["name"]);
    EXPECT_EQ(ours.type_name, field["type"]);
    EXPECT_EQ(ours.parent, field["parent"].get<uint32_t>());
    EXPECT_EQ(static_cast<int>(ours.role), field["role"].get<int>());
    if (field.contains("array_size")) {
      EXPECT_EQ(ours.array_size, field["array_size"].get<uint64_t>());
    }
  }
  EXPECT_TRUE(reference["errors"].empty()) << "JSROOT failed on " << reference["errors"].dump();
}

TEST_P(RNTupleReference, EveryFieldEveryEntryEqualsJsroot) {
  std::vector<uint32_t> fields;
  std::vector<std::string> names;
  for (const auto& [name, values] : reference["values"].items()) {
    fields.push_back(ntuple->field(name));
    names.push_back(name);
  }
  ASSERT_FALSE(fields.empty());
  auto columns = ntuple->read(fields, 0, ntuple->entries());
  for (size_t f = 0; f < fields.size(); ++f) {
    const json& expected = reference["values"][names[f]];
    ASSERT_EQ(columns[f].entries, expected.size()) << names[f];
    for (uint64_t e = 0; e < columns[f].entries; ++e)
      expect_same(to_json(columns[f].entry(e)), expected[e], ntuple->type_name(fields[f]),
                  fmt::format("{} entry {}", names[f], e));
  }
}

// A range that starts and ends inside the cluster reads the same values as the whole.
TEST_P(RNTupleReference, EntryRangesAreSlicesOfTheWhole) {
  uint64_t first = 1, last = ntuple->entries() - 1;
  for (const auto& [name, values] : reference["values"].items()) {
    auto column = ntuple->read({ntuple->field(name)}, first, last).front();
    ASSERT_EQ(column.entries, last - first) << name;
    for (uint64_t e = 0; e < column.entries; ++e)
      expect_same(to_json(column.entry(e)), values[first + e], "",
                  fmt::format("{} entry {}", name, first + e));
    EXPECT_EQ(ntuple->read({ntuple->field(name)}, 2, 2).front().entries, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Corpus, RNTupleReference, ::testing::ValuesIn(reference_names()), test_name);

std::shared_ptr<RNTuple> open_corpus_ntuple(const std::string& file) {
  return RNTuple::open(RootFile::open(trigml::testing::corpus_dir() + "/files/rntuple/" + file), "ntuple");
}

// Numbers, strings and collections of them become typed columns with one offsets level per
// collection (what ingest consumes); records and variants become dynamic values.
TEST(RNTupleColumns, CollectionsOfNumbersAndStringsAreColumnar) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto ntuple = open_corpus_ntuple("test_stl_containers_rntuple_v1-0-0-0.root");
  auto columns = ntuple->read({ntuple->field("vector_vector_int32"), ntuple->field("vector_string"),
                               ntuple->field("array_float"), ntuple->field("variant_int32_string")},
                              0, ntuple->entries());
  EXPECT_EQ(columns[0].kind, Column::Kind::Numeric);
  EXPECT_EQ(columns[0].type, ElementType::Int32);
  EXPECT_EQ(columns[0].offsets.size(), 2u);
  EXPECT_EQ(columns[1].kind, Column::Kind::String);
  EXPECT_EQ(columns[1].offsets.size(), 2u);  // strings per entry, then characters per string
  EXPECT_EQ(columns[2].shape, std::vector<uint32_t>{3});
  EXPECT_EQ(columns[3].kind, Column::Kind::Object);
}

// A record's member, and a member of the records in a collection, read as their own columns;
// the reference gives their values inside the whole records.
TEST(RNTupleColumns, MembersOfRecordsReadByPath) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto reference = load_reference("test_int_vfloat_tlv_vtlv_rntuple_v1-0-0-0.ntuple.json");
  auto ntuple = open_corpus_ntuple("test_int_vfloat_tlv_vtlv_rntuple_v1-0-0-0.root");
  EXPECT_EQ(ntuple->path_of(ntuple->field("four_v_LVs.eta")), "four_v_LVs._0.eta");
  auto columns =
      ntuple->read({ntuple->field("three_LV.pt"), ntuple->field("four_v_LVs.eta")}, 0, ntuple->entries());
  EXPECT_EQ(columns[0].kind, Column::Kind::Numeric);
  EXPECT_EQ(columns[1].offsets.size(), 1u);
  for (uint64_t e = 0; e < ntuple->entries(); ++e) {
    EXPECT_EQ(to_json(columns[0].entry(e)).get<double>(),
              reference["values"]["three_LV"][e]["pt"].get<double>());
    json etas = json::array();
    for (const auto& lv : reference["values"]["four_v_LVs"][e]) etas.push_back(lv["eta"]);
    expect_same(to_json(columns[1].entry(e)), etas, "", fmt::format("four_v_LVs.eta entry {}", e));
  }
  EXPECT_THROW(ntuple->field("three_LV.energy"), NotFoundError);
  EXPECT_THROW(ntuple->read({ntuple->field("one_integers")}, 0, ntuple->entries() + 1), UsageError);
}

}  // namespace

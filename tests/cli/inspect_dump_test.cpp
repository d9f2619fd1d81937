// The command-line program against the JSROOT references: `inspect --json` lists the trees and
// entry counts the reference has, `dump --json` prints the values the reference read.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/corpus.hpp"
#include "common/run_command.hpp"

using json = nlohmann::json;

namespace {

const std::string kCorpus = trigml::testing::corpus_dir();

struct Result {
  int status;
  std::string out;
};

Result run(const std::string& arguments) {
  auto r = trigml::testing::run_command(std::string(TRIGML_CLI) + " " + arguments);
  return {r.status, r.output};
}

json reference(const std::string& name) {
  std::ifstream in(kCorpus + "/reference/" + name + ".json");
  return json::parse(in);
}

TEST(Cli, InspectJsonListsTreesAndEntries) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  for (const char* name : {"uproot-HZZ-zstd", "delphes_CMScard_D3.4.2_R6.18_10ev", "uproot-issue38a"}) {
    SCOPED_TRACE(name);
    auto result = run("inspect --json " + kCorpus + "/files/" + name + ".root");
    ASSERT_EQ(result.status, 0) << result.out;
    json info = json::parse(result.out);
    json ref = reference(name);
    // JSROOT lists the streamer-info record among the keys; the file's keys list does not.
    size_t reference_keys = 0;
    for (const json& key : ref["keys"]) reference_keys += key["path"] != "StreamerInfo";
    EXPECT_EQ(info["keys"].size(), reference_keys);
    for (const json& tree_ref : ref["trees"]) {
      bool found = false;
      for (const json& tree : info["trees"]) {
        if (tree["path"] != tree_ref["path"] || tree["cycle"] != tree_ref["cycle"]) continue;
        found = true;
        EXPECT_EQ(tree["entries"], tree_ref["entries"]);
        EXPECT_EQ(tree["branches"].size(), tree_ref["n_branches_total"].get<size_t>());
      }
      EXPECT_TRUE(found) << tree_ref["path"];
    }
  }
}

// JSON has no literal for them: NaN and the infinities are the strings "nan", "inf", "-inf" in
// JSON and bare words in text, never null (which means "no value"). JSROOT reads GenParticle.y of
// entry 0 as [Infinity, -Infinity, ...] and some branches' values as NaN.
TEST(Cli, DumpPrintsNonFiniteNumbersAsWordsNotNull) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  const std::string file = kCorpus + "/files/uproot-mc10events.root";
  auto result = run("dump " + file + " Events GenParticle.y --entries 0:1 --json");
  ASSERT_EQ(result.status, 0) << result.out;
  json values = json::parse(result.out)["branches"]["GenParticle.y"][0];
  EXPECT_EQ(values[0], "inf");
  EXPECT_EQ(values[1], "-inf");
  EXPECT_TRUE(values[2].is_number());
  auto text = run("dump " + file + " Events GenParticle.y --entries 0:1");
  ASSERT_EQ(text.status, 0) << text.out;
  EXPECT_NE(text.out.find("GenParticle.y = [inf,-inf,"), std::string::npos) << text.out.substr(0, 200);
  // Where the reference's first entries hold NaN, the dump holds "nan".
  json ref = reference("uproot-mc10events");
  size_t nan_seen = 0;
  for (const auto& [branch, read] : ref["trees"][0]["values"].items()) {
    if (!read.contains("first_entries") || read["first_entries"].empty() ||
        !read["first_entries"][0].is_array())
      continue;
    const json& first = read["first_entries"][0];
    if (std::find(first.begin(), first.end(), json("NaN")) == first.end()) continue;
    auto dumped = run("dump " + file + " Events " + branch + " --entries 0:1 --json");
    ASSERT_EQ(dumped.status, 0) << dumped.out;
    const json ours = json::parse(dumped.out)["branches"][branch][0];
    ASSERT_EQ(ours.size(), first.size()) << branch;
    for (size_t i = 0; i < first.size(); ++i) {
      if (first[i] == "NaN") {
        EXPECT_EQ(ours[i], "nan") << branch << "[" << i << "]";
      }
    }
    ++nan_seen;
  }
  EXPECT_GT(nan_seen, 0u) << "the reference has no NaN any more: pick another file";
}

TEST(Cli, DumpJsonPrintsTheReferenceValues) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto result =
      run("dump --json " + kCorpus + "/files/uproot-HZZ-objects.root events jetp4 muonq --entries 0:3");
  ASSERT_EQ(result.status, 0) << result.out;
  json out = json::parse(result.out);
  EXPECT_EQ(out["tree"], "events");
  EXPECT_EQ(out["entries"], 3);
  json ref = reference("uproot-HZZ-objects")["trees"][0]["values"];
  for (const char* branch : {"jetp4", "muonq"}) {
    const json& ours = out["branches"][branch];
    const json& expected = ref[branch]["first_entries"];
    ASSERT_EQ(ours.size(), 3u);
    for (size_t e = 0; e < 3; ++e) {
      ASSERT_EQ(ours[e].size(), expected[e].size()) << branch << " entry " << e;
      for (size_t i = 0; i < ours[e].size(); ++i) {
        if (expected[e][i].is_object()) {
          EXPECT_DOUBLE_EQ(ours[e][i]["fE"].get<double>(), expected[e][i]["fE"].get<double>());
          EXPECT_DOUBLE_EQ(ours[e][i]["fP"]["fX"].get<double>(), expected[e][i]["fP"]["fX"].get<double>());
          EXPECT_DOUBLE_EQ(ours[e][i]["fP"]["fZ"].get<double>(), expected[e][i]["fP"]["fZ"].get<double>());
        } else {
          EXPECT_EQ(ours[e][i], expected[e][i]);
        }
      }
    }
  }
}

// An RNTuple: inspect lists its fields with their types, dump prints fields as it prints
// branches ("ntuple" and "fields" in place of "tree" and "branches"), equal to JSROOT's values.
TEST(Cli, InspectAndDumpAnRNTuple) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  const std::string file = kCorpus + "/files/rntuple/test_stl_containers_rntuple_v1-0-0-0.root";
  std::ifstream in(std::string(TRIGML_SOURCE_DIR) +
                   "/tests/rootio/rntuple_reference/test_stl_containers_rntuple_v1-0-0-0.ntuple.json");
  json ref = json::parse(in);
  auto inspected = run("inspect --json " + file);
  ASSERT_EQ(inspected.status, 0) << inspected.out;
  const json info = json::parse(inspected.out);
  const json& ntuple = info["ntuples"].at(0);
  EXPECT_EQ(ntuple["path"], "ntuple");
  EXPECT_EQ(ntuple["entries"], ref["entries"]);
  ASSERT_EQ(ntuple["fields"].size(), ref["field_tree"].size());
  EXPECT_EQ(ntuple["fields"][5]["path"], "vector_vector_int32");
  EXPECT_EQ(ntuple["fields"][5]["type"], ref["field_tree"][5]["type"]);
  EXPECT_EQ(ntuple["fields"][7]["path"], "vector_vector_int32._0._0");

  auto dumped =
      run("dump --json " + file + " ntuple string vector_vector_string variant_int32_string --entries 1:4");
  ASSERT_EQ(dumped.status, 0) << dumped.out;
  json out = json::parse(dumped.out);
  EXPECT_EQ(out["ntuple"], "ntuple");
  EXPECT_EQ(out["entries"], 3);
  for (const char* field : {"string", "vector_vector_string", "variant_int32_string"}) {
    for (size_t e = 0; e < 3; ++e)
      EXPECT_EQ(out["fields"][field][e], ref["values"][field][1 + e]) << field << e;
  }

  auto missing = run("dump " + file + " ntuple vector_int64");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("no field 'vector_int64'"), std::string::npos) << missing.out;
}

TEST(Cli, DumpRangeTakesNegativeAndOpenEnds) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto result = run("dump --json " + kCorpus + "/files/uproot-foriter.root foriter data --entries -3:");
  ASSERT_EQ(result.status, 0) << result.out;
  json out = json::parse(result.out);
  EXPECT_EQ(out["entries"], 3);
  EXPECT_EQ(out["branches"]["data"], json({43, 44, 45}));
}

TEST(Cli, ErrorsNameWhatWasWrongAndExitNonZero) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  auto missing_branch = run("dump " + kCorpus + "/files/uproot-HZZ.root events Jet_Pxx");
  EXPECT_EQ(missing_branch.status, 1);
  EXPECT_NE(missing_branch.out.find("no branch 'Jet_Pxx'"), std::string::npos) << missing_branch.out;
  EXPECT_NE(missing_branch.out.find("Jet_Px"), std::string::npos)
      << "suggests near names: " << missing_branch.out;
  auto missing_tree = run("dump " + kCorpus + "/files/uproot-HZZ.root nosuchtree x");
  EXPECT_EQ(missing_tree.status, 1);
  EXPECT_NE(missing_tree.out.find("no key 'nosuchtree'"), std::string::npos) << missing_tree.out;
  auto missing_file = run("inspect /nonexistent/file.root");
  EXPECT_EQ(missing_file.status, 1);
  EXPECT_NE(missing_file.out.find("/nonexistent/file.root"), std::string::npos) << missing_file.out;
  auto bad_range = run("dump " + kCorpus + "/files/uproot-foriter.root foriter data --entries 5:2");
  EXPECT_EQ(bad_range.status, 2);
  EXPECT_NE(bad_range.out.find("reversed"), std::string::npos) << bad_range.out;
  auto not_root = run("inspect " + std::string(TRIGML_SOURCE_DIR) + "/README.md");
  EXPECT_EQ(not_root.status, 1);
  EXPECT_NE(not_root.out.find("not a ROOT file"), std::string::npos) << not_root.out;
}

}  // namespace

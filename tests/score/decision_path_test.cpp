// The decision path (score::Decider) against ingest → prepare → evaluate: the same events get
// the same probabilities, bit for bit, from the raw file's columns and from in-memory copies.
#include <gtest/gtest.h>

#include <map>

#include "eval/scores.hpp"
#include "ingest/event_reader.hpp"
#include "ingest/schema.hpp"
#include "physics/event.hpp"
#include "score/decider.hpp"
#include "score/model_fixture.hpp"

namespace trigml {
namespace {

TEST(DecisionPath, EqualsIngestPrepareEvaluate) {
  const auto dir = testing::scored_model();
  const auto evaluated = eval::read_scores(dir / "evaluated" / "scores.parquet");
  ASSERT_GT(evaluated.events(), 20u);
  ASSERT_EQ(evaluated.class_names, std::vector<std::string>({"qcd", "ttbar", "wjets"}));
  std::map<std::pair<std::string, int64_t>, size_t> row_of;
  // By file name: the fixture was made under a temporary name (its paths as recorded by ingest).
  for (size_t i = 0; i < evaluated.events(); ++i)
    row_of[{std::filesystem::path(evaluated.source_file[i]).filename().string(), evaluated.entry[i]}] = i;

  score::Decider decider(train::read_model_directory(dir / "model"),
                         score::AcceptRule::parse(score::kDefaultAcceptRule));
  size_t compared = 0;
  for (const char* process : {"ttbar", "wjets", "qcd"}) {
    const std::string file = (dir / (std::string(process) + ".root")).string();
    ingest::EventReader reader(file, ingest::delphes_schema());
    reader.load(0, reader.entries());
    std::vector<physics::EventInput> columns(reader.entries());
    std::vector<physics::Event> copies(reader.entries());
    std::vector<physics::EventInput> in_memory(reader.entries());
    for (uint64_t e = 0; e < reader.entries(); ++e) {
      reader.event(e, columns[e]);
      copies[e].assign(columns[e]);
      in_memory[e] = copies[e].view();
    }
    std::vector<score::Decision> from_columns(columns.size()), from_memory(columns.size());
    decider.decide(columns, true, from_columns);
    // In batches of 7, so that the batch a selected event is scored with differs too.
    for (size_t first = 0; first < in_memory.size(); first += 7) {
      const size_t n = std::min<size_t>(7, in_memory.size() - first);
      decider.decide(std::span(in_memory).subspan(first, n), true, std::span(from_memory).subspan(first, n));
    }
    for (size_t e = 0; e < columns.size(); ++e) {
      ASSERT_EQ(from_columns[e].rejection, from_memory[e].rejection) << file << ":" << e;
      EXPECT_EQ(from_columns[e].probabilities, from_memory[e].probabilities) << file << ":" << e;
      auto it = row_of.find({std::string(process) + ".root", static_cast<int64_t>(e)});
      if (it == row_of.end()) continue;  // not in the test split (or not selected)
      ASSERT_TRUE(from_columns[e].selected()) << "evaluate scored an event the selection rejects: " << e;
      for (size_t k = 0; k < 3; ++k)
        EXPECT_EQ(from_columns[e].probabilities[k], evaluated.probabilities[it->second * 3 + k])
            << file << ":" << e << " class " << k;
      ++compared;
    }
  }
  EXPECT_EQ(compared, evaluated.events());
}

TEST(AcceptRule, ParsesAndDecides) {
  auto rule = score::AcceptRule::parse("ttbar+wjets>0.9");
  std::array<float, 3> p{0.05f, 0.5f, 0.45f};
  EXPECT_TRUE(rule.accepts(p));  // 0.95 > 0.9
  EXPECT_FALSE(rule.accepts(std::array<float, 3>{0.2f, 0.5f, 0.3f}));
  EXPECT_TRUE(score::AcceptRule::parse("qcd>=0.25").accepts(std::array<float, 3>{0.25f, 0.5f, 0.25f}));
  EXPECT_FALSE(score::AcceptRule::parse("qcd>0.25").accepts(std::array<float, 3>{0.25f, 0.5f, 0.25f}));
  for (const char* bad : {"ttbar", "top>0.5", "ttbar+ttbar>0.5", "ttbar>x", "ttbar>0.5x", ">0.5", "ttbar+>1"})
    EXPECT_THROW(score::AcceptRule::parse(bad), UsageError) << bad;
}

}  // namespace
}  // namespace trigml

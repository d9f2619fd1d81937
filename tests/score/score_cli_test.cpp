// `trigml score` on raw files, its Parquet output read by DuckDB: one row per event in input order,
// probabilities null exactly when the event is not selected, equal to evaluate's for the test split,
// and accept following the rule.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/run_command.hpp"
#include "interop/peers.hpp"
#include "score/model_fixture.hpp"

namespace trigml {
namespace {

nlohmann::json duckdb(const std::string& sql) {
  auto r = testing::run_command("node " + (testing::kInterop / "duckdb_query.mjs").string() + " " +
                                testing::quote(sql));
  EXPECT_EQ(r.status, 0) << r.output;
  return nlohmann::json::parse(r.output);
}

TEST(ScoreCli, DuckDbReadsTheDecisions) {
  if (!testing::duckdb_available()) GTEST_SKIP() << "DuckDB (tests/interop/install) is not installed";
  const auto dir = testing::scored_model();
  const auto out = testing::train_work_dir() / "scores.parquet";
  const std::string d = dir.string();
  auto r = testing::run_command(std::string(TRIGML_CLI) + " score " + d + "/model " + d + "/ttbar.root " + d +
                                "/wjets.root " + d + "/qcd.root --threads 2 --batch-size 100 --accept " +
                                testing::quote("ttbar+wjets>0.9") + " --out " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string file = testing::quote(out.string());

  // Every entry of every input once, the inputs in command-line order, entries ascending.
  auto order = duckdb(
      "select source_file, min(entry) lo, max(entry) hi, count(*) n, min(row) first_row from "
      "(select *, row_number() over () - 1 as row from " +
      file + ") group by source_file order by first_row");
  ASSERT_EQ(order.size(), 3u);
  const char* processes[] = {"ttbar", "wjets", "qcd"};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(order[i]["source_file"], d + "/" + processes[i] + ".root");
    EXPECT_EQ(order[i]["lo"], "0");
    EXPECT_EQ(order[i]["hi"], "299");
    EXPECT_EQ(order[i]["n"], "300");
    EXPECT_EQ(order[i]["first_row"], std::to_string(300 * i));
  }
  // Nulls exactly where the event is not selected; probabilities sum to 1; accept is the rule.
  auto checks = duckdb(
      "select count(*) n, sum(selected::int) selected, "
      "sum(((p_qcd is null) = (not selected) and (p_ttbar is null) = (not selected) and "
      "(p_wjets is null) = (not selected))::int) nulls_right, "
      "sum((selected and abs(p_qcd::double + p_ttbar + p_wjets - 1) < 1e-6)::int) normalised, "
      "sum((accept = coalesce(p_ttbar::double + p_wjets::double > 0.9, false))::int) rule_right, "
      "sum(accept::int) accepted from " +
      file);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0]["n"], "900");
  EXPECT_EQ(checks[0]["nulls_right"], "900");
  EXPECT_EQ(checks[0]["rule_right"], "900");
  EXPECT_EQ(checks[0]["normalised"], checks[0]["selected"]);
  EXPECT_GT(std::stoi(checks[0]["selected"].get<std::string>()), 50);
  // The test split's events, as evaluate scored them, have the same probabilities (bit for bit); by
  // file name, since the fixture was made under a temporary name.
  auto joined = duckdb(
      "select count(*) n, sum((e.p_qcd = s.p_qcd and e.p_ttbar = s.p_ttbar and e.p_wjets = s.p_wjets)::int) "
      "same from (select *, parse_filename(source_file) as file_name from " +
      testing::quote(d + "/evaluated/scores.parquet") +
      ") e join (select *, parse_filename(source_file) as file_name from " + file +
      ") s using (file_name, entry)");
  auto evaluated = duckdb("select count(*) n from " + testing::quote(d + "/evaluated/scores.parquet"));
  EXPECT_EQ(joined[0]["n"], evaluated[0]["n"]);
  EXPECT_EQ(joined[0]["same"], evaluated[0]["n"]);
}

TEST(ScoreCli, BadAcceptRuleIsAUsageError) {
  const auto dir = testing::scored_model();
  auto r = testing::run_command(std::string(TRIGML_CLI) + " score " + dir.string() + "/model " +
                                dir.string() + "/ttbar.root --accept 'top>0.5' --out /tmp/never.parquet");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("'top' is not a class"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace trigml

// trigml broker / produce / serve on loopback: at least once across a kill -9 of serve, decisions
// equal `trigml score`'s rows, bad messages in the dead-letter topic with their reasons, and a
// client that is not librdkafka (kafkajs) producing events and reading decisions.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/run_command.hpp"
#include "interop/peers.hpp"
#include "score/model_fixture.hpp"
#include "serve/child.hpp"

namespace trigml {
namespace {

using namespace std::chrono_literals;
const std::string kCli = TRIGML_CLI;

bool kafkajs_available() {
  return std::filesystem::exists(testing::kInterop / "node_modules" / "kafkajs");
}

// kafka_client.mjs consume: the messages of `topic` (from its beginning) until `keys` distinct keys.
std::vector<nlohmann::json> consume(const std::string& broker, const std::string& topic, size_t keys,
                                    int timeout_ms = 60000) {
  auto r = testing::run_command("node " + (testing::kInterop / "kafka_client.mjs").string() + " consume " +
                                broker + " " + topic + " " + std::to_string(keys) + " " +
                                std::to_string(timeout_ms));
  EXPECT_EQ(r.status, 0) << r.output;
  std::vector<nlohmann::json> out;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("{")) out.push_back(nlohmann::json::parse(line));
  return out;
}

void produce_with_kafkajs(const std::string& broker, const std::string& topic,
                          const std::vector<nlohmann::json>& messages, const std::filesystem::path& file) {
  std::ofstream out(file);
  for (const auto& m : messages) out << m.dump() << "\n";
  out.close();
  auto r = testing::run_command("node " + (testing::kInterop / "kafka_client.mjs").string() + " produce " +
                                broker + " " + topic + " " + file.string());
  ASSERT_EQ(r.status, 0) << r.output;
}

// DuckDB: how many decisions (a JSON-lines file of decision values) disagree with score's rows.
std::string disagreements(const std::filesystem::path& decisions, const std::filesystem::path& scores) {
  const std::string sql =
      "select count(*) n, sum((s.selected = d.selected and s.accept = d.accept and "
      "((not s.selected and d.probabilities is null) or (s.p_qcd::double = d.probabilities.qcd and "
      "s.p_ttbar::double = d.probabilities.ttbar and s.p_wjets::double = d.probabilities.wjets)))::int) same "
      "from read_json(" +
      testing::quote(decisions.string()) +
      ", columns = {event_id: 'varchar', selected: 'boolean', accept: 'boolean', model: 'varchar', "
      "probabilities: 'struct(qcd double, ttbar double, wjets double)'}) d join " +
      testing::quote(scores.string()) + " s on d.event_id = s.source_file || ':' || s.entry";
  auto r = testing::run_command("node " + (testing::kInterop / "duckdb_query.mjs").string() + " " +
                                testing::quote(sql));
  EXPECT_EQ(r.status, 0) << r.output;
  return r.output;
}

class Serve : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kafkajs_available() || !testing::duckdb_available())
      GTEST_SKIP() << "kafkajs and DuckDB (tests/interop/install) are not installed";
    dir_ = testing::scored_model();
    work_ = testing::train_work_dir();
    scores_ = work_ / "scores.parquet";
    auto r = testing::run_command(kCli + " score " + model() + " " + inputs() + " --out " + scores_.string());
    ASSERT_EQ(r.status, 0) << r.output;
  }
  std::string model() const { return (dir_ / "model").string(); }
  std::string inputs() const {
    return (dir_ / "ttbar.root").string() + " " + (dir_ / "wjets.root").string() + " " +
           (dir_ / "qcd.root").string();
  }
  std::filesystem::path dir_, work_, scores_;
};

TEST_F(Serve, AtLeastOnceAcrossKillAndEqualToScore) {
  testing::Child broker(kCli + " broker", (work_ / "broker.log").string());
  const std::string bootstrap = broker.line_starting("bootstrap: ", 20s);
  ASSERT_TRUE(bootstrap.starts_with("127.0.0.1:")) << bootstrap;
  // Slow enough that serve is killed while events are still arriving (10 s). Two of the inputs: the
  // embedded broker keeps only the last few MB of each partition, and the restarted serve is let
  // into the group only once the killed one's session has expired (6 s).
  const std::string two_inputs = (dir_ / "ttbar.root").string() + " " + (dir_ / "wjets.root").string();
  testing::Child producer(
      kCli + " produce " + two_inputs + " --brokers " + bootstrap + " --topic events --rate 60",
      (work_ / "produce.log").string());
  const std::string serve_command =
      kCli + " serve " + model() + " --brokers " + bootstrap + " --batch-size 16";
  {
    testing::Child serve(serve_command, (work_ / "serve1.log").string());
    ASSERT_GE(consume(bootstrap, "decisions", 100).size(), 100u);
    serve.signal(SIGKILL);
    EXPECT_EQ(serve.wait(10s), 128 + SIGKILL);
  }
  testing::Child serve(serve_command, (work_ / "serve2.log").string());
  EXPECT_EQ(producer.wait(60s), 0);
  const auto decisions = consume(bootstrap, "decisions", 600, 120000);
  serve.signal(SIGTERM);  // drains and commits
  EXPECT_EQ(serve.wait(30s), 0) << testing::file_contents(work_ / "serve2.log");

  std::map<std::string, int> per_event;
  std::ofstream lines(work_ / "decisions.jsonl");
  for (const auto& m : decisions) {
    const auto value = nlohmann::json::parse(m["value"].get<std::string>());
    EXPECT_EQ(m["key"], value["event_id"]);
    ++per_event[value["event_id"].get<std::string>()];
    lines << value.dump() << "\n";
  }
  lines.close();
  ASSERT_EQ(per_event.size(), 600u);  // every produced event decided
  for (const char* process : {"ttbar", "wjets"})
    for (int e = 0; e < 300; ++e)
      EXPECT_GE(per_event[(dir_ / process).string() + ".root:" + std::to_string(e)], 1)
          << process << " " << e;
  // Every decision (duplicates included) equals score's row for its event.
  const auto result = nlohmann::json::parse(disagreements(work_ / "decisions.jsonl", scores_));
  EXPECT_EQ(result[0]["n"], std::to_string(decisions.size()));
  EXPECT_EQ(result[0]["same"], std::to_string(decisions.size()));
}

TEST_F(Serve, EmbeddedBrokerDeadLettersAndKafkaJs) {
  // No --brokers: serve starts its own broker and prints where it is.
  testing::Child serve(kCli + " serve " + model() + " --max-wait-ms 2", (work_ / "serve.log").string());
  const std::string bootstrap = serve.line_starting("bootstrap: ", 20s);
  ASSERT_TRUE(bootstrap.starts_with("127.0.0.1:")) << bootstrap;

  // Real events, as trigml produce writes them, taken by kafkajs from another topic.
  auto r = testing::run_command(kCli + " produce " + (dir_ / "ttbar.root").string() + " --brokers " +
                                bootstrap + " --topic replay");
  ASSERT_EQ(r.status, 0) << r.output;
  auto replayed = consume(bootstrap, "replay", 300);
  ASSERT_EQ(replayed.size(), 300u);
  std::vector<nlohmann::json> messages;
  for (size_t i = 0; i < 40; ++i)
    messages.push_back({{"key", replayed[i]["key"]}, {"value", replayed[i]["value"]}});
  // One of each kind of bad message, and an event that fails the selection (no lepton).
  auto event = nlohmann::json::parse(replayed[0]["value"].get<std::string>());
  auto no_lepton = event;
  no_lepton["event_id"] = "no-lepton";
  for (const char* c : {"Electron", "MuonTight"})
    for (auto& [member, values] : no_lepton[c].items()) values = nlohmann::json::array();
  auto missing = event;
  missing["event_id"] = "missing";
  missing["Jet"].erase("BTag");
  auto not_a_number = event;
  not_a_number["event_id"] = "nan";
  not_a_number["MissingET"]["MET"] = "NaN";
  messages.push_back({{"key", "no-lepton"}, {"value", no_lepton.dump()}});
  messages.push_back({{"key", "bad-json"}, {"value", "{\"event_id\": \"bad-json\", \"Electron\": [1, 2"}});
  messages.push_back({{"key", "missing"}, {"value", missing.dump()}});
  messages.push_back({{"key", "nan"}, {"value", not_a_number.dump()}});
  produce_with_kafkajs(bootstrap, "events", messages, work_ / "messages.jsonl");

  const auto decisions = consume(bootstrap, "decisions", 41);
  std::ofstream lines(work_ / "decisions.jsonl");
  std::set<std::string> ids;
  for (const auto& m : decisions) {
    const auto value = nlohmann::json::parse(m["value"].get<std::string>());
    ids.insert(value["event_id"]);
    if (value["event_id"] == "no-lepton") {
      EXPECT_EQ(value["selected"], false);
      EXPECT_TRUE(value["probabilities"].is_null());
      EXPECT_EQ(value["accept"], false);
      continue;
    }
    lines << value.dump() << "\n";
    EXPECT_TRUE(value["model"].get<std::string>().starts_with("inclusive-"));
  }
  lines.close();
  EXPECT_EQ(ids.size(), 41u);
  EXPECT_EQ(ids.count("bad-json") + ids.count("missing") + ids.count("nan"), 0u);
  const auto result = nlohmann::json::parse(disagreements(work_ / "decisions.jsonl", scores_));
  EXPECT_EQ(result[0]["same"], result[0]["n"]);
  EXPECT_GE(std::stoi(result[0]["n"].get<std::string>()), 40);

  std::map<std::string, nlohmann::json> dead;
  for (const auto& m : consume(bootstrap, "events.dlq", 3)) dead[m["key"]] = m["headers"];
  ASSERT_EQ(dead.size(), 3u);
  EXPECT_EQ(dead["bad-json"]["trigml.kind"], "invalid_json");
  EXPECT_NE(dead["bad-json"]["trigml.reason"].get<std::string>().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(dead["missing"]["trigml.kind"], "missing_field");
  EXPECT_EQ(dead["missing"]["trigml.reason"], "missing field 'Jet.BTag'");
  EXPECT_EQ(dead["nan"]["trigml.kind"], "not_a_number");
  EXPECT_EQ(dead["nan"]["trigml.reason"], "'MissingET.MET' is string, not a number");
  EXPECT_TRUE(dead["nan"]["trigml.source"].get<std::string>().starts_with("events/"));

  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(30s), 0);
  const std::string log = testing::file_contents(work_ / "serve.log");
  EXPECT_NE(log.find("1 invalid JSON, 1 missing field, 1 not a number"), std::string::npos) << log;
}

}  // namespace
}  // namespace trigml

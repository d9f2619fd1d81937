// trigml broker / produce / serve on loopback: at least once across a kill -9 of serve, decisions
// equal `trigml score`'s rows, bad messages in the dead-letter topic with their reasons, and a
// client that is not librdkafka (kafkajs) producing events and reading decisions.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

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

// The metrics of `url` (Prometheus text, fetched with curl) as name{labels} -> value; empty if the
// request failed.
std::map<std::string, double> scrape(const std::string& url) {
  auto r = testing::run_command("curl -sS --fail --max-time 10 " + url);
  std::map<std::string, double> metrics;
  if (r.status != 0) return metrics;
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.starts_with("#")) continue;
    const size_t space = line.rfind(' ');
    metrics[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return metrics;
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

// A broker that goes away (trigml broker takes itself down on SIGUSR1) is waited for: no decision
// is made while it is away, and once it is back every event is decided, none lost.
TEST_F(Serve, WaitsForABrokerThatGoesAway) {
  testing::Child broker(kCli + " broker", (work_ / "broker.log").string());
  const std::string bootstrap = broker.line_starting("bootstrap: ", 20s);
  ASSERT_TRUE(bootstrap.starts_with("127.0.0.1:")) << bootstrap;
  testing::Child serve(kCli + " serve " + model() + " --brokers " + bootstrap + " --metrics-port 0",
                       (work_ / "serve.log").string());
  const std::string metrics_url = serve.line_starting("metrics: ", 20s);
  ASSERT_FALSE(metrics_url.empty());
  // Slow enough that the outage's backlog (about 90 events) stays within what the embedded broker
  // keeps of a partition.
  testing::Child producer(kCli + " produce " + (dir_ / "ttbar.root").string() + " --brokers " + bootstrap +
                              " --topic events --rate 30",
                          (work_ / "produce.log").string());
  const auto decided = [&] { return scrape(metrics_url)["trigml_serve_decisions_out_total"]; };
  for (int attempt = 0; attempt < 300 && decided() < 30; ++attempt) std::this_thread::sleep_for(100ms);
  ASSERT_GE(decided(), 30);

  broker.signal(SIGUSR1);
  ASSERT_EQ(broker.line_starting("broker: ", 10s), "down");
  std::this_thread::sleep_for(1s);  // a batch already acknowledged may still be committed
  const double before = decided();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(decided(), before) << "decisions while the broker was down";
  EXPECT_LT(before, 300);
  broker.signal(SIGUSR2);
  ASSERT_EQ(broker.line_starting("broker: ", 10s), "up");

  EXPECT_EQ(producer.wait(120s), 0) << testing::file_contents(work_ / "produce.log");
  std::set<std::string> ids;
  for (const auto& m : consume(bootstrap, "decisions", 300, 120000)) ids.insert(m["key"].get<std::string>());
  EXPECT_EQ(ids.size(), 300u);
  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(30s), 0) << testing::file_contents(work_ / "serve.log");
}

TEST_F(Serve, EmbeddedBrokerDeadLettersAndKafkaJs) {
  // No --brokers: serve starts its own broker and prints where it is.
  testing::Child serve(kCli + " serve " + model() + " --max-wait-ms 2 --metrics-port 0",
                       (work_ / "serve.log").string());
  const std::string bootstrap = serve.line_starting("bootstrap: ", 20s);
  ASSERT_TRUE(bootstrap.starts_with("127.0.0.1:")) << bootstrap;
  const std::string metrics_url = serve.line_starting("metrics: ", 20s);
  ASSERT_TRUE(metrics_url.starts_with("http://127.0.0.1:")) << metrics_url;

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
  messages.push_back(
      {{"key", "bad-protobuf"},
       {"value", "not a protobuf message"},
       {"headers", {{"content-type", "application/x-protobuf; messageType=trigml.serve.v1.Event"}}}});
  produce_with_kafkajs(bootstrap, "events", messages, work_ / "messages.jsonl");
  // And the binary form: the W+jets events as protobuf messages (paced: the embedded broker keeps only
  // the last few MB of a partition).
  r = testing::run_command(kCli + " produce " + (dir_ / "wjets.root").string() + " --brokers " + bootstrap +
                           " --topic events --format protobuf --rate 300");
  ASSERT_EQ(r.status, 0) << r.output;

  const auto decisions = consume(bootstrap, "decisions", 341);
  std::ofstream lines(work_ / "decisions.jsonl");
  std::set<std::string> ids;
  size_t not_selected = 0;
  for (const auto& m : decisions) {
    const auto value = nlohmann::json::parse(m["value"].get<std::string>());
    ids.insert(value["event_id"]);
    not_selected += value["selected"] == false;
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
  EXPECT_EQ(ids.size(), 341u);
  EXPECT_EQ(ids.count("bad-json") + ids.count("missing") + ids.count("nan") + ids.count("bad-protobuf"), 0u);
  const auto result = nlohmann::json::parse(disagreements(work_ / "decisions.jsonl", scores_));
  EXPECT_EQ(result[0]["same"], result[0]["n"]);
  EXPECT_GE(std::stoi(result[0]["n"].get<std::string>()), 340);

  std::map<std::string, nlohmann::json> dead;
  for (const auto& m : consume(bootstrap, "events.dlq", 4)) dead[m["key"]] = m["headers"];
  ASSERT_EQ(dead.size(), 4u);
  EXPECT_EQ(dead["bad-protobuf"]["trigml.kind"], "invalid_protobuf");
  EXPECT_EQ(dead["bad-protobuf"]["trigml.reason"], "not a protobuf trigml.serve.v1.Event (22 bytes)");
  EXPECT_EQ(dead["bad-json"]["trigml.kind"], "invalid_json");
  EXPECT_NE(dead["bad-json"]["trigml.reason"].get<std::string>().find("invalid JSON"), std::string::npos);
  EXPECT_EQ(dead["missing"]["trigml.kind"], "missing_field");
  EXPECT_EQ(dead["missing"]["trigml.reason"], "missing field 'Jet.BTag'");
  EXPECT_EQ(dead["nan"]["trigml.kind"], "not_a_number");
  EXPECT_EQ(dead["nan"]["trigml.reason"], "'MissingET.MET' is string, not a number");
  EXPECT_TRUE(dead["nan"]["trigml.source"].get<std::string>().starts_with("events/"));

  // The metrics count what the topics hold (the counters move once a batch is committed, just after
  // its decisions are readable, and the lag is measured every half second).
  std::map<std::string, double> metrics;
  for (int attempt = 0; attempt < 100; ++attempt) {
    metrics = scrape(metrics_url);
    if (metrics["trigml_serve_decisions_out_total"] == 341 && metrics["trigml_serve_consumer_lag"] == 0)
      break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(metrics["trigml_serve_events_in_total"], 345);
  EXPECT_EQ(metrics["trigml_serve_decisions_out_total"], 341);
  EXPECT_EQ(metrics["trigml_serve_not_selected_total"], static_cast<double>(not_selected));
  EXPECT_GE(not_selected, 1u);  // no-lepton
  for (const char* kind : {"invalid_json", "missing_field", "not_a_number", "invalid_protobuf"})
    EXPECT_EQ(metrics[fmt::format("trigml_serve_dead_letters_total{{kind=\"{}\"}}", kind)], 1) << kind;
  EXPECT_EQ(metrics["trigml_serve_consumer_lag"], 0);
  EXPECT_EQ(metrics["trigml_serve_batch_size_sum"], 345);
  EXPECT_EQ(metrics["trigml_serve_batch_size_bucket{le=\"+Inf\"}"], metrics["trigml_serve_batch_size_count"]);
  EXPECT_EQ(metrics["trigml_serve_latency_seconds_count"], 345);
  EXPECT_EQ(metrics["trigml_serve_latency_seconds_bucket{le=\"+Inf\"}"], 345);
  EXPECT_LE(metrics["trigml_serve_latency_seconds_bucket{le=\"0.001\"}"],
            metrics["trigml_serve_latency_seconds_bucket{le=\"5\"}"]);
  EXPECT_GT(metrics["trigml_serve_latency_seconds_sum"], 0);
  // Anything but GET /metrics is refused.
  auto other = testing::run_command("curl -s -o /dev/null -w '%{http_code}' --max-time 10 " +
                                    metrics_url.substr(0, metrics_url.rfind('/')) + "/other");
  EXPECT_EQ(other.output, "404");

  serve.signal(SIGTERM);
  EXPECT_EQ(serve.wait(30s), 0);
  const std::string log = testing::file_contents(work_ / "serve.log");
  EXPECT_NE(log.find("1 invalid JSON, 1 missing field, 1 not a number, 1 invalid protobuf"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace trigml

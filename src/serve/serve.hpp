// `trigml broker`, `trigml produce` and `trigml serve`: raw events through Kafka to decisions
// (docs/serve.md). At least once: a batch's offsets are committed only after its decisions and
// dead letters are acknowledged by the broker, so a killed serve repeats, never loses, events.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace trigml::serve {

// Runs the embedded broker until SIGTERM or SIGINT, after printing "bootstrap: 127.0.0.1:PORT".
// SIGUSR1 takes it down (connections dropped and refused) and SIGUSR2 brings it back, each printing
// "broker: down" or "broker: up": an outage to rehearse against.
void run_broker();

struct ProduceOptions {
  std::vector<std::string> inputs;  // ROOT files, globs, directories, @lists or URLs
  std::string brokers;
  std::string topic = "events";
  double rate = 0;  // events per second; 0: as fast as possible
  std::string schema = "delphes";
  std::string format = "json";  // or "protobuf" (event.proto)
};
// Replays every entry of the inputs as an event message keyed by its id "PATH:ENTRY". Returns the
// number of events produced (all acknowledged).
uint64_t run_produce(const ProduceOptions& options);

struct ServeOptions {
  std::filesystem::path model;
  std::string brokers;  // empty: start the embedded broker and print its bootstrap line
  std::string input_topic = "events";
  std::string output_topic = "decisions";
  std::string dead_letter_topic = "events.dlq";
  std::string group = "trigml-serve";
  std::string accept;  // empty: score::kDefaultAcceptRule
  size_t batch_size = 256;
  double max_wait_ms = 5;  // a batch is sent when full or this long after its first event
  int metrics_port = -1;   // ≥ 0: Prometheus metrics on 127.0.0.1:port (0: a free port, printed)
};

// Latencies from a message's timestamp to the acknowledgement of its decision, in 0.1 ms bins up to
// 10 s (the last bin holds everything slower).
struct LatencyHistogram {
  static constexpr size_t kBins = 100000;
  static constexpr double kBinMs = 0.1;
  std::vector<uint64_t> counts = std::vector<uint64_t>(kBins);
  uint64_t total = 0;
  double sum_ms = 0;
  void add(double milliseconds);
  uint64_t count_up_to(double milliseconds) const;  // latencies in bins whose upper edge is ≤ this
  double quantile(double q) const;                  // the upper edge of the bin holding quantile q, in ms
};

struct ServeCounters {
  uint64_t events_in = 0, decisions_out = 0, not_selected = 0, batches = 0;
  uint64_t invalid_json = 0, missing_field = 0, not_a_number = 0, invalid_protobuf = 0;
  double busy_seconds = 0;  // from a batch's first message to its commit, summed
  LatencyHistogram latency;
  std::vector<uint64_t> batch_sizes;  // [n]: batches of n messages
  int64_t consumer_lag = 0;           // messages in the assigned partitions not yet read
};
// The counters in Prometheus's text exposition format (docs/serve.md, "Metrics").
std::string prometheus_text(const ServeCounters& counters);
// Serves until SIGTERM or SIGINT: drains the batch in hand, commits and returns.
ServeCounters run_serve(const ServeOptions& options);

}  // namespace trigml::serve

#include "serve/serve.hpp"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "common/error.hpp"
#include "ingest/event_reader.hpp"
#include "ingest/ingest.hpp"
#include "io/url.hpp"
#include "physics/event.hpp"
#include "score/decider.hpp"
#include "serve/event_format.hpp"
#include "serve/kafka.hpp"
#include "serve/metrics.hpp"

namespace trigml::serve {

namespace {

std::atomic<bool> stop_requested{false};
std::atomic<bool> broker_wanted_up{true};

void request_stop(int) {
  stop_requested = true;
}

// SIGTERM and SIGINT set stop_requested (the loops check it) instead of ending the process.
void catch_stop_signals() {
  stop_requested = false;
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

void print_bootstrap(const EmbeddedBroker& broker) {
  std::printf("bootstrap: %s\n", broker.bootstrap().c_str());
  std::fflush(stdout);
}

std::string_view key_of(const rd_kafka_message_t& m) {
  return {static_cast<const char*>(m.key), m.key_len};
}
std::string_view value_of(const rd_kafka_message_t& m) {
  return {static_cast<const char*>(m.payload), m.len};
}

}  // namespace

void LatencyHistogram::add(double milliseconds) {
  const double bin = std::max(0.0, milliseconds) / kBinMs;
  ++counts[std::min(kBins - 1, static_cast<size_t>(bin))];
  ++total;
  sum_ms += std::max(0.0, milliseconds);
}

uint64_t LatencyHistogram::count_up_to(double milliseconds) const {
  const auto bins = std::min(kBins, static_cast<size_t>(std::llround(milliseconds / kBinMs)));
  uint64_t n = 0;
  for (size_t b = 0; b < bins; ++b) n += counts[b];
  return n;
}

double LatencyHistogram::quantile(double q) const {
  const auto wanted = static_cast<uint64_t>(std::ceil(q * static_cast<double>(total)));
  uint64_t seen = 0;
  for (size_t b = 0; b < kBins; ++b)
    if ((seen += counts[b]) >= std::max<uint64_t>(wanted, 1)) return static_cast<double>(b + 1) * kBinMs;
  return static_cast<double>(kBins) * kBinMs;
}

std::string prometheus_text(const ServeCounters& c) {
  std::string out;
  const auto metric = [&](const char* name, const char* type, const char* help) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  };
  const auto single = [&](const char* name, const char* type, const char* help, auto value) {
    metric(name, type, help);
    out += fmt::format("{} {}\n", name, value);
  };
  single("trigml_serve_events_in_total", "counter", "Event messages consumed.", c.events_in);
  single("trigml_serve_decisions_out_total", "counter", "Decisions produced and acknowledged.",
         c.decisions_out);
  single("trigml_serve_not_selected_total", "counter", "Decided events that fail the one-lepton selection.",
         c.not_selected);
  metric("trigml_serve_dead_letters_total", "counter", "Messages sent to the dead-letter topic, by kind.");
  for (const auto& [kind, n] : {std::pair{BadMessage::InvalidJson, c.invalid_json},
                                {BadMessage::MissingField, c.missing_field},
                                {BadMessage::NotANumber, c.not_a_number},
                                {BadMessage::InvalidProtobuf, c.invalid_protobuf}})
    out += fmt::format("trigml_serve_dead_letters_total{{kind=\"{}\"}} {}\n", to_string(kind), n);
  single("trigml_serve_busy_seconds_total", "counter", "Time from a batch's first message to its commit.",
         c.busy_seconds);
  single("trigml_serve_consumer_lag", "gauge", "Messages in the assigned partitions not yet read.",
         c.consumer_lag);

  metric("trigml_serve_batch_size", "histogram", "Messages per micro-batch.");
  uint64_t batches = 0, messages = 0;
  for (size_t size = 0; size < c.batch_sizes.size(); ++size) {
    batches += c.batch_sizes[size];
    messages += size * c.batch_sizes[size];
    const bool power_of_two = size > 0 && (size & (size - 1)) == 0;
    if (power_of_two || size + 1 == c.batch_sizes.size())
      out += fmt::format("trigml_serve_batch_size_bucket{{le=\"{}\"}} {}\n", size, batches);
  }
  out += fmt::format(
      "trigml_serve_batch_size_bucket{{le=\"+Inf\"}} {}\ntrigml_serve_batch_size_sum {}\n"
      "trigml_serve_batch_size_count {}\n",
      batches, messages, batches);

  metric("trigml_serve_latency_seconds", "histogram",
         "From a message's timestamp to the acknowledgement of its decision or dead letter.");
  for (const double le : {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0})
    out += fmt::format("trigml_serve_latency_seconds_bucket{{le=\"{}\"}} {}\n", le,
                       c.latency.count_up_to(le * 1000));
  out += fmt::format(
      "trigml_serve_latency_seconds_bucket{{le=\"+Inf\"}} {}\ntrigml_serve_latency_seconds_sum {}\n"
      "trigml_serve_latency_seconds_count {}\n",
      c.latency.total, c.latency.sum_ms / 1000, c.latency.total);
  return out;
}

void run_broker() {
  catch_stop_signals();
  // SIGUSR1 takes the broker down, SIGUSR2 brings it back (outage rehearsals).
  struct sigaction action {};
  action.sa_handler = [](int signal) { broker_wanted_up = signal == SIGUSR2; };
  sigemptyset(&action.sa_mask);
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGUSR2, &action, nullptr);
  EmbeddedBroker broker;
  print_bootstrap(broker);
  bool up = true;
  while (!stop_requested) {
    if (broker_wanted_up != up) {
      up = broker_wanted_up;
      broker.set_up(up);
      std::printf("broker: %s\n", up ? "up" : "down");
      std::fflush(stdout);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

uint64_t run_produce(const ProduceOptions& o) {
  if (o.brokers.empty()) throw UsageError("--brokers is required (trigml broker prints one)");
  if (o.rate < 0) throw UsageError("--rate must not be negative");
  catch_stop_signals();
  const ingest::SchemaMapping schema = ingest::schema_by_name(o.schema);
  if (!schema.has_particles())
    throw UsageError("produce replays Delphes-like inputs (particle-flow candidates); the schema has none");
  const EventEncoding encoding = parse_event_encoding(o.format);
  std::vector<Header> headers;
  if (encoding == EventEncoding::Protobuf) headers.push_back({kContentTypeHeader, kProtobufContentType});
  Producer producer(o.brokers);
  // Connected before the first event is stamped: its latency is the stream's, not this start-up's.
  producer.prepare_topic(o.topic, std::chrono::seconds(5));
  physics::Event event;
  physics::EventInput in;
  uint64_t produced = 0;
  const auto start = std::chrono::steady_clock::now();
  constexpr uint64_t kChunk = 1000;
  for (const auto& pattern : o.inputs)
    for (const auto& file : ingest::expand_inputs(pattern)) {
      const std::string source = io::printable_location(file);
      ingest::EventReader reader(file, schema);
      for (uint64_t first = 0; first < reader.entries() && !stop_requested; first += kChunk) {
        const uint64_t last = std::min(reader.entries(), first + kChunk);
        reader.load(first, last);
        for (uint64_t e = first; e < last && !stop_requested; ++e) {
          if (o.rate > 0)
            std::this_thread::sleep_until(
                start + std::chrono::duration<double>(static_cast<double>(produced) / o.rate));
          reader.event(e - first, in);
          event.assign(in);
          const std::string id = source + ":" + std::to_string(e);
          producer.produce(o.topic, id, encode_event(id, event, encoding), headers);
          ++produced;
        }
      }
    }
  producer.flush();
  return produced;
}

ServeCounters run_serve(const ServeOptions& o) {
  if (o.batch_size == 0) throw UsageError("--batch-size must be at least 1");
  if (!(o.max_wait_ms >= 0)) throw UsageError("--max-wait-ms must not be negative");
  catch_stop_signals();
  const train::ModelDirectory model = train::read_model_directory(o.model);
  score::Decider decider(model,
                         score::AcceptRule::parse(o.accept.empty() ? score::kDefaultAcceptRule : o.accept));
  std::optional<EmbeddedBroker> embedded;
  std::string brokers = o.brokers;
  if (brokers.empty()) {
    embedded.emplace();
    brokers = embedded->bootstrap();
    print_bootstrap(*embedded);
  }
  Producer producer(brokers);
  // What the first batch would otherwise wait for: the network's first call and the output topics'
  // metadata (over a second on the first decision to a new topic).
  decider.warm_up(o.batch_size);
  for (const std::string* topic : {&o.output_topic, &o.dead_letter_topic})
    producer.prepare_topic(*topic, std::chrono::seconds(5));
  Consumer consumer(brokers, o.group, o.input_topic);
  std::fprintf(stderr, "trigml serve: %s from '%s' to '%s' (dead letters to '%s'), group '%s'\n",
               decider.model_id().c_str(), o.input_topic.c_str(), o.output_topic.c_str(),
               o.dead_letter_topic.c_str(), o.group.c_str());

  ServeCounters counters;
  counters.batch_sizes.resize(o.batch_size + 1);
  // The metrics thread reads the counters while this one updates them.
  std::mutex counters_mutex;
  const auto locked = [&] { return std::unique_lock(counters_mutex); };
  std::optional<MetricsServer> metrics;
  if (o.metrics_port >= 0) {
    if (o.metrics_port > 65535) throw UsageError("--metrics-port must be at most 65535");
    metrics.emplace(static_cast<uint16_t>(o.metrics_port), [&] {
      auto lock = locked();
      return prometheus_text(counters);
    });
    std::printf("metrics: http://127.0.0.1:%u/metrics\n", static_cast<unsigned>(metrics->port()));
    std::fflush(stdout);
  }
  auto lag_measured = std::chrono::steady_clock::now();
  const auto measure_lag = [&] {
    if (!metrics || std::chrono::steady_clock::now() - lag_measured < std::chrono::milliseconds(500)) return;
    const int64_t lag = consumer.lag();
    lag_measured = std::chrono::steady_clock::now();
    auto lock = locked();
    counters.consumer_lag = lag;
  };
  std::vector<Message> batch;
  std::vector<physics::Event> events(o.batch_size);
  std::vector<physics::EventInput> inputs;
  std::vector<std::string> ids;
  std::vector<score::Decision> decisions(o.batch_size);
  const auto max_wait = std::chrono::duration<double, std::milli>(o.max_wait_ms);
  while (!stop_requested) {
    measure_lag();
    batch.clear();
    if (Message first = consumer.poll(std::chrono::milliseconds(100))) batch.push_back(std::move(first));
    if (batch.empty()) continue;
    const auto batch_start = std::chrono::steady_clock::now();
    const auto deadline = std::chrono::steady_clock::now() + max_wait;
    while (batch.size() < o.batch_size) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      Message next = consumer.poll(std::max(left, std::chrono::milliseconds(0)));
      if (next)
        batch.push_back(std::move(next));
      else if (std::chrono::steady_clock::now() >= deadline)
        break;
    }
    inputs.clear();
    ids.clear();
    for (const Message& m : batch) {
      {
        auto lock = locked();
        ++counters.events_in;
      }
      physics::Event& event = events[inputs.size()];
      const bool protobuf = header_value(*m, kContentTypeHeader).starts_with("application/x-protobuf");
      DecodeResult decoded =
          decode_event(value_of(*m), event, protobuf ? EventEncoding::Protobuf : EventEncoding::Json);
      if (decoded.bad) {
        auto lock = locked();
        switch (*decoded.bad) {
          case BadMessage::InvalidJson: ++counters.invalid_json; break;
          case BadMessage::MissingField: ++counters.missing_field; break;
          case BadMessage::NotANumber: ++counters.not_a_number; break;
          case BadMessage::InvalidProtobuf: ++counters.invalid_protobuf; break;
        }
        lock.unlock();
        producer.produce(o.dead_letter_topic, key_of(*m), value_of(*m),
                         {{"trigml.reason", decoded.reason},
                          {"trigml.kind", to_string(*decoded.bad)},
                          {"trigml.source",
                           fmt::format("{}/{}/{}", rd_kafka_topic_name(m->rkt), m->partition, m->offset)}});
        continue;
      }
      inputs.push_back(event.view());
      ids.push_back(std::move(decoded.event_id));
    }
    decider.decide(inputs, true, std::span(decisions).first(inputs.size()));
    for (size_t i = 0; i < inputs.size(); ++i) {
      producer.produce(o.output_topic, ids[i], encode_decision(ids[i], decisions[i], decider.model_id()));
    }
    // At least once: the offsets move only past what the broker has acknowledged.
    producer.flush();
    const auto acknowledged = std::chrono::system_clock::now();
    consumer.commit(batch);
    auto lock = locked();
    for (size_t i = 0; i < inputs.size(); ++i) counters.not_selected += !decisions[i].selected();
    counters.decisions_out += inputs.size();
    ++counters.batches;
    ++counters.batch_sizes[batch.size()];
    counters.busy_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - batch_start).count();
    const double acknowledged_ms =
        std::chrono::duration<double, std::milli>(acknowledged.time_since_epoch()).count();
    for (const Message& m : batch) {
      rd_kafka_timestamp_type_t type;
      const int64_t created_ms = rd_kafka_message_timestamp(m.get(), &type);
      if (created_ms >= 0) counters.latency.add(acknowledged_ms - static_cast<double>(created_ms));
    }
  }
  return counters;
}

}  // namespace trigml::serve

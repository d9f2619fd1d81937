#include <cstdio>

#include "commands.hpp"
#include "serve/serve.hpp"

namespace trigml::cli {

void register_serve(CLI::App& app) {
  auto* broker = app.add_subcommand("broker",
                                    "Run the embedded Kafka broker (librdkafka's mock cluster on 127.0.0.1) "
                                    "until SIGTERM; SIGUSR1 takes it "
                                    "down, SIGUSR2 brings it back");
  broker->callback([] { serve::run_broker(); });

  auto* produce =
      app.add_subcommand("produce", "Replay the events of ROOT files into a Kafka topic (event message v1)");
  auto p = std::make_shared<serve::ProduceOptions>();
  produce->add_option("inputs", p->inputs, "ROOT files, globs, directories, URLs or @list.txt")->required();
  produce->add_option("--brokers", p->brokers, "Kafka bootstrap servers host:port,...")->required();
  produce->add_option("--topic", p->topic, "Topic (default events)");
  produce->add_option("--rate", p->rate, "Events per second (default: as fast as possible)");
  produce->add_option("--schema", p->schema, "delphes (default) or a TOML schema mapping with particle flow");
  produce->add_option("--format", p->format, "Event message form: json (default) or protobuf (event.proto)")
      ->check(CLI::IsMember({"json", "protobuf"}));
  produce->callback([p] {
    const uint64_t n = serve::run_produce(*p);
    std::printf("%llu events produced to '%s'\n", static_cast<unsigned long long>(n), p->topic.c_str());
  });

  auto* serve =
      app.add_subcommand("serve", "Decide the events of a Kafka topic with a model, in micro-batches");
  auto s = std::make_shared<serve::ServeOptions>();
  auto model = std::make_shared<std::string>();
  serve->add_option("model", *model, "Model directory (trigml train)")->required();
  serve->add_option("--brokers", s->brokers,
                    "Kafka bootstrap servers host:port,... (default: start the embedded broker and print "
                    "'bootstrap: 127.0.0.1:PORT')");
  serve->add_option("--input-topic", s->input_topic, "Events (default events)");
  serve->add_option("--output-topic", s->output_topic, "Decisions (default decisions)");
  serve->add_option("--dead-letter-topic", s->dead_letter_topic, "Unusable messages (default events.dlq)");
  serve->add_option("--group", s->group, "Consumer group (default trigml-serve)");
  serve->add_option("--accept", s->accept, "Accept rule as for score (default ttbar+wjets>0.5)");
  serve->add_option("--batch-size", s->batch_size, "Most events per micro-batch (default 256)");
  serve->add_option("--max-wait-ms", s->max_wait_ms,
                    "Longest wait after a batch's first event before it is decided (default 5)");
  serve
      ->add_option("--metrics-port", s->metrics_port,
                   "Serve Prometheus metrics at http://127.0.0.1:PORT/metrics (0: a free port, printed as "
                   "'metrics: URL')")
      ->check(CLI::Range(0, 65535));
  serve->callback([s, model] {
    s->model = *model;
    const auto c = serve::run_serve(*s);
    std::fprintf(
        stderr,
        "trigml serve: %llu events in, %llu decisions out (%llu not selected) in %llu batches; dead "
        "letters: %llu invalid JSON, %llu missing field, %llu not a number, %llu invalid protobuf\n",
        static_cast<unsigned long long>(c.events_in), static_cast<unsigned long long>(c.decisions_out),
        static_cast<unsigned long long>(c.not_selected), static_cast<unsigned long long>(c.batches),
        static_cast<unsigned long long>(c.invalid_json), static_cast<unsigned long long>(c.missing_field),
        static_cast<unsigned long long>(c.not_a_number), static_cast<unsigned long long>(c.invalid_protobuf));
    if (c.decisions_out > 0)
      std::fprintf(stderr,
                   "trigml serve: %.0f events/s while busy; latency from message timestamp to decision "
                   "acknowledged: p50 %.1f ms, p99 %.1f ms\n",
                   static_cast<double>(c.events_in) / c.busy_seconds, c.latency.quantile(0.5),
                   c.latency.quantile(0.99));
  });
}

}  // namespace trigml::cli

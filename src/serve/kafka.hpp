// The seam to librdkafka (Debian's librdkafka-dev): the only code in trigml that includes it.
// Producers that report every delivery, a consumer in a group that commits only when told,
// and librdkafka's mock cluster as an embedded broker on 127.0.0.1.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trigml::serve {

using Settings = std::vector<std::pair<std::string, std::string>>;

// librdkafka's mock cluster (rdkafka_mock.h), one broker, in this process; its listener is on
// 127.0.0.1 on a free port.
class EmbeddedBroker {
 public:
  EmbeddedBroker();
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;
  std::string bootstrap() const;  // "127.0.0.1:PORT"
  // Down: its connections are dropped and new ones refused (an outage, to rehearse); up: it accepts
  // them again, with the messages it held.
  void set_up(bool up);

 private:
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

struct Header {
  std::string name, value;
};

class Producer {
 public:
  // `settings` override the defaults (acks=all, retries without end, linger 1 ms).
  Producer(const std::string& brokers, const Settings& settings = {});
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;
  // Queues a message (waiting while the local queue is full); delivery is reported to flush().
  void produce(const std::string& topic, std::string_view key, std::string_view value,
               const std::vector<Header>& headers = {});
  // Waits until every queued message is acknowledged by the broker (however long it is away);
  // IoError if one failed for good.
  void flush();
  // Asks the brokers for the topic's partitions (creating it where topics are created on first use),
  // so that the first messages to it do not wait for that; false, with the reason printed, if no
  // answer came within `timeout`.
  bool prepare_topic(const std::string& topic, std::chrono::milliseconds timeout);
  uint64_t delivered() const { return delivered_; }

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque);
  rd_kafka_t* handle_ = nullptr;
  std::atomic<uint64_t> delivered_{0}, failed_{0};
  std::string first_failure_;
};

using Message = std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)>;

// The value of the message's last header called `name`; empty if it has none.
std::string_view header_value(const rd_kafka_message_t& message, const char* name);

class Consumer {
 public:
  Consumer(const std::string& brokers, const std::string& group, const std::string& topic,
           const Settings& settings = {});
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;
  // The next message, or null after `timeout` without one. Errors that librdkafka recovers from
  // (a broker away, a topic not there yet) are reported on stderr once and polling goes on.
  Message poll(std::chrono::milliseconds timeout);
  // Commits, synchronously, the offsets after these messages (the largest per partition).
  void commit(const std::vector<Message>& messages);
  // The sum over the assigned partitions of (high watermark − position): the messages not yet read.
  int64_t lag();

 private:
  rd_kafka_t* handle_ = nullptr;
  std::string last_error_;
};

}  // namespace trigml::serve

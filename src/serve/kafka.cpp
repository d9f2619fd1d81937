#include "serve/kafka.hpp"

#include <cstdio>
#include <map>
#include <thread>

#include "common/error.hpp"

namespace trigml::serve {

namespace {

rd_kafka_conf_t* make_conf(const Settings& defaults, const Settings& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const Settings* list : {&defaults, &settings})
    for (const auto& [name, value] : *list)
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw UsageError(fmt::format("Kafka setting {}: {}", name, error));
      }
  return conf;
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char error[512];
  rd_kafka_t* handle = rd_kafka_new(type, conf, error, sizeof error);  // owns conf on success
  if (!handle) {
    rd_kafka_conf_destroy(conf);
    throw IoError(fmt::format("cannot create a Kafka client: {}", error));
  }
  return handle;
}

}  // namespace

EmbeddedBroker::EmbeddedBroker() {
  // The mock cluster needs a client instance for its bookkeeping; a producer that is never used.
  handle_ = make_client(RD_KAFKA_PRODUCER, make_conf({{"log_level", "3"}}, {}));
  cluster_ = rd_kafka_mock_cluster_new(handle_, 1);
  if (!cluster_) {
    rd_kafka_destroy(handle_);
    throw IoError("cannot start librdkafka's mock cluster");
  }
}

EmbeddedBroker::~EmbeddedBroker() {
  rd_kafka_mock_cluster_destroy(cluster_);
  rd_kafka_destroy(handle_);
}

std::string EmbeddedBroker::bootstrap() const {
  return rd_kafka_mock_cluster_bootstraps(cluster_);
}

void EmbeddedBroker::set_up(bool up) {
  constexpr int32_t kBroker = 1;  // the cluster's only broker
  const rd_kafka_resp_err_t err =
      up ? rd_kafka_mock_broker_set_up(cluster_, kBroker) : rd_kafka_mock_broker_set_down(cluster_, kBroker);
  if (err)
    throw IoError(
        fmt::format("cannot take the embedded broker {}: {}", up ? "up" : "down", rd_kafka_err2str(err)));
}

Producer::Producer(const std::string& brokers, const Settings& settings) {
  rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", brokers},
                                     {"acks", "all"},
                                     // Retried until delivered: a broker that goes away is waited for.
                                     {"message.timeout.ms", "0"},
                                     {"linger.ms", "1"},
                                     // Small requests leave at once (Nagle's algorithm off), and one
                                     // at a time: a second request in flight had its answer held back
                                     // by a broker that leaves Nagle on (librdkafka's mock cluster)
                                     // until this side's delayed ACK, 40 ms later, on every flush of a
                                     // batch of decisions.
                                     {"socket.nagle.disable", "true"},
                                     {"max.in.flight.requests.per.connection", "1"},
                                     {"log_level", "3"}},
                                    settings);
  rd_kafka_conf_set_dr_msg_cb(conf, &Producer::on_delivery);
  rd_kafka_conf_set_opaque(conf, this);
  handle_ = make_client(RD_KAFKA_PRODUCER, conf);
}

Producer::~Producer() {
  rd_kafka_flush(handle_, 2000);
  rd_kafka_destroy(handle_);
}

void Producer::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* self = static_cast<Producer*>(opaque);
  if (message->err) {
    if (self->failed_++ == 0) self->first_failure_ = rd_kafka_err2str(message->err);
  } else {
    ++self->delivered_;
  }
}

void Producer::produce(const std::string& topic, std::string_view key, std::string_view value,
                       const std::vector<Header>& headers) {
  while (true) {
    rd_kafka_headers_t* list = nullptr;
    if (!headers.empty()) {
      list = rd_kafka_headers_new(headers.size());
      for (const auto& h : headers)
        rd_kafka_header_add(list, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                            static_cast<ssize_t>(h.value.size()));
    }
    rd_kafka_vu_t fields[5] = {};
    fields[0].vtype = RD_KAFKA_VTYPE_TOPIC, fields[0].u.cstr = topic.c_str();
    fields[1].vtype = RD_KAFKA_VTYPE_KEY, fields[1].u.mem = {const_cast<char*>(key.data()), key.size()};
    fields[2].vtype = RD_KAFKA_VTYPE_VALUE, fields[2].u.mem = {const_cast<char*>(value.data()), value.size()};
    fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS, fields[3].u.i = RD_KAFKA_MSG_F_COPY;
    fields[4].vtype = RD_KAFKA_VTYPE_HEADERS, fields[4].u.headers = list;
    rd_kafka_error_t* error = rd_kafka_produceva(handle_, fields, list ? 5 : 4);
    const rd_kafka_resp_err_t err = error ? rd_kafka_error_code(error) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (error) rd_kafka_error_destroy(error);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return;  // the headers now belong to the message
    if (list) rd_kafka_headers_destroy(list);
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      throw IoError(fmt::format("cannot produce to topic '{}': {}", topic, rd_kafka_err2str(err)));
    rd_kafka_poll(handle_, 100);  // deliveries make room
  }
}

void Producer::flush() {
  while (rd_kafka_flush(handle_, 1000) == RD_KAFKA_RESP_ERR__TIMED_OUT) {
  }
  if (failed_) {
    throw IoError(fmt::format("{} messages were not delivered: {}", failed_.load(), first_failure_));
  }
}

bool Producer::prepare_topic(const std::string& topic, std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* handle = rd_kafka_topic_new(handle_, topic.c_str(), nullptr);
  if (!handle) return false;
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle_, 0, handle, &metadata, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(handle);
  if (metadata) rd_kafka_metadata_destroy(metadata);
  if (err)
    std::fprintf(stderr, "trigml: topic '%s' not known yet: %s\n", topic.c_str(), rd_kafka_err2str(err));
  return !err;
}

Consumer::Consumer(const std::string& brokers, const std::string& group, const std::string& topic,
                   const Settings& settings)
    : handle_(
          make_client(RD_KAFKA_CONSUMER, make_conf({{"bootstrap.servers", brokers},
                                                    {"group.id", group},
                                                    {"enable.auto.commit", "false"},
                                                    {"auto.offset.reset", "earliest"},
                                                    {"allow.auto.create.topics", "true"},
                                                    // A restarted member is let in soon.
                                                    {"session.timeout.ms", "6000"},
                                                    {"heartbeat.interval.ms", "500"},
                                                    // A topic created after the subscription is seen soon.
                                                    {"topic.metadata.refresh.interval.ms", "1000"},
                                                    // An empty fetch is answered within 5 ms (librdkafka's
                                                    // 500 ms default is latency for a trigger: a broker,
                                                    // and the mock cluster always, holds it that long).
                                                    {"fetch.wait.max.ms", "5"},
                                                    {"socket.nagle.disable", "true"},
                                                    {"log_level", "3"}},
                                                   settings))) {
  rd_kafka_poll_set_consumer(handle_);
  rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
  const rd_kafka_resp_err_t err = rd_kafka_subscribe(handle_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (err) {
    rd_kafka_destroy(handle_);
    throw IoError(fmt::format("cannot subscribe to topic '{}': {}", topic, rd_kafka_err2str(err)));
  }
}

Consumer::~Consumer() {
  rd_kafka_consumer_close(handle_);
  rd_kafka_destroy(handle_);
}

Message Consumer::poll(std::chrono::milliseconds timeout) {
  Message message(rd_kafka_consumer_poll(handle_, static_cast<int>(timeout.count())),
                  &rd_kafka_message_destroy);
  if (!message || !message->err) return message;
  const std::string error = rd_kafka_message_errstr(message.get());
  if (error != last_error_) std::fprintf(stderr, "trigml serve: consumer: %s (waiting)\n", error.c_str());
  last_error_ = error;
  return Message(nullptr, &rd_kafka_message_destroy);
}

void Consumer::commit(const std::vector<Message>& messages) {
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const auto& m : messages) {
    auto& offset = next[{rd_kafka_topic_name(m->rkt), m->partition}];
    offset = std::max(offset, m->offset + 1);
  }
  if (next.empty()) return;
  rd_kafka_topic_partition_list_t* offsets = rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
  for (const auto& [where, offset] : next)
    rd_kafka_topic_partition_list_add(offsets, where.first.c_str(), where.second)->offset = offset;
  const rd_kafka_resp_err_t err = rd_kafka_commit(handle_, offsets, 0);
  rd_kafka_topic_partition_list_destroy(offsets);
  if (!err) return;
  // The group moved on while the commit waited (a broker outage outlasted the session, or a
  // rebalance): the offsets stay where they were, so these events come back to whoever owns their
  // partitions and are decided again, which at least once allows. Anything else is a real failure.
  if (err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID || err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
      err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS || err == RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST ||
      err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
      err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    std::fprintf(stderr,
                 "trigml serve: offsets of %zu events not committed (%s): they will be decided again\n",
                 messages.size(), rd_kafka_err2str(err));
    return;
  }
  throw IoError(fmt::format("cannot commit the consumer offsets: {}", rd_kafka_err2str(err)));
}

std::string_view header_value(const rd_kafka_message_t& message, const char* name) {
  rd_kafka_headers_t* headers = nullptr;
  // librdkafka parses the headers on first access; the message owns them.
  if (rd_kafka_message_headers(&message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  return {static_cast<const char*>(value), size};
}

int64_t Consumer::lag() {
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(handle_, &assigned) || !assigned) return 0;
  rd_kafka_position(handle_, assigned);
  int64_t lag = 0;
  for (int i = 0; i < assigned->cnt; ++i) {
    const auto& p = assigned->elems[i];
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(handle_, p.topic, p.partition, &low, &high)) continue;
    lag += std::max<int64_t>(0, high - (p.offset >= 0 ? p.offset : low));
  }
  rd_kafka_topic_partition_list_destroy(assigned);
  return lag;
}

}  // namespace trigml::serve

// `trigml serve --metrics-port`: Prometheus text metrics over HTTP on 127.0.0.1 only. A small
// server of its own (one thread, one request per connection) rather than a library: it answers
// `GET /metrics` and nothing else, and scrapes are rare.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace trigml::serve {

class MetricsServer {
 public:
  // Listens on 127.0.0.1:port (0: a free port); every `GET /metrics` is answered with `render()`,
  // called from the server's thread.
  MetricsServer(uint16_t port, std::function<std::string()> render);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;
  uint16_t port() const { return port_; }

 private:
  void serve_connections();
  void answer(int connection);

  std::function<std::string()> render_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace trigml::serve

#include "serve/metrics.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "common/error.hpp"

namespace trigml::serve {

namespace {

// A client gets this long to send its request; the server's loop checks for shutdown as often.
constexpr int kRequestTimeoutMs = 2000;
constexpr int kStopCheckMs = 200;
constexpr size_t kMaxRequestBytes = 8192;

void send_all(int connection, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t sent = ::send(connection, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;  // the client went away: nothing to do about it
    bytes.remove_prefix(static_cast<size_t>(sent));
  }
}

std::string response(std::string_view status, std::string_view content_type, std::string_view body) {
  return fmt::format("HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                     status, content_type, body.size(), body);
}

}  // namespace

MetricsServer::MetricsServer(uint16_t port, std::function<std::string()> render)
    : render_(std::move(render)) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener_ < 0) throw IoError(fmt::format("metrics: cannot make a socket: {}", std::strerror(errno)));
  const int yes = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  socklen_t length = sizeof address;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(listener_);
    throw IoError(fmt::format("metrics: cannot listen on 127.0.0.1:{}: {}", port, reason));
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve_connections(); });
}

MetricsServer::~MetricsServer() {
  stopping_ = true;
  thread_.join();
  ::close(listener_);
}

void MetricsServer::serve_connections() {
  while (!stopping_) {
    pollfd ready{listener_, POLLIN, 0};
    if (::poll(&ready, 1, kStopCheckMs) <= 0) continue;
    const int connection = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) continue;
    answer(connection);
    ::close(connection);
  }
}

void MetricsServer::answer(int connection) {
  std::string request;
  char buffer[1024];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < kMaxRequestBytes) {
    pollfd readable{connection, POLLIN, 0};
    if (::poll(&readable, 1, kRequestTimeoutMs) <= 0) return;  // a silent client is dropped
    const ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
    if (got <= 0) return;
    request.append(buffer, static_cast<size_t>(got));
  }
  const std::string_view line = std::string_view(request).substr(0, request.find("\r\n"));
  if (!line.starts_with("GET ")) {
    send_all(connection, response("405 Method Not Allowed", "text/plain", "only GET /metrics\n"));
    return;
  }
  const std::string_view target = line.substr(4, line.find(' ', 4) - 4);
  if (target != "/metrics") {
    send_all(connection, response("404 Not Found", "text/plain", "only GET /metrics\n"));
    return;
  }
  send_all(connection, response("200 OK", "text/plain; version=0.0.4; charset=utf-8", render_()));
}

}  // namespace trigml::serve

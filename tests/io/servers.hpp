// Real servers for the remote-input tests, on 127.0.0.1 with free ports: Debian's xrootd and nginx
// (HTTP, HTTPS with a self-signed certificate made here, and a location that ignores ranges),
// serving one temporary directory. Each server is a child process, stopped by its process id.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/run_command.hpp"

namespace trigml::testing {

namespace fs = std::filesystem;

// A port nothing listens on now (the kernel's choice for port 0).
inline int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0)
    throw std::runtime_error("bind failed");
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

inline bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

// One server: started with fork and exec, its output in `log`; stopped by its pid.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(std::vector<std::string> argv, const fs::path& log, std::vector<int> ports)
      : ports_(std::move(ports)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* out = std::freopen(log.c_str(), "w", stdout);
      (void)out;
      ::dup2(STDOUT_FILENO, STDERR_FILENO);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      std::_Exit(127);
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (int port : ports_) {
      while (!port_open(port)) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          throw std::runtime_error(argv[0] + " exited at start; see " + log.string());
        }
        if (std::chrono::steady_clock::now() > deadline)
          throw std::runtime_error(argv[0] + " did not listen on its port; see " + log.string());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  ServerProcess(ServerProcess&& other) noexcept : pid_(other.pid_), ports_(std::move(other.ports_)) {
    other.pid_ = -1;
  }
  ServerProcess& operator=(ServerProcess&& other) noexcept {
    stop();
    pid_ = other.pid_;
    ports_ = std::move(other.ports_);
    other.pid_ = -1;
    return *this;
  }
  ~ServerProcess() { stop(); }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
    // Until its ports are free again, a restart on them would fail.
    for (int port : ports_)
      for (int i = 0; i < 200 && port_open(port); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  std::vector<int> ports_;
};

// xrootd and nginx serving `root` (a fresh temporary directory, filled by the tests).
class LocalServers {
 public:
  LocalServers() : root_(make_temporary_directory()), data_(root_ / "data") {
    fs::create_directories(root_ / "data");
    fs::create_directories(root_ / "state");
    // xrootd refuses to run as root: it runs as nobody, who must reach the data and write its state.
    fs::create_directories(root_ / "xrootd");
    fs::permissions(root_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(root_ / "xrootd", fs::perms::all);
    xrootd_port_ = free_port();
    http_port_ = free_port();
    https_port_ = free_port();
    make_certificate();
    start_xrootd();
    start_nginx();
  }
  ~LocalServers() {
    xrootd_.stop();
    nginx_.stop();
    fs::remove_all(root_);
  }

  // Files placed here are served at root_url(name) and http(s)_url(name).
  const fs::path& data() const { return data_; }
  std::string root_url(const std::string& name) const {
    return "root://127.0.0.1:" + std::to_string(xrootd_port_) + "/" + (data() / name).string();
  }
  std::string http_url(const std::string& name) const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + "/" + name;
  }
  std::string https_url(const std::string& name) const {
    return "https://127.0.0.1:" + std::to_string(https_port_) + "/" + name;
  }
  // Served without range support (nginx's max_ranges 0): answers 200 and the whole file.
  std::string no_range_url(const std::string& name) const {
    return "http://127.0.0.1:" + std::to_string(http_port_) + "/norange/" + name;
  }
  // Served only with the header "Authorization: Bearer <private_token()>".
  std::string private_url(const std::string& name) const {
    return "https://127.0.0.1:" + std::to_string(https_port_) + "/private/" + name;
  }
  static std::string private_token() { return "tok-3f9a1c77e2"; }
  fs::path certificate() const { return root_ / "state" / "cert.pem"; }

  void stop_xrootd() { xrootd_.stop(); }
  void start_xrootd() {
    fs::path state = root_ / "xrootd";
    fs::path config = state / "xrootd.cfg";
    std::ofstream(config) << "all.export " << data().string() << "\n"
                          << "all.adminpath " << state.string() << "\n"
                          << "all.pidpath " << state.string() << "\n";
    std::vector<std::string> command = {
        "xrootd", "-p", std::to_string(xrootd_port_), "-c", config.string(), "-n", "trigmltest"};
    if (::geteuid() == 0)
      command.insert(command.begin(),
                     {"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"});
    xrootd_ = ServerProcess(command, state / "xrootd.log", {xrootd_port_});
  }
  void stop_nginx() { nginx_.stop(); }
  void start_nginx() {
    fs::path state = root_ / "state";
    fs::path config = state / "nginx.conf";
    std::ofstream(config) << "daemon off;\nworker_processes 1;\nuser root;\n"
                          << "pid " << (state / "nginx.pid").string() << ";\n"
                          << "error_log " << (state / "nginx-error.log").string() << ";\n"
                          << "events { worker_connections 64; }\n"
                          << "http {\n  access_log off;\n"
                          << "  client_body_temp_path " << state.string() << "/body;\n"
                          << "  proxy_temp_path " << state.string() << "/proxy;\n"
                          << "  fastcgi_temp_path " << state.string() << "/fastcgi;\n"
                          << "  uwsgi_temp_path " << state.string() << "/uwsgi;\n"
                          << "  scgi_temp_path " << state.string() << "/scgi;\n"
                          << "  server {\n"
                          << "    listen 127.0.0.1:" << http_port_ << ";\n"
                          << "    listen 127.0.0.1:" << https_port_ << " ssl;\n"
                          << "    ssl_certificate " << certificate().string() << ";\n"
                          << "    ssl_certificate_key " << (state / "key.pem").string() << ";\n"
                          << "    root " << data().string() << ";\n"
                          << "    location /norange/ { alias " << data().string() << "/; max_ranges 0; }\n"
                          << "    location /private/ {\n      alias " << data().string() << "/;\n"
                          << "      if ($http_authorization != \"Bearer " << private_token()
                          << "\") { return 403; }\n    }\n"
                          << "  }\n}\n";
    nginx_ = ServerProcess(
        {"nginx", "-c", config.string(), "-p", state.string(), "-e", (state / "nginx-error.log").string()},
        state / "nginx.log", {http_port_, https_port_});
  }

 private:
  static fs::path make_temporary_directory() {
    std::string pattern = (fs::temp_directory_path() / "trigml-servers-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return pattern;
  }
  void make_certificate() {
    fs::path state = root_ / "state";
    auto made = run_command(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " +
        (state / "key.pem").string() + " -out " + certificate().string());
    if (made.status != 0) throw std::runtime_error("openssl failed: " + made.output);
  }

  fs::path root_, data_;
  int xrootd_port_ = 0, http_port_ = 0, https_port_ = 0;
  ServerProcess xrootd_, nginx_;
};

}  // namespace trigml::testing

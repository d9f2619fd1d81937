// Running trigml (or a test binary) under mpirun on this machine: 2 or 3 ranks over TCP on the
// loopback interface only, so the bytes cross real sockets and nothing listens beyond it. The tests
// skip when this build has no MPI or mpirun is absent; every run has a deadline.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/run_command.hpp"
#include "dist/dist.hpp"

extern char** environ;

namespace trigml::testing {

inline bool mpirun_available() {
  return run_command("command -v mpirun").status == 0;
}

#define TRIGML_SKIP_WITHOUT_MPI()                                                                     \
  if (!trigml::dist::built_with_mpi()) GTEST_SKIP() << "this build has no MPI (TRIGML_WITH_MPI=OFF)"; \
  if (!trigml::testing::mpirun_available()) GTEST_SKIP() << "mpirun is not installed (openmpi-bin)"

// The launcher's words for `ranks` processes of `program` (root is allowed: containers run tests as
// root); `timeout` ends a run that hangs.
inline std::string mpirun(int ranks, const std::string& program, int timeout_seconds = 300) {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
         "timeout -k 10 " +
         std::to_string(timeout_seconds) + " mpirun --oversubscribe -np " + std::to_string(ranks) +
         " --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo " + program;
}

// A command started in the background (through the shell, output to a file), stopped by its PID.
class Background {
 public:
  Background(const std::string& command, const std::filesystem::path& log) : log_(log) {
    const std::string line = "exec " + command + " >" + log.string() + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", line.c_str(), nullptr};
    if (posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) pid_ = -1;
  }
  ~Background() {
    if (pid_ > 0 && !finished_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // The exit status, or -1 when it ran past the deadline (it is then killed).
  int wait(std::chrono::seconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        finished_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  std::string output() const {
    std::ifstream in(log_);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  std::filesystem::path log_;
  pid_t pid_ = -1;
  bool finished_ = false;
};

// The processes whose parent is `parent` and whose command name is `name` (mpirun starts the
// ranks on this host itself).
inline std::vector<pid_t> children_named(pid_t parent, const std::string& name) {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const size_t open = text.find('('), close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    const std::string comm = text.substr(open + 1, close - open - 1);
    pid_t ppid = 0;
    char state = 0;
    if (std::sscanf(text.c_str() + close + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid == parent && comm == name) out.push_back(static_cast<pid_t>(std::stol(pid)));
  }
  return out;
}

}  // namespace trigml::testing

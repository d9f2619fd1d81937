// Progress reporting: a redrawn bar when stderr is a terminal, otherwise one machine-readable
// JSON line per report interval (and at the end), so logs of batch jobs stay quiet and parsable.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace trigml {

bool stderr_is_terminal();

// A way to stop long work from outside (the Python module's Ctrl-C): while a check is set, every
// Progress::advance, on whichever thread, asks it and throws InterruptedError when it answers true.
// The long loops already report progress, so they stop within one unit of their work. The check is
// called often and from several threads: it must be cheap and thread-safe. nullptr removes it.
using InterruptCheck = bool (*)();
void set_interrupt_check(InterruptCheck check);

class Progress {
 public:
  // total == 0 means unknown; unit names what is counted ("events", "files").
  Progress(std::string label, uint64_t total, std::string unit, bool enabled = true);
  ~Progress();
  void advance(uint64_t n = 1);     // thread-safe
  void set_note(std::string note);  // extra text such as "loss 0.31 acc 0.91"
  void finish();

 private:
  void draw(bool final_line);

  std::string label_;
  std::string unit_;
  std::string note_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool terminal_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::mutex mutex_;
};

}  // namespace trigml

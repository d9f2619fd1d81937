#include <atomic>
#include <csignal>
#include <mutex>

#include "bindings.hpp"
#include "common/terminal.hpp"

namespace trigml::python {

namespace {

std::atomic<bool> sigint_received{false};
std::mutex nesting_mutex;
int long_calls = 0;  // running LongCalls (other Python threads may make them at once)
bool handler_installed = false;
struct sigaction python_handler {};

void on_sigint(int) {
  sigint_received.store(true);
}

bool interrupted() {
  return sigint_received.load(std::memory_order_relaxed);
}

}  // namespace

LongCall::LongCall() {
  {
    std::lock_guard lock(nesting_mutex);
    if (long_calls++ == 0) {
      // Only where Python handles SIGINT itself (not where it is ignored or left to the OS).
      struct sigaction current {};
      sigaction(SIGINT, nullptr, &current);
      if (current.sa_handler != SIG_IGN && current.sa_handler != SIG_DFL) {
        struct sigaction ours {};
        ours.sa_handler = on_sigint;
        sigemptyset(&ours.sa_mask);
        sigint_received = false;
        sigaction(SIGINT, &ours, &python_handler);
        set_interrupt_check(interrupted);
        handler_installed = true;
      }
    }
  }
  released_.emplace();
}

LongCall::~LongCall() {
  released_.reset();
  std::lock_guard lock(nesting_mutex);
  if (--long_calls != 0 || !handler_installed) return;
  handler_installed = false;
  set_interrupt_check(nullptr);
  sigaction(SIGINT, &python_handler, nullptr);
  // Not seen by the work (it had no progress left to report): Python raises KeyboardInterrupt at
  // its next check, as if the signal had reached it directly. When the work was stopped, the
  // InterruptedError it threw already becomes the KeyboardInterrupt.
  if (sigint_received.exchange(false) && std::uncaught_exceptions() == 0) PyErr_SetInterrupt();
}

}  // namespace trigml::python

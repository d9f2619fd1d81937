#include "common/terminal.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace trigml {

namespace {
std::atomic<InterruptCheck> interrupt_check{nullptr};
}  // namespace

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

void set_interrupt_check(InterruptCheck check) {
  interrupt_check.store(check);
}

Progress::Progress(std::string label, uint64_t total, std::string unit, bool enabled)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      terminal_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() {
  finish();
}

void Progress::advance(uint64_t n) {
  if (InterruptCheck check = interrupt_check.load(std::memory_order_relaxed); check && check())
    throw InterruptedError(fmt::format("{}: interrupted", label_));
  std::lock_guard lock(mutex_);
  done_ += n;
  auto now = std::chrono::steady_clock::now();
  auto interval = terminal_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
  if (now - last_draw_ >= interval) {
    last_draw_ = now;
    draw(false);
  }
}

void Progress::set_note(std::string note) {
  std::lock_guard lock(mutex_);
  note_ = std::move(note);
}

void Progress::finish() {
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  draw(true);
}

void Progress::draw(bool final_line) {
  if (!enabled_) return;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0.0;
  if (!terminal_) {
    nlohmann::json line = {
        {"progress", label_}, {"done", done_}, {"unit", unit_}, {"seconds", seconds}, {"rate", rate}};
    if (total_) line["total"] = total_;
    if (!note_.empty()) line["note"] = note_;
    if (final_line) line["finished"] = true;
    std::fputs((line.dump() + "\n").c_str(), stderr);
    return;
  }
  std::string bar;
  if (total_) {
    constexpr int width = 30;
    double fraction = std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_));
    int filled = static_cast<int>(fraction * width);
    bar = fmt::format("[{}{}] {:3.0f}% {}/{}", std::string(filled, '#'), std::string(width - filled, '.'),
                      100 * fraction, done_, total_);
  } else {
    bar = fmt::format("{}", done_);
  }
  std::string text =
      fmt::format("\r{} {} {} {:.0f} {}/s {:.1f}s {}\x1b[K", label_, bar, unit_, rate, unit_, seconds, note_);
  if (final_line) text += "\n";
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace trigml

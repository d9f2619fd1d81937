// One exception hierarchy for the whole library. The type says who is at fault, so a caller
// can decide (skip one corrupt file among thousands, or stop); the message always says where.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace trigml {

// Where an error happened: any of the parts may be unknown.
struct ErrorContext {
  ErrorContext() = default;
  ErrorContext(std::string file_, std::optional<uint64_t> offset_ = std::nullopt, std::string object_ = {})
      : file(std::move(file_)), offset(offset_), object(std::move(object_)) {}

  std::string file;                // path or URL of the input
  std::optional<uint64_t> offset;  // absolute byte offset in the file
  std::string object;              // "branch 'Jet.PT'", "column 'HT'", "key 'events;1'"

  std::string describe() const;  // "file.root: branch 'X': offset 1234"
};

class Error : public std::runtime_error {
 public:
  Error(std::string what, ErrorContext context = {});
  const ErrorContext& context() const { return context_; }
  // The bare message, without the context prefix.
  const std::string& detail() const { return detail_; }

 private:
  ErrorContext context_;
  std::string detail_;
};

// The input is malformed: truncated, corrupt, or inconsistent with itself.
class FormatError : public Error {
 public:
  using Error::Error;
};

// The input is valid but uses a construct trigml does not read (yet).
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

// A name that was asked for does not exist: key, tree, branch, column, process.
class NotFoundError : public Error {
 public:
  using Error::Error;
};

// The operating system refused: cannot open, read, write or rename.
class IoError : public Error {
 public:
  using Error::Error;
};

// The caller asked for something impossible: bad option, bad range, bad configuration.
class UsageError : public Error {
 public:
  using Error::Error;
};

// The work was stopped from outside before it finished (Ctrl-C in the Python module: see
// set_interrupt_check in terminal.hpp); whatever it was writing is left unfinished, never renamed
// into place.
class InterruptedError : public Error {
 public:
  using Error::Error;
};

// A broken invariant inside trigml itself: always a bug.
class InternalError : public Error {
 public:
  using Error::Error;
};

}  // namespace trigml

#include <atomic>

#include "common/error.hpp"
#include "dist/dist.hpp"

namespace trigml::dist {

namespace {

std::atomic<bool> agreed{false};

// A failure travels as its kind (one letter) and its message, so every rank can raise the same.
std::string encode(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const UsageError& e) {
    return std::string("U") + e.what();
  } catch (const NotFoundError& e) {
    return std::string("N") + e.what();
  } catch (const FormatError& e) {
    return std::string("F") + e.what();
  } catch (const IoError& e) {
    return std::string("I") + e.what();
  } catch (const std::exception& e) {
    return std::string("E") + e.what();
  } catch (...) {
    return "Eunknown exception";
  }
}

[[noreturn]] void raise(int failing_rank, const std::string& encoded) {
  const std::string message = fmt::format("rank {} of {}: {}", failing_rank, size(), encoded.substr(1));
  agreed = true;
  switch (encoded[0]) {
    case 'U': throw UsageError(message);
    case 'N': throw NotFoundError(message);
    case 'F': throw FormatError(message);
    case 'I': throw IoError(message);
    default: throw Error(message);
  }
}

}  // namespace

void agree(std::exception_ptr failure, std::string_view what) {
  if (size() == 1) {
    if (failure) std::rethrow_exception(failure);
    return;
  }
  const std::vector<std::string> outcomes = all_gather(failure ? encode(failure) : std::string(), what);
  for (size_t r = 0; r < outcomes.size(); ++r)
    if (!outcomes[r].empty()) raise(static_cast<int>(r), outcomes[r]);
}

bool failure_agreed() {
  return agreed;
}

}  // namespace trigml::dist

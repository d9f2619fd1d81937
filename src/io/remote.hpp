// What the remote sources share, inside src/io: their constructors (each in its own file, built
// only when its client library is) and the retry loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "io/source.hpp"
#include "io/url.hpp"

namespace trigml::io {

std::unique_ptr<ByteSource> open_xrootd(const Url& url, const RemoteOptions& options);
std::vector<std::string> list_xrootd_directory(const Url& url, const RemoteOptions& options);
std::unique_ptr<ByteSource> open_http(const Url& url, const RemoteOptions& options);

// A failure worth another attempt: the connection was refused, reset or timed out, or the server
// answered 5xx. Anything else a source throws (missing file, refused range) ends at once.
struct TransientFailure {
  std::string what;
};

// Runs attempt() until it returns without a TransientFailure, at most 1 + options.retries times,
// sleeping backoff * 2^k before the k-th retry; `on_retry` runs before each retry (reconnect,
// count). The last failure becomes an IoError naming the location, the byte range and what
// went wrong.
template <typename Attempt>
auto with_retries(const RemoteOptions& options, const std::string& location, const ByteRange& range,
                  const std::function<void()>& on_retry, Attempt&& attempt) {
  for (int k = 0;; ++k) {
    try {
      // A failing reconnect is one more failed attempt.
      if (k > 0 && on_retry) on_retry();
      return attempt();
    } catch (const TransientFailure& failure) {
      if (k >= options.retries)
        throw IoError(fmt::format("reading bytes [{}, {}) failed after {} attempt{}: {}", range.offset,
                                  range.offset + range.length, k + 1, k == 0 ? "" : "s", failure.what),
                      {location, range.offset});
      std::this_thread::sleep_for(options.backoff * (int64_t{1} << std::min(k, 16)));
    }
  }
}

}  // namespace trigml::io

// http:// and https:// through libcurl: Range requests, many ranges in one multipart/byteranges
// request where the server allows it, one persistent connection per concurrent reader (a pool of
// easy handles). The size comes from the Content-Range of a first one-byte request, which also
// proves that the server serves ranges at all.
#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstring>
#include <fstream>
#include <mutex>
#include <numeric>
#include <optional>
#include <sstream>

#include "io/remote.hpp"

namespace trigml::io {
namespace {

// Ranges per request: the Range header stays below the 8 KiB that servers accept by default.
constexpr size_t kMaxRangesPerRequest = 200;

struct ContentRange {
  uint64_t first = 0, last = 0;  // inclusive, as in the header
  std::optional<uint64_t> total;
};

// "bytes 100-199/1000", "bytes */1000" (for 416), "bytes 100-199/*".
std::optional<ContentRange> parse_content_range(std::string_view value) {
  if (value.substr(0, 6) != "bytes ") return std::nullopt;
  value.remove_prefix(6);
  ContentRange range;
  size_t slash = value.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view span = value.substr(0, slash), total = value.substr(slash + 1);
  while (!total.empty() && (total.back() == '\r' || total.back() == '\n' || total.back() == ' '))
    total.remove_suffix(1);
  auto number = [](std::string_view text, uint64_t& out) {
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size();
  };
  if (total != "*") {
    uint64_t t = 0;
    if (!number(total, t)) return std::nullopt;
    range.total = t;
  }
  if (span == "*") return range;
  size_t dash = span.find('-');
  if (dash == std::string_view::npos || !number(span.substr(0, dash), range.first) ||
      !number(span.substr(dash + 1), range.last) || range.last < range.first)
    return std::nullopt;
  return range;
}

std::string trim(std::string text) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  text.erase(text.begin(), std::find_if_not(text.begin(), text.end(), space));
  text.erase(std::find_if_not(text.rbegin(), text.rend(), space).base(), text.end());
  return text;
}

std::string header_value(const std::string& line, std::string_view name) {
  if (line.size() <= name.size() || line[name.size()] != ':') return {};
  for (size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return {};
  return trim(line.substr(name.size() + 1));
}

struct Response {
  long status = 0;
  std::string content_type;
  std::optional<ContentRange> content_range;
  std::vector<std::byte> body;
  size_t body_limit = 0;
  bool overflow = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto& response = *static_cast<Response*>(user);
  std::string line(data, size * count);
  // A redirect's headers come first: each status line starts a new response.
  if (line.rfind("HTTP/", 0) == 0) {
    response.content_type.clear();
    response.content_range.reset();
  } else if (auto type = header_value(line, "content-type"); !type.empty()) {
    response.content_type = type;
  } else if (auto range = header_value(line, "content-range"); !range.empty()) {
    response.content_range = parse_content_range(range);
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto& response = *static_cast<Response*>(user);
  size_t n = size * count;
  // Never more than what was asked for (plus multipart framing): a server that answers with the
  // whole file is stopped at once instead of downloading it.
  if (response.body.size() + n > response.body_limit) {
    response.overflow = true;
    return 0;
  }
  auto bytes = reinterpret_cast<const std::byte*>(data);
  response.body.insert(response.body.end(), bytes, bytes + n);
  return n;
}

bool transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST: return true;
    default: return false;
  }
}

// The Authorization header: TRIGML_HTTP_AUTHORIZATION's value, the file given by option, or a
// WLCG bearer token (BEARER_TOKEN, BEARER_TOKEN_FILE). Empty when none is set.
std::string authorization(const RemoteOptions& options) {
  auto file_text = [](const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError("cannot read the credentials file", {path});
    std::ostringstream text;
    text << in.rdbuf();
    return trim(text.str());
  };
  if (const char* value = std::getenv("TRIGML_HTTP_AUTHORIZATION"); value && *value) return trim(value);
  if (!options.authorization_file.empty()) return file_text(options.authorization_file);
  if (const char* token = std::getenv("BEARER_TOKEN"); token && *token) return "Bearer " + trim(token);
  if (const char* path = std::getenv("BEARER_TOKEN_FILE"); path && *path) return "Bearer " + file_text(path);
  return {};
}

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

class HttpSource final : public ByteSource {
 public:
  HttpSource(const Url& url, const RemoteOptions& options)
      : address_(url.full()), printable_(url.printable()), options_(options) {
    global_init();
    std::string credentials = authorization(options_);
    if (!credentials.empty())
      headers_ = curl_slist_append(headers_, ("Authorization: " + credentials).c_str());
    Response response = with_retries(
        options_, printable_, {0, 1}, [&] { count_retry(); }, [&] { return perform("0-0", 1); });
    if (response.status == 416 && response.content_range && response.content_range->total == 0) {
      size_ = 0;
      return;
    }
    if (response.status == 200) refuse_whole_file({0, 1});
    if (response.status != 206 || !response.content_range || !response.content_range->total)
      throw IoError(
          fmt::format("expected a 206 answer with a Content-Range to a one-byte range request, got HTTP {}",
                      response.status),
          {printable_});
    size_ = *response.content_range->total;
  }

  ~HttpSource() override {
    for (CURL* handle : idle_) curl_easy_cleanup(handle);
    curl_slist_free_all(headers_);
  }
  HttpSource(const HttpSource&) = delete;
  HttpSource& operator=(const HttpSource&) = delete;

  const std::string& name() const override { return printable_; }
  uint64_t size() const override { return size_; }

  void read(uint64_t offset, std::span<std::byte> out) const override {
    const ByteRange range{offset, out.size()};
    std::byte* output = out.data();
    read_many(std::span<const ByteRange>(&range, 1), std::span<std::byte* const>(&output, 1));
  }

  void read_many(std::span<const ByteRange> ranges, std::span<std::byte* const> outputs) const override {
    if (ranges.size() != outputs.size())
      throw InternalError("read_many: ranges and outputs differ in length", {printable_});
    // Ranges in file order, touching ones merged into groups: one requested span per group.
    std::vector<size_t> order(ranges.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return ranges[a].offset < ranges[b].offset; });
    std::vector<Group> groups;
    for (size_t i : order) {
      check_range(ranges[i].offset, ranges[i].length);
      if (ranges[i].length == 0) continue;
      if (!groups.empty() && groups.back().span.offset + groups.back().span.length == ranges[i].offset)
        groups.back().span.length += ranges[i].length;
      else
        groups.push_back({{ranges[i].offset, ranges[i].length}, {}});
      groups.back().members.push_back(i);
    }
    size_t per_request = multi_range_ ? kMaxRangesPerRequest : 1;
    for (size_t first = 0; first < groups.size(); first += per_request) {
      std::span<const Group> batch(groups.data() + first, std::min(per_request, groups.size() - first));
      fetch(batch, ranges, outputs);
    }
  }

 private:
  struct Group {
    ByteRange span;
    std::vector<size_t> members;  // indices into the caller's ranges, in file order
  };

  [[noreturn]] void refuse_whole_file(ByteRange range) const {
    throw UnsupportedError(
        fmt::format(
            "the server answered a request for bytes [{}, {}) with the whole file (HTTP 200 instead of 206): "
            "it does not serve byte ranges, which trigml needs to read parts of files",
            range.offset, range.offset + range.length),
        {printable_, range.offset});
  }

  void check_total(const ContentRange& content_range, ByteRange range) const {
    if (content_range.total && *content_range.total != size_)
      throw FormatError(fmt::format("the file changed size since it was opened: {} bytes then, {} now", size_,
                                    *content_range.total),
                        {printable_, range.offset});
  }

  void fetch(std::span<const Group> batch, std::span<const ByteRange> ranges,
             std::span<std::byte* const> outputs) const {
    std::string spec;
    uint64_t payload = 0;
    for (const Group& g : batch) {
      if (!spec.empty()) spec += ',';
      spec += fmt::format("{}-{}", g.span.offset, g.span.offset + g.span.length - 1);
      payload += g.span.length;
    }
    ByteRange whole{batch.front().span.offset,
                    batch.back().span.offset + batch.back().span.length - batch.front().span.offset};
    // Multipart framing is a few hundred bytes a part.
    size_t limit = payload + 512 * batch.size() + 4096;
    Response response = with_retries(
        options_, printable_, whole, [&] { count_retry(); },
        [&] {
          Response r = perform(spec, limit);
          if (r.status == 206 && r.body.size() < payload && batch.size() == 1)
            throw TransientFailure{
                fmt::format("short read: the server sent {} of {} bytes", r.body.size(), payload)};
          return r;
        });
    if (response.status == 200 || response.overflow) refuse_whole_file(whole);
    if (response.status == 416)
      throw FormatError(
          fmt::format("the server says bytes [{}, {}) are not in the file (HTTP 416): it changed since "
                      "it was opened",
                      whole.offset, whole.offset + whole.length),
          {printable_, whole.offset});
    if (response.status != 206)
      throw IoError(fmt::format("reading bytes [{}, {}) failed: HTTP {}", whole.offset,
                                whole.offset + whole.length, response.status),
                    {printable_, whole.offset});
    count_request(batch.size(), response.body.size());
    if (response.content_type.rfind("multipart/byteranges", 0) == 0) {
      scatter_multipart(response, batch, ranges, outputs);
      return;
    }
    // One part: the server answered one range (perhaps all the asked ones coalesced).
    if (!response.content_range)
      throw IoError("a 206 answer without a Content-Range header", {printable_, whole.offset});
    check_total(*response.content_range, whole);
    uint64_t first = response.content_range->first, end = response.content_range->last + 1;
    if (response.body.size() != end - first)
      throw IoError(fmt::format("the answer's {} bytes disagree with its Content-Range [{}, {})",
                                response.body.size(), first, end),
                    {printable_, first});
    if (first > whole.offset || end < whole.offset + whole.length) {
      if (batch.size() == 1)
        throw IoError(fmt::format("asked for bytes [{}, {}), the server sent [{}, {})", whole.offset,
                                  whole.offset + whole.length, first, end),
                      {printable_, whole.offset});
      // It answered only part of a multi-range request: ask for one range at a time from now on.
      multi_range_ = false;
      for (const Group& g : batch) fetch(std::span<const Group>(&g, 1), ranges, outputs);
      return;
    }
    for (const Group& g : batch)
      copy_group(g, response.body.data() + (g.span.offset - first), ranges, outputs);
  }

  void copy_group(const Group& g, const std::byte* data, std::span<const ByteRange> ranges,
                  std::span<std::byte* const> outputs) const {
    for (size_t i : g.members) {
      std::memcpy(outputs[i], data + (ranges[i].offset - g.span.offset), ranges[i].length);
    }
  }

  // multipart/byteranges: each part is "--boundary", its headers (Content-Range among them), an
  // empty line, then exactly the bytes its Content-Range names.
  void scatter_multipart(const Response& response, std::span<const Group> batch,
                         std::span<const ByteRange> ranges, std::span<std::byte* const> outputs) const {
    std::string_view body(reinterpret_cast<const char*>(response.body.data()), response.body.size());
    size_t position = 0;
    std::vector<bool> filled(batch.size(), false);
    auto broken = [&](const std::string& what) {
      return IoError(
          fmt::format("malformed multipart/byteranges answer: {} at byte {} of the answer", what, position),
          {printable_, batch.front().span.offset});
    };
    while (true) {
      size_t dashes = body.find("--", position);
      if (dashes == std::string_view::npos) throw broken("no closing boundary");
      size_t line_end = body.find("\r\n", dashes);
      if (line_end == std::string_view::npos) break;  // the closing "--boundary--" may end without CRLF
      std::string_view boundary_line = body.substr(dashes, line_end - dashes);
      if (boundary_line.size() >= 4 && boundary_line.substr(boundary_line.size() - 2) == "--") break;
      position = line_end + 2;
      std::optional<ContentRange> part_range;
      while (true) {
        size_t end = body.find("\r\n", position);
        if (end == std::string_view::npos) throw broken("unterminated part headers");
        std::string line(body.substr(position, end - position));
        position = end + 2;
        if (line.empty()) break;
        if (auto value = header_value(line, "content-range"); !value.empty())
          part_range = parse_content_range(value);
      }
      if (!part_range || part_range->last < part_range->first) throw broken("a part without a Content-Range");
      check_total(*part_range, batch.front().span);
      uint64_t first = part_range->first, length = part_range->last + 1 - first;
      if (length > body.size() - position) throw broken("a part shorter than its Content-Range");
      const std::byte* data = response.body.data() + position;
      bool used = false;
      for (size_t g = 0; g < batch.size(); ++g) {
        const ByteRange& span = batch[g].span;
        if (first <= span.offset && first + length >= span.offset + span.length) {
          copy_group(batch[g], data + (span.offset - first), ranges, outputs);
          filled[g] = used = true;
        }
      }
      if (!used)
        throw broken(fmt::format("a part for bytes [{}, {}) that was not asked for", first, first + length));
      position += length;
    }
    for (size_t g = 0; g < batch.size(); ++g)
      if (!filled[g])
        throw IoError(fmt::format("the multipart answer lacks bytes [{}, {})", batch[g].span.offset,
                                  batch[g].span.offset + batch[g].span.length),
                      {printable_, batch[g].span.offset});
  }

  CURL* acquire() const {
    {
      std::lock_guard lock(pool_mutex_);
      if (!idle_.empty()) {
        CURL* handle = idle_.back();
        idle_.pop_back();
        return handle;
      }
    }
    CURL* handle = curl_easy_init();
    if (!handle) throw InternalError("curl_easy_init failed", {printable_});
    curl_easy_setopt(handle, CURLOPT_URL, address_.c_str());
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(handle, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    // A stalled transfer (under 1 byte/s for the request timeout) is abandoned.
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>((options_.request_timeout.count() + 999) / 1000)));
    if (!options_.ca_bundle.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, options_.ca_bundle.c_str());
    if (headers_) curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    return handle;
  }

  void release(CURL* handle) const {
    std::lock_guard lock(pool_mutex_);
    idle_.push_back(handle);
  }

  // One GET with a Range header; transient failures become TransientFailure, a missing file a
  // NotFoundError, a refusal an IoError.
  Response perform(const std::string& range_spec, size_t body_limit) const {
    Response response;
    response.body_limit = body_limit;
    response.body.reserve(std::min<size_t>(body_limit, size_t{64} << 20));
    CURL* handle = acquire();
    std::string range_text = range_spec;
    char error_text[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(handle, CURLOPT_RANGE, range_text.c_str());
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_text);
    CURLcode code = curl_easy_perform(handle);
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, nullptr);
    if (code != CURLE_OK) {
      // A handle whose transfer failed may hold a broken connection: not reused.
      curl_easy_cleanup(handle);
      std::string what = error_text[0] ? error_text : curl_easy_strerror(code);
      // A body larger than asked for was cut off on purpose; its status says why it came.
      if (code != CURLE_WRITE_ERROR || !response.overflow) {
        if (transient(code)) throw TransientFailure{what};
        if (code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CACERT_BADFILE)
          throw IoError(fmt::format("{} (set TRIGML_CA_BUNDLE to a PEM file of the CAs to trust)", what),
                        {printable_});
        throw IoError(what, {printable_});
      }
    } else {
      release(handle);
    }
    if (response.status >= 500 || response.status == 429)
      throw TransientFailure{fmt::format("the server answered HTTP {}", response.status)};
    if (response.status == 404 || response.status == 410)
      throw NotFoundError("no such file on the server (HTTP 404)", {printable_});
    if (response.status == 401 || response.status == 403)
      throw IoError(fmt::format("the server refused access (HTTP {}); credentials come from "
                                "TRIGML_HTTP_AUTHORIZATION, TRIGML_HTTP_AUTH_FILE or BEARER_TOKEN_FILE",
                                response.status),
                    {printable_});
    return response;
  }

  std::string address_;  // with credentials: for libcurl only
  std::string printable_;
  RemoteOptions options_;
  curl_slist* headers_ = nullptr;
  uint64_t size_ = 0;
  mutable std::atomic<bool> multi_range_{true};
  mutable std::mutex pool_mutex_;
  mutable std::vector<CURL*> idle_;
};

}  // namespace

std::unique_ptr<ByteSource> open_http(const Url& url, const RemoteOptions& options) {
  return std::make_unique<HttpSource>(url, options);
}

}  // namespace trigml::io

#include "io/source.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/error.hpp"
#include "io/remote.hpp"
#include "io/url.hpp"

namespace trigml::io {

void ByteSource::read_many(std::span<const ByteRange> ranges, std::span<std::byte* const> outputs) const {
  if (ranges.size() != outputs.size())
    throw InternalError("read_many: ranges and outputs differ in length", {name()});
  for (size_t i = 0; i < ranges.size(); ++i)
    read(ranges[i].offset, std::span<std::byte>(outputs[i], ranges[i].length));
}

std::vector<std::byte> ByteSource::read(uint64_t offset, uint64_t length) const {
  check_range(offset, length);
  std::vector<std::byte> out(length);
  read(offset, std::span<std::byte>(out));
  return out;
}

SourceStats ByteSource::stats() const {
  return {requests_.load(), vector_reads_.load(), ranges_.load(), bytes_.load(), retries_.load()};
}

void ByteSource::count_request(uint64_t ranges, uint64_t bytes) const {
  requests_.fetch_add(1, std::memory_order_relaxed);
  if (ranges > 1) vector_reads_.fetch_add(1, std::memory_order_relaxed);
  ranges_.fetch_add(ranges, std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
}

void ByteSource::check_range(uint64_t offset, uint64_t length) const {
  uint64_t total = size();
  if (offset > total || length > total - offset)
    throw FormatError(
        fmt::format("file is truncated or corrupt: needed bytes [{}, {}) but the file has {} bytes", offset,
                    offset + length, total),
        {name(), offset});
}

LocalFileSource::LocalFileSource(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    int err = errno;
    if (err == ENOENT) throw NotFoundError("no such file", {path_});
    throw IoError(fmt::format("cannot open: {}", std::strerror(err)), {path_});
  }
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    int err = errno;
    ::close(fd_);
    throw IoError(fmt::format("cannot stat: {}", std::strerror(err)), {path_});
  }
  if (S_ISDIR(info.st_mode)) {
    ::close(fd_);
    throw UsageError("is a directory, not a file", {path_});
  }
  size_ = static_cast<uint64_t>(info.st_size);
  if (size_ > 0 && std::getenv("TRIGML_NO_MMAP") == nullptr) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (mapped != MAP_FAILED) mapping_ = static_cast<const std::byte*>(mapped);
  }
}

LocalFileSource::~LocalFileSource() {
  if (mapping_) ::munmap(const_cast<std::byte*>(mapping_), size_);
  if (fd_ >= 0) ::close(fd_);
}

void LocalFileSource::read(uint64_t offset, std::span<std::byte> out) const {
  check_range(offset, out.size());
  if (mapping_) {
    if (!out.empty()) std::memcpy(out.data(), mapping_ + offset, out.size());
    return;
  }
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("read failed: {}", std::strerror(errno)), {path_, offset + done});
    }
    if (n == 0)
      throw FormatError("unexpected end of file (file shrank while reading?)", {path_, offset + done});
    done += static_cast<size_t>(n);
  }
}

MemorySource::MemorySource(std::string name, std::vector<std::byte> bytes)
    : name_(std::move(name)), bytes_(std::move(bytes)) {}

void MemorySource::read(uint64_t offset, std::span<std::byte> out) const {
  check_range(offset, out.size());
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
}

std::chrono::milliseconds from_seconds(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

namespace {

std::optional<double> environment_number(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == 0) return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (*end != 0 || value < 0)
    throw UsageError(fmt::format("environment variable {}='{}' is not a non-negative number", name, text));
  return value;
}

RemoteOptions options_from_environment() {
  RemoteOptions options;
  if (auto v = environment_number("TRIGML_IO_TIMEOUT")) options.request_timeout = from_seconds(*v);
  if (auto v = environment_number("TRIGML_IO_CONNECT_TIMEOUT")) options.connect_timeout = from_seconds(*v);
  if (auto v = environment_number("TRIGML_IO_RETRIES")) options.retries = static_cast<int>(*v);
  if (auto v = environment_number("TRIGML_IO_BACKOFF_MS"))
    options.backoff = std::chrono::milliseconds(int64_t(*v));
  if (auto v = environment_number("TRIGML_IO_READ_AHEAD_MB"))
    options.read_ahead_bytes = uint64_t(*v * 1048576);
  for (const char* name : {"TRIGML_CA_BUNDLE", "CURL_CA_BUNDLE"})
    if (const char* value = std::getenv(name); value && *value && options.ca_bundle.empty())
      options.ca_bundle = value;
  if (const char* value = std::getenv("TRIGML_HTTP_AUTH_FILE")) options.authorization_file = value;
  return options;
}

}  // namespace

RemoteOptions& remote_options() {
  static RemoteOptions options = options_from_environment();
  return options;
}

std::unique_ptr<ByteSource> open_source(const std::string& location) {
  Url url = parse_url(location);
  switch (url.scheme) {
    case Scheme::File: return std::make_unique<LocalFileSource>(url.path);
    case Scheme::XRootD: return open_xrootd(url, remote_options());
    case Scheme::Http:
    case Scheme::Https: return open_http(url, remote_options());
  }
  throw InternalError("unhandled URL scheme", {url.printable()});
}

std::vector<std::string> list_remote_directory(const std::string& location) {
  Url url = parse_url(location);
  if (url.scheme != Scheme::XRootD)
    throw UsageError("only root:// directories can be listed; give the files in a list file (@list.txt)",
                     {url.printable()});
  return list_xrootd_directory(url, remote_options());
}

std::string read_text(const std::string& location) {
  auto source = open_source(location);
  auto bytes = source->read(0, source->size());
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace trigml::io

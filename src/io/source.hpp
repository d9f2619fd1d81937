// Layer 1 of the readers: a byte source hands out byte ranges and knows nothing of ROOT or
// Parquet. Local files, XRootD and HTTP(S) servers implement it; tests feed in-memory buffers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace trigml::io {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// What a source asked of its server: `trigml inspect URL` prints it, the benchmarks report it.
// Local files count nothing (no network).
struct SourceStats {
  uint64_t requests = 0;      // round trips to the server, including the opening ones
  uint64_t vector_reads = 0;  // requests that carried more than one range
  uint64_t ranges = 0;        // byte ranges asked for
  uint64_t bytes = 0;         // payload bytes received
  uint64_t retries = 0;       // requests repeated after a transient failure
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // The file name or URL, used in every error message.
  virtual const std::string& name() const = 0;
  virtual uint64_t size() const = 0;
  // Reads exactly out.size() bytes at offset. A range past the end is a FormatError (the file is
  // shorter than its own metadata says: truncated); an OS failure is an IoError. Thread-safe.
  virtual void read(uint64_t offset, std::span<std::byte> out) const = 0;
  // Vectored read: fills outputs[i] (of size ranges[i].length) from ranges[i]. Remote sources
  // send these as one request; the local file issues positioned reads.
  virtual void read_many(std::span<const ByteRange> ranges, std::span<std::byte* const> outputs) const;

  std::vector<std::byte> read(uint64_t offset, uint64_t length) const;
  // The whole content, when the source holds it in (mapped) memory: readers then use it in
  // place instead of copying. Empty for sources that must be read piecewise (remote ones).
  virtual std::span<const std::byte> contiguous() const { return {}; }
  SourceStats stats() const;

 protected:
  void check_range(uint64_t offset, uint64_t length) const;
  // Counted by remote sources as they talk to their server; safe from many threads.
  void count_request(uint64_t ranges, uint64_t bytes) const;
  void count_retry() const { retries_.fetch_add(1, std::memory_order_relaxed); }

 private:
  mutable std::atomic<uint64_t> requests_{0}, vector_reads_{0}, ranges_{0}, bytes_{0}, retries_{0};
};

// A local file, memory-mapped (pages load on demand, nothing is read twice) or, where mapping
// fails or TRIGML_NO_MMAP is set, read with pread(2). Safe from many threads.
class LocalFileSource final : public ByteSource {
 public:
  explicit LocalFileSource(std::string path);
  ~LocalFileSource() override;
  LocalFileSource(const LocalFileSource&) = delete;
  LocalFileSource& operator=(const LocalFileSource&) = delete;

  const std::string& name() const override { return path_; }
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, std::span<std::byte> out) const override;
  std::span<const std::byte> contiguous() const override { return {mapping_, mapping_ ? size_ : 0}; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  const std::byte* mapping_ = nullptr;
};

// Bytes already in memory (tests, fuzzing, data received from elsewhere).
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string name, std::vector<std::byte> bytes);
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, std::span<std::byte> out) const override;
  std::span<const std::byte> contiguous() const override { return bytes_; }

 private:
  std::string name_;
  std::vector<std::byte> bytes_;
};

// How remote sources wait and retry, and where their credentials come from. Every network wait
// has a timeout; a transient failure (connection refused or reset, timeout, HTTP 5xx) is retried
// `retries` times, the k-th after backoff * 2^k.
struct RemoteOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};  // without progress, per request
  int retries = 3;
  std::chrono::milliseconds backoff{500};
  // How many bytes a reader may fetch ahead of the range it decodes, so that the next range's
  // request overlaps this one's decoding (sources not held in memory only); 0 turns it off.
  uint64_t read_ahead_bytes = uint64_t{256} << 20;
  std::string ca_bundle;           // PEM file of trusted CAs for https (empty: the system's)
  std::string authorization_file;  // file holding an HTTP Authorization header value
};

// A timeout given in seconds (the environment's and the flags' unit), to the millisecond.
std::chrono::milliseconds from_seconds(double seconds);

// The process-wide options: the environment's (TRIGML_IO_TIMEOUT and TRIGML_IO_CONNECT_TIMEOUT in
// seconds, TRIGML_IO_RETRIES, TRIGML_IO_BACKOFF_MS, TRIGML_IO_READ_AHEAD_MB, TRIGML_CA_BUNDLE or
// CURL_CA_BUNDLE, TRIGML_HTTP_AUTH_FILE), which the programs' flags may then change.
RemoteOptions& remote_options();

// Opens a local path, file://, root:// (and roots://) or http(s):// URL as a byte source.
std::unique_ptr<ByteSource> open_source(const std::string& location);

// The names in a remote directory (XRootD's listing), for globs over root:// URLs.
std::vector<std::string> list_remote_directory(const std::string& url);

// A small file's whole content (list files, manifests), from any location open_source takes.
std::string read_text(const std::string& location);

}  // namespace trigml::io

// Layer 1 of the reader: a byte source hands out byte ranges and knows nothing of ROOT.
// Local files now; XRootD and HTTP sources implement the same interface later, and tests
// feed in-memory buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace trigml::rootio {

struct ByteRange {
  uint64_t offset = 0;
  uint64_t length = 0;
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

 protected:
  void check_range(uint64_t offset, uint64_t length) const;
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

// Opens a path (or, later, a root:// or https:// URL) as a byte source.
std::unique_ptr<ByteSource> open_source(const std::string& location);

}  // namespace trigml::rootio

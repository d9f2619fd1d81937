#include "rootio/source.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/error.hpp"

namespace trigml::rootio {

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

void ByteSource::check_range(uint64_t offset, uint64_t length) const {
  uint64_t total = size();
  if (offset > total || length > total - offset)
    throw FormatError(fmt::format("file is truncated or corrupt: needed bytes [{}, {}) but the file has {} bytes",
                                  offset, offset + length, total),
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
    if (n == 0) throw FormatError("unexpected end of file (file shrank while reading?)", {path_, offset + done});
    done += static_cast<size_t>(n);
  }
}

MemorySource::MemorySource(std::string name, std::vector<std::byte> bytes)
    : name_(std::move(name)), bytes_(std::move(bytes)) {}

void MemorySource::read(uint64_t offset, std::span<std::byte> out) const {
  check_range(offset, out.size());
  if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
}

std::unique_ptr<ByteSource> open_source(const std::string& location) {
  auto scheme_end = location.find("://");
  if (scheme_end != std::string::npos && location.compare(0, scheme_end, "file") != 0)
    throw UnsupportedError(
        fmt::format("remote sources ({}://) are not available in this build yet", location.substr(0, scheme_end)),
        {location});
  std::string path = scheme_end == std::string::npos ? location : location.substr(scheme_end + 3);
  return std::make_unique<LocalFileSource>(std::move(path));
}

}  // namespace trigml::rootio

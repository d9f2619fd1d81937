#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"

namespace trigml {

namespace {
std::string os_error() {
  return std::strerror(errno);
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path final_path) : final_path_(std::move(final_path)) {
  temporary_path_ = final_path_;
  temporary_path_ += fmt::format(".tmp-{}", ::getpid());
  fd_ = ::open(temporary_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw IoError(fmt::format("cannot create output: {}", os_error()), {final_path_.string()});
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_path_.c_str());
}

void AtomicFile::write(std::span<const std::byte> bytes) {
  write_at(size_, bytes);
}

void AtomicFile::write_at(uint64_t offset, std::span<const std::byte> bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(fmt::format("write failed: {}", os_error()), {final_path_.string(), offset + done});
    }
    done += static_cast<size_t>(n);
  }
  if (offset + bytes.size() > size_) size_ = offset + bytes.size();
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) throw IoError(fmt::format("fsync failed: {}", os_error()), {final_path_.string()});
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw IoError(fmt::format("close failed: {}", os_error()), {final_path_.string()});
  }
  fd_ = -1;
  if (::rename(temporary_path_.c_str(), final_path_.c_str()) != 0)
    throw IoError(fmt::format("rename from {} failed: {}", temporary_path_.string(), os_error()),
                  {final_path_.string()});
  committed_ = true;
}

void remove_stale_temporaries(const std::filesystem::path& final_path) {
  namespace fs = std::filesystem;
  const fs::path directory = final_path.has_parent_path() ? final_path.parent_path() : fs::path(".");
  const std::string prefix = final_path.filename().string() + ".tmp-";
  std::error_code missing;
  for (const auto& entry : fs::directory_iterator(directory, missing)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // its run is alive (or not ours to judge)
    fs::remove_all(entry.path());
  }
}

}  // namespace trigml

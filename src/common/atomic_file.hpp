// Outputs are written under a temporary name and renamed only when complete, so a failed or
// interrupted run never leaves a file that looks finished.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace trigml {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path final_path);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary file unless commit() succeeded

  void write(std::span<const std::byte> bytes);
  void write_at(uint64_t offset, std::span<const std::byte> bytes);  // patch already-written bytes
  uint64_t size() const { return size_; }
  // Flushes to disk and renames onto the final path.
  void commit();

  const std::filesystem::path& path() const { return final_path_; }
  const std::filesystem::path& temporary_path() const { return temporary_path_; }

 private:
  std::filesystem::path final_path_;
  std::filesystem::path temporary_path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// Removes what killed runs left of `final_path`: its temporaries (`final_path.tmp-PID`, files or
// directories) whose process is gone. A live run's are left alone.
void remove_stale_temporaries(const std::filesystem::path& final_path);

}  // namespace trigml

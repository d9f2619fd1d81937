// A file's bytes handed out piecewise, as a remote source hands them out (nothing contiguous in
// memory), counting the ranges each thread asks for: the readers' prefetching is checked on it.
#pragma once

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "io/source.hpp"

namespace trigml::testing {

class PiecewiseSource final : public io::ByteSource {
 public:
  explicit PiecewiseSource(const std::filesystem::path& file) : name_(file.string()) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bytes_.resize(chars.size());
    std::memcpy(bytes_.data(), chars.data(), chars.size());
  }
  const std::string& name() const override { return name_; }
  uint64_t size() const override { return bytes_.size(); }
  void read(uint64_t offset, std::span<std::byte> out) const override {
    check_range(offset, out.size());
    std::copy_n(bytes_.begin() + static_cast<ptrdiff_t>(offset), out.size(), out.begin());
  }
  void read_many(std::span<const io::ByteRange> ranges, std::span<std::byte* const> outputs) const override {
    std::lock_guard lock(mutex_);
    ++requests_;
    for (size_t i = 0; i < ranges.size(); ++i) {
      read(ranges[i].offset, {outputs[i], ranges[i].length});
      ++fetches_[ranges[i].offset];
      (std::this_thread::get_id() == creator_ ? on_creating_thread_ : elsewhere_) += 1;
    }
  }

  struct Counts {
    std::map<uint64_t, int> fetches;  // range offset -> times fetched by read_many
    int requests = 0;                 // read_many calls
    int on_creating_thread = 0;       // ranges asked for by the thread that made the source
    int elsewhere = 0;                // ranges asked for by other (background) threads
  };
  Counts counts() const {
    std::lock_guard lock(mutex_);
    return {fetches_, requests_, on_creating_thread_, elsewhere_};
  }

 private:
  std::string name_;
  std::vector<std::byte> bytes_;
  std::thread::id creator_ = std::this_thread::get_id();
  mutable std::mutex mutex_;
  mutable std::map<uint64_t, int> fetches_;
  mutable int requests_ = 0, on_creating_thread_ = 0, elsewhere_ = 0;
};

}  // namespace trigml::testing

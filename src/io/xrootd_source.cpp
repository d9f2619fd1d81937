// root:// through the XRootD client (XrdCl): the open file's size from Stat, single ranges with
// Read and many with VectorRead (at most 1024 chunks a request, the protocol's limit).
#include <XrdCl/XrdClDefaultEnv.hh>
#include <XrdCl/XrdClFile.hh>
#include <XrdCl/XrdClFileSystem.hh>
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "io/remote.hpp"

namespace trigml::io {
namespace {

constexpr size_t kMaxChunksPerVectorRead = 1024;
// A vector read's chunks are limited in size by the server (readv_ior_max); larger ranges are
// read on their own.
constexpr uint64_t kMaxVectorChunkBytes = 1u << 20;

uint16_t timeout_seconds(std::chrono::milliseconds timeout) {
  auto s = std::chrono::duration_cast<std::chrono::seconds>(timeout + std::chrono::milliseconds(999)).count();
  return static_cast<uint16_t>(std::clamp<int64_t>(s, 1, 65535));
}

// XrdCl's own connection retries would otherwise wait minutes (5 x 120 s) on a host that refuses
// connections; trigml retries itself, with its timeouts.
void configure_client(const RemoteOptions& options) {
  static std::once_flag once;
  std::call_once(once, [&] {
    XrdCl::Env* env = XrdCl::DefaultEnv::GetEnv();
    env->PutInt("ConnectionWindow", timeout_seconds(options.connect_timeout));
    env->PutInt("ConnectionRetry", 1);
    env->PutInt("RequestTimeout", timeout_seconds(options.request_timeout));
    env->PutInt("StreamErrorWindow", 0);
  });
}

bool transient(const XrdCl::XRootDStatus& status) {
  // Errors reported by the server about the file itself (kXR_NotFound, kXR_NotAuthorized, ...)
  // are final; socket and timeout failures are not.
  return !status.IsOK() && status.code != XrdCl::errErrorResponse && status.code != XrdCl::errInvalidArgs;
}

class XRootDSource final : public ByteSource {
 public:
  XRootDSource(const Url& url, const RemoteOptions& options)
      : url_(url), printable_(url.printable()), options_(options) {
    configure_client(options_);
    with_retries(
        options_, printable_, {0, 0}, [&] { count_retry(); }, [&] { open(); });
  }
  ~XRootDSource() override {
    if (file_->IsOpen()) close(timeout_seconds(options_.request_timeout));
  }

  const std::string& name() const override { return printable_; }
  uint64_t size() const override { return size_; }

  void read(uint64_t offset, std::span<std::byte> out) const override {
    check_range(offset, out.size());
    if (out.empty()) return;
    with_retries(
        options_, printable_, {offset, out.size()}, [&] { reopen(); },
        [&] {
          uint32_t got = 0;
          std::shared_lock lock(file_mutex_);
          auto status = file_->Read(offset, static_cast<uint32_t>(out.size()), out.data(), got,
                                    timeout_seconds(options_.request_timeout));
          count_request(1, got);
          fail_unless_ok(status, {offset, out.size()});
          if (got != out.size())
            throw TransientFailure{
                fmt::format("short read: the server sent {} of {} bytes", got, out.size())};
        });
  }

  void read_many(std::span<const ByteRange> ranges, std::span<std::byte* const> outputs) const override {
    if (ranges.size() != outputs.size())
      throw InternalError("read_many: ranges and outputs differ in length", {printable_});
    XrdCl::ChunkList chunks;
    uint64_t chunk_bytes = 0;
    auto flush = [&] {
      if (chunks.empty()) return;
      ByteRange span{chunks.front().offset,
                     chunks.back().offset + chunks.back().length - chunks.front().offset};
      with_retries(
          options_, printable_, span, [&] { reopen(); },
          [&] {
            XrdCl::VectorReadInfo* info = nullptr;
            std::shared_lock lock(file_mutex_);
            auto status = file_->VectorRead(chunks, nullptr, info, timeout_seconds(options_.request_timeout));
            std::unique_ptr<XrdCl::VectorReadInfo> owned(info);
            count_request(chunks.size(), owned ? owned->GetSize() : 0);
            fail_unless_ok(status, span);
            if (!owned || owned->GetSize() != chunk_bytes)
              throw TransientFailure{fmt::format("short vector read: the server sent {} of {} bytes",
                                                 owned ? owned->GetSize() : 0, chunk_bytes)};
          });
      chunks.clear();
      chunk_bytes = 0;
    };
    for (size_t i = 0; i < ranges.size(); ++i) {
      check_range(ranges[i].offset, ranges[i].length);
      if (ranges[i].length == 0) continue;
      if (ranges[i].length > kMaxVectorChunkBytes) {
        read(ranges[i].offset, std::span<std::byte>(outputs[i], ranges[i].length));
        continue;
      }
      chunks.emplace_back(ranges[i].offset, static_cast<uint32_t>(ranges[i].length), outputs[i]);
      chunk_bytes += ranges[i].length;
      if (chunks.size() == kMaxChunksPerVectorRead) flush();
    }
    if (chunks.size() == 1) {
      auto only = chunks.front();
      chunks.clear();
      read(only.offset, std::span<std::byte>(static_cast<std::byte*>(only.buffer), only.length));
    }
    flush();
  }

 private:
  void fail_unless_ok(const XrdCl::XRootDStatus& status, ByteRange range) const {
    if (status.IsOK()) return;
    if (transient(status)) throw TransientFailure{status.ToString()};
    throw IoError(fmt::format("reading bytes [{}, {}) failed: {}", range.offset, range.offset + range.length,
                              status.ToString()),
                  {printable_, range.offset});
  }

  void open() const {
    auto status = file_->Open(url_.full(), XrdCl::OpenFlags::Read, XrdCl::Access::None,
                              timeout_seconds(options_.connect_timeout + options_.request_timeout));
    count_request(0, 0);
    if (!status.IsOK()) {
      if (transient(status)) throw TransientFailure{status.ToString()};
      if (status.errNo == kXR_NotFound)
        throw NotFoundError("no such file on the XRootD server", {printable_});
      throw IoError(fmt::format("cannot open: {}", status.ToString()), {printable_});
    }
    XrdCl::StatInfo* info = nullptr;
    status = file_->Stat(false, info, timeout_seconds(options_.request_timeout));
    std::unique_ptr<XrdCl::StatInfo> owned(info);
    count_request(0, 0);
    if (!status.IsOK() || !owned) throw TransientFailure{fmt::format("stat failed: {}", status.ToString())};
    uint64_t size = owned->GetSize();
    if (opened_ && size != size_)
      throw FormatError(
          fmt::format("the file changed size since it was opened: {} bytes then, {} now", size_, size),
          {printable_});
    size_ = size;
    opened_ = true;
  }

  // A read-only file loses nothing when its close fails.
  void close(uint16_t timeout) const { [[maybe_unused]] XrdCl::XRootDStatus status = file_->Close(timeout); }

  // After a failure the client may hold a broken stream: open the file anew, and check it is
  // still the file that was opened.
  void reopen() const {
    std::unique_lock lock(file_mutex_);
    count_retry();
    if (file_->IsOpen()) close(1);
    // A File whose stream broke does not reconnect: a new one does.
    file_ = std::make_unique<XrdCl::File>();
    open();
  }

  Url url_;
  std::string printable_;
  RemoteOptions options_;
  mutable std::unique_ptr<XrdCl::File> file_ = std::make_unique<XrdCl::File>();
  mutable std::shared_mutex file_mutex_;  // reads share file_, a reopen replaces it
  mutable uint64_t size_ = 0;             // set by the first open; a reopen checks it
  mutable bool opened_ = false;
};

}  // namespace

std::unique_ptr<ByteSource> open_xrootd(const Url& url, const RemoteOptions& options) {
  return std::make_unique<XRootDSource>(url, options);
}

std::vector<std::string> list_xrootd_directory(const Url& url, const RemoteOptions& options) {
  configure_client(options);
  XrdCl::FileSystem filesystem(XrdCl::URL(url.with_path("/").full()));
  std::string printable = url.printable();
  return with_retries(options, printable, {0, 0}, nullptr, [&] {
    XrdCl::DirectoryList* list = nullptr;
    auto status = filesystem.DirList(url.path, XrdCl::DirListFlags::None, list,
                                     timeout_seconds(options.request_timeout));
    std::unique_ptr<XrdCl::DirectoryList> owned(list);
    if (!status.IsOK()) {
      if (transient(status)) throw TransientFailure{status.ToString()};
      if (status.errNo == kXR_NotFound)
        throw NotFoundError("no such directory on the XRootD server", {printable});
      throw IoError(fmt::format("cannot list the directory: {}", status.ToString()), {printable});
    }
    std::vector<std::string> names;
    for (auto it = owned->Begin(); it != owned->End(); ++it) names.push_back((*it)->GetName());
    return names;
  });
}

}  // namespace trigml::io

// The remote schemes left out of this build: their URLs get an error naming the build option.
#include "io/remote.hpp"

namespace trigml::io {

#if !TRIGML_WITH_XROOTD
std::unique_ptr<ByteSource> open_xrootd(const Url& url, const RemoteOptions&) {
  throw UnsupportedError("this build has no XRootD client (configured with TRIGML_WITH_XROOTD=OFF)",
                         {url.printable()});
}

std::vector<std::string> list_xrootd_directory(const Url& url, const RemoteOptions&) {
  throw UnsupportedError("this build has no XRootD client (configured with TRIGML_WITH_XROOTD=OFF)",
                         {url.printable()});
}
#endif

#if !TRIGML_WITH_HTTP
std::unique_ptr<ByteSource> open_http(const Url& url, const RemoteOptions&) {
  throw UnsupportedError("this build has no HTTP client (configured with TRIGML_WITH_HTTP=OFF)",
                         {url.printable()});
}
#endif

}  // namespace trigml::io

#include "common/error.hpp"
#include "export/onnx.hpp"

namespace trigml::exporter {

bool onnx_available() {
  return false;
}

void write_onnx(const Network&, const OnnxOptions&, const std::filesystem::path& out) {
  throw UsageError(
      "this trigml was built without ONNX (configure with -DTRIGML_WITH_ONNX=ON and libonnx-dev)",
      {out.string()});
}

}  // namespace trigml::exporter

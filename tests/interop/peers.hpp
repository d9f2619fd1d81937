// The interoperability peers installed by tests/interop/install (npm packages under
// tests/interop/node_modules), and quoting for the shell commands that run them.
#pragma once

#include <filesystem>
#include <string>

namespace trigml::testing {

inline const std::filesystem::path kInterop = std::filesystem::path(TRIGML_SOURCE_DIR) / "tests" / "interop";

inline bool duckdb_available() {
  return std::filesystem::exists(kInterop / "node_modules" / "@duckdb" / "node-api");
}

inline bool onnxruntime_available() {
  return std::filesystem::exists(kInterop / "node_modules" / "onnxruntime-node");
}

// A single-quoted shell word.
inline std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace trigml::testing

// libFuzzer target: arbitrary bytes as the TOML files a user hands to ingest, a schema mapping
// (--schema FILE.toml) and an ingest configuration (--config FILE.toml). Only trigml::Error may
// escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.hpp"
#include "ingest/ingest.hpp"
#include "ingest/schema.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    trigml::ingest::parse_schema(text, "fuzz-schema.toml");
  } catch (const trigml::Error&) {
  }
  try {
    trigml::ingest::parse_ingest_config(text, "fuzz-config.toml");
  } catch (const trigml::Error&) {
  }
  return 0;
}

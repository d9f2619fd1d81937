// The ROOT test corpus: $TRIGML_TEST_DATA, else the directory configured at build time
// (-DTRIGML_CORPUS_DIR, default ../shared/data/root). A clone without it still builds and tests,
// and the tests that read it skip, saying where they looked.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace trigml::testing {

inline std::string corpus_dir() {
  const char* configured = std::getenv("TRIGML_TEST_DATA");
  return configured && *configured ? configured : TRIGML_CORPUS_DIR;
}

}  // namespace trigml::testing

#define TRIGML_SKIP_WITHOUT_CORPUS()                                                                  \
  if (!std::filesystem::is_directory(std::filesystem::path(trigml::testing::corpus_dir()) / "files")) \
  GTEST_SKIP() << "no ROOT corpus at " << trigml::testing::corpus_dir() << " (set TRIGML_TEST_DATA)"

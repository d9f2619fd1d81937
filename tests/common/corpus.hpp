// The ROOT test corpus (../shared/data/root unless configured otherwise): a clone without it still
// builds and tests, and the tests that read it skip, saying where they looked.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#define TRIGML_SKIP_WITHOUT_CORPUS()                                                      \
  if (!std::filesystem::is_directory(std::filesystem::path(TRIGML_CORPUS_DIR) / "files")) \
  GTEST_SKIP() << "no ROOT corpus at " << TRIGML_CORPUS_DIR << " (configure with -DTRIGML_CORPUS_DIR=...)"

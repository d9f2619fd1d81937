// `trigml prepare`: an ingested dataset → balanced, split, scaled, sorted and shuffled train and
// test datasets, out of core and byte-for-byte reproducible (any thread count, any memory limit).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "parquet/dataset.hpp"

namespace trigml::prepare {

struct PrepareOptions {
  std::filesystem::path input;
  std::filesystem::path out;
  uint64_t seed = 42;
  double test_fraction = 0.2;
  std::vector<double> balance_ratio;   // empty: every class to the smallest one's size
  uint64_t memory_limit = 2ull << 30;  // bytes for the shuffle's buckets
  unsigned threads = 0;
  uint64_t rows_per_part = 200000;
  parquet::Codec codec = parquet::kDatasetCodec;
  bool progress = true;
  // An output that exists is kept if these options made it; otherwise a killed run's staging
  // directory is removed and the output made anew (the result depends only on the options).
  bool resume = false;
};

struct PrepareSummary {
  std::vector<std::string> classes;
  std::vector<uint64_t> available, train, test;  // per class
  uint64_t shuffle_buckets = 0;
  double seconds = 0;
  nlohmann::json preprocessing;  // what preprocessing.json holds
};

PrepareSummary run_prepare(const PrepareOptions& options);

}  // namespace trigml::prepare

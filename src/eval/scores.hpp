// scores.parquet: one row per evaluated event with its true label, the predicted probability of
// every class and where the event came from, for plots and checks outside trigml.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace trigml::eval {

struct Scores {
  std::vector<std::string> class_names;  // from the p_<class> columns, in column order
  std::vector<int32_t> labels;
  std::vector<float> probabilities;  // N×K, row-major
  std::vector<std::string> source_file;
  std::vector<int64_t> entry;

  size_t events() const { return labels.size(); }
};

// Columns: label (int32), p_<class> (float) per class in class_names order, source_file
// (string), entry (int64). probabilities is N×K row-major. The file appears only when complete.
// UsageError when the sizes disagree.
void write_scores(const std::filesystem::path& path, std::span<const int32_t> labels,
                  std::span<const float> probabilities, const std::vector<std::string>& class_names,
                  std::span<const std::string> source_file, std::span<const int64_t> entry);

// Reads a file written by write_scores (or any Parquet file with those columns and types).
// FormatError or NotFoundError, naming the file and column, otherwise.
Scores read_scores(const std::filesystem::path& path);

}  // namespace trigml::eval

#include "eval/scores.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "parquet/reader.hpp"
#include "parquet/writer.hpp"

namespace trigml::eval {

namespace {

constexpr std::string_view kProbabilityPrefix = "p_";
// Rows transposed from N×K into per-class columns at a time, so memory stays bounded.
constexpr size_t kRowsPerBatch = 1 << 16;

}  // namespace

void write_scores(const std::filesystem::path& path, std::span<const int32_t> labels,
                  std::span<const float> probabilities, const std::vector<std::string>& class_names,
                  std::span<const std::string> source_file, std::span<const int64_t> entry) {
  const size_t events = labels.size(), classes = class_names.size();
  if (classes == 0) throw UsageError("scores: no class names", {path.string()});
  if (probabilities.size() != events * classes || source_file.size() != events || entry.size() != events)
    throw UsageError(
        fmt::format("scores: {} labels, {} probabilities for {} classes, {} source files and {} entries "
                    "do not describe the same events",
                    events, probabilities.size(), classes, source_file.size(), entry.size()),
        {path.string()});
  using parquet::ColumnType;
  std::vector<parquet::ColumnSpec> columns = {{"label", ColumnType::Int32}};
  for (const std::string& name : class_names)
    columns.push_back({std::string(kProbabilityPrefix) + name, ColumnType::Float});
  columns.push_back({"source_file", ColumnType::String});
  columns.push_back({"entry", ColumnType::Int64});

  parquet::Writer writer(path, columns);
  std::vector<std::vector<float>> per_class(classes, std::vector<float>(std::min(events, kRowsPerBatch)));
  std::vector<parquet::ColumnValues> values(columns.size());
  for (size_t first = 0; first < events; first += kRowsPerBatch) {
    size_t rows = std::min(kRowsPerBatch, events - first);
    for (size_t i = 0; i < rows; ++i)
      for (size_t k = 0; k < classes; ++k) per_class[k][i] = probabilities[(first + i) * classes + k];
    values[0].int32s = labels.subspan(first, rows);
    for (size_t k = 0; k < classes; ++k)
      values[1 + k].floats = std::span<const float>(per_class[k]).first(rows);
    values[1 + classes].strings = source_file.subspan(first, rows);
    values[2 + classes].int64s = entry.subspan(first, rows);
    writer.write(rows, values);
  }
  writer.close();
}

Scores read_scores(const std::filesystem::path& path) {
  auto reader = parquet::FileReader::open(path.string());
  const auto& infos = reader->columns();
  auto column_of_type = [&](const std::string& name, parquet::PhysicalType physical, bool is_string) {
    size_t index = reader->column(name);
    const parquet::ColumnInfo& info = infos[index];
    if (info.physical != physical || info.is_string != is_string || info.max_repetition != 0)
      throw FormatError(fmt::format("scores: unexpected type {}", info.type_name()),
                        {path.string(), std::nullopt, fmt::format("column '{}'", name)});
    return index;
  };
  Scores scores;
  std::vector<size_t> probability_columns;
  for (size_t c = 0; c < infos.size(); ++c) {
    if (!infos[c].name.starts_with(kProbabilityPrefix)) continue;
    scores.class_names.push_back(infos[c].name.substr(kProbabilityPrefix.size()));
    probability_columns.push_back(column_of_type(infos[c].name, parquet::PhysicalType::Float, false));
  }
  if (probability_columns.empty())
    throw NotFoundError("scores: no probability columns (p_<class>)", {path.string()});
  size_t label_column = column_of_type("label", parquet::PhysicalType::Int32, false);
  size_t source_column = column_of_type("source_file", parquet::PhysicalType::ByteArray, true);
  size_t entry_column = column_of_type("entry", parquet::PhysicalType::Int64, false);

  const size_t classes = probability_columns.size();
  const auto rows = static_cast<size_t>(reader->rows());
  scores.labels.reserve(rows);
  scores.probabilities.resize(rows * classes);
  scores.source_file.reserve(rows);
  scores.entry.reserve(rows);
  parquet::ColumnData data;
  size_t first = 0;
  // Reads one column of one row group into `data`, checking it has a value for every row.
  auto read_column = [&](size_t group, size_t column, size_t group_rows) {
    data.clear(infos[column]);
    reader->read(group, column, data);
    ErrorContext where(path.string(), std::nullopt, fmt::format("column '{}'", infos[column].name));
    if (data.slots() != group_rows)
      throw FormatError(
          fmt::format("scores: {} values in row group {} of {} rows", data.slots(), group, group_rows),
          where);
    if (std::find(data.valid.begin(), data.valid.end(), 0) != data.valid.end())
      throw FormatError(fmt::format("scores: a null value in row group {}", group), where);
  };
  for (size_t group = 0; group < reader->row_groups(); ++group) {
    auto group_rows = static_cast<size_t>(reader->metadata().row_groups[group].num_rows);
    if (first + group_rows > rows)
      throw FormatError(fmt::format("scores: row group {} goes past the {} rows of the footer", group, rows),
                        {path.string()});
    read_column(group, label_column, group_rows);
    auto labels = data.as<int32_t>();
    scores.labels.insert(scores.labels.end(), labels.begin(), labels.end());
    for (size_t k = 0; k < classes; ++k) {
      read_column(group, probability_columns[k], group_rows);
      auto values = data.as<float>();
      for (size_t i = 0; i < group_rows; ++i) scores.probabilities[(first + i) * classes + k] = values[i];
    }
    read_column(group, source_column, group_rows);
    for (size_t i = 0; i < group_rows; ++i)
      scores.source_file.emplace_back(
          reinterpret_cast<const char*>(data.values.data()) + data.string_offsets[i],
          static_cast<size_t>(data.string_offsets[i + 1] - data.string_offsets[i]));
    read_column(group, entry_column, group_rows);
    auto entries = data.as<int64_t>();
    scores.entry.insert(scores.entry.end(), entries.begin(), entries.end());
    first += group_rows;
  }
  if (first != rows)
    throw FormatError(fmt::format("scores: the row groups hold {} rows, the footer says {}", first, rows),
                      {path.string()});
  return scores;
}

}  // namespace trigml::eval

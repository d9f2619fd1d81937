// `inspect` and `dump` for Parquet files and dataset directories.
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common/error.hpp"
#include "common/json_values.hpp"
#include "io/url.hpp"
#include "parquet/dataset.hpp"

namespace trigml::cli {

namespace fs = std::filesystem;

bool is_parquet_path(const std::string& path) {
  // A remote dataset is named by its directory URL, ending in '/'.
  if (io::is_remote(path) ? path.ends_with("/") : fs::is_directory(path)) return true;
  return path.size() >= 8 && path.compare(path.size() - 8, 8, ".parquet") == 0;
}

void inspect_parquet(const std::string& path, bool json) {
  nlohmann::ordered_json out;
  out["path"] = io::printable_location(path);
  out["format"] = "parquet";
  uint64_t rows = 0, bytes = 0;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  nlohmann::ordered_json columns = nlohmann::ordered_json::array();
  for (const fs::path& file : parquet::dataset_files(path)) {
    auto reader = parquet::FileReader::open(file.string());
    rows += reader->rows();
    bytes += reader->bytes();
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (const auto& g : reader->metadata().row_groups) {
      int64_t compressed = 0;
      for (const auto& c : g.columns) compressed += c.total_compressed_size;
      groups.push_back({{"rows", g.num_rows},
                        {"uncompressed_bytes", g.total_byte_size},
                        {"compressed_bytes", compressed},
                        {"compression", g.columns.empty() ? "" : parquet::codec_name(g.columns[0].codec)}});
    }
    if (columns.empty())
      for (const auto& c : reader->columns()) columns.push_back({{"name", c.name}, {"type", c.type_name()}});
    files.push_back({{"file", io::printable_location(file.string())},
                     {"rows", reader->rows()},
                     {"bytes", reader->bytes()},
                     {"created_by", reader->metadata().created_by},
                     {"row_groups", groups}});
  }
  out["rows"] = rows;
  out["bytes"] = bytes;
  out["columns"] = columns;
  out["files"] = files;
  if (json) {
    std::printf("%s\n", out.dump(1).c_str());
    return;
  }
  std::printf("%s: Parquet, %llu rows in %zu file(s), %llu bytes\n", path.c_str(),
              static_cast<unsigned long long>(rows), files.size(), static_cast<unsigned long long>(bytes));
  std::printf("columns:\n");
  for (const auto& c : columns)
    std::printf("  %-24s %s\n", c["name"].get<std::string>().c_str(), c["type"].get<std::string>().c_str());
  for (const auto& f : files) {
    std::printf("%s: %llu rows, %zu row groups\n", f["file"].get<std::string>().c_str(),
                static_cast<unsigned long long>(f["rows"].get<uint64_t>()), f["row_groups"].size());
    for (const auto& g : f["row_groups"])
      std::printf("  row group: %8lld rows %12lld bytes (%lld compressed, %s)\n", g["rows"].get<long long>(),
                  g["uncompressed_bytes"].get<long long>(), g["compressed_bytes"].get<long long>(),
                  g["compression"].get<std::string>().c_str());
  }
}

namespace {

// One row of a column as JSON.
nlohmann::ordered_json row_value(const parquet::ColumnData& d, const parquet::ColumnInfo& info,
                                 uint64_t row) {
  std::function<nlohmann::ordered_json(size_t, uint64_t)> level =
      [&](size_t k, uint64_t index) -> nlohmann::ordered_json {
    if (k < d.offsets.size()) {
      if (!d.list_valid[k].empty() && !d.list_valid[k][index]) return nullptr;
      auto out = nlohmann::ordered_json::array();
      for (int64_t i = d.offsets[k][index]; i < d.offsets[k][index + 1]; ++i)
        out.push_back(level(k + 1, static_cast<uint64_t>(i)));
      return out;
    }
    if (!d.valid.empty() && !d.valid[index]) return nullptr;
    if (d.is_string)
      return std::string(reinterpret_cast<const char*>(d.values.data()) + d.string_offsets[index],
                         static_cast<size_t>(d.string_offsets[index + 1] - d.string_offsets[index]));
    switch (info.physical) {
      case parquet::PhysicalType::Boolean: return d.as<uint8_t>()[index] != 0;
      case parquet::PhysicalType::Int32: return d.as<int32_t>()[index];
      case parquet::PhysicalType::Int64: return d.as<int64_t>()[index];
      case parquet::PhysicalType::Float: return json_number(d.as<float>()[index]);
      case parquet::PhysicalType::Double: return json_number(d.as<double>()[index]);
      default:
        throw UnsupportedError(fmt::format("printing {} values", parquet::physical_type_name(info.physical)));
    }
  };
  return level(0, row);
}

}  // namespace

void dump_parquet(const std::string& path, const std::vector<std::string>& names, const std::string& range,
                  bool json) {
  parquet::DatasetManifest manifest = parquet::read_manifest(path);
  uint64_t total = manifest.rows();
  auto [first, last] = parse_range(range, total, "rows");
  nlohmann::ordered_json out;
  out["rows"] = last - first;
  out["columns"] = nlohmann::ordered_json::object();
  for (const auto& n : names) out["columns"][n] = nlohmann::ordered_json::array();
  parquet::DatasetReader reader(path, names);
  std::vector<parquet::ColumnData> data;
  uint64_t row = 0;
  while (row < last && reader.next(data)) {
    uint64_t group_rows = data.empty() ? 0 : data[0].rows;
    for (uint64_t r = 0; r < group_rows; ++r, ++row) {
      if (row < first || row >= last) continue;
      for (size_t c = 0; c < names.size(); ++c) {
        const auto& info = reader.current_file().columns()[reader.current_file().column(names[c])];
        out["columns"][names[c]].push_back(row_value(data[c], info, r));
      }
    }
  }
  if (json) {
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  for (uint64_t r = 0; r < last - first; ++r) {
    std::printf("row %llu\n", static_cast<unsigned long long>(first + r));
    for (const auto& n : names) std::printf("  %s = %s\n", n.c_str(), text_of(out["columns"][n][r]).c_str());
  }
}

}  // namespace trigml::cli

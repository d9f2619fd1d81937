#include "parquet/dataset.hpp"

#include <algorithm>
#include <fstream>

#include "common/atomic_file.hpp"

namespace trigml::parquet {

namespace fs = std::filesystem;

uint64_t DatasetManifest::rows() const {
  uint64_t n = 0;
  for (const auto& p : parts) n += p.rows;
  return n;
}

std::string part_name(size_t index) { return fmt::format("part-{:05d}.parquet", index); }

namespace {

ColumnType column_type_from_name(const std::string& name, const std::string& where) {
  for (ColumnType t : {ColumnType::Bool, ColumnType::Int16, ColumnType::Int32, ColumnType::Int64, ColumnType::Float,
                       ColumnType::Double, ColumnType::String, ColumnType::FloatList, ColumnType::FloatListList})
    if (column_type_name(t) == name) return t;
  throw FormatError(fmt::format("unknown column type '{}' in the manifest", name), {where});
}

}  // namespace

void write_manifest(const fs::path& directory, const DatasetManifest& manifest) {
  nlohmann::ordered_json j;
  j["format"] = "trigml-dataset";
  j["version"] = 1;
  j["rows"] = manifest.rows();
  j["schema"] = nlohmann::ordered_json::array();
  for (const auto& c : manifest.schema) j["schema"].push_back({{"name", c.name}, {"type", column_type_name(c.type)}});
  j["parts"] = nlohmann::ordered_json::array();
  for (const auto& p : manifest.parts) j["parts"].push_back({{"file", p.file}, {"rows", p.rows}});
  j["metadata"] = nlohmann::ordered_json::parse(manifest.metadata.dump());
  std::string text = j.dump(1) + "\n";
  AtomicFile out(directory / kManifestName);
  out.write(std::as_bytes(std::span(text.data(), text.size())));
  out.commit();
}

std::vector<fs::path> dataset_files(const fs::path& path) {
  if (!fs::exists(path)) throw NotFoundError("no such dataset or file", {path.string()});
  if (!fs::is_directory(path)) return {path};
  std::vector<fs::path> files;
  if (fs::exists(path / kManifestName)) {
    for (const auto& part : read_manifest(path).parts) files.push_back(path / part.file);
    return files;
  }
  for (const auto& entry : fs::directory_iterator(path))
    if (entry.is_regular_file() && entry.path().extension() == ".parquet") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw NotFoundError("directory holds no Parquet files and no manifest", {path.string()});
  return files;
}

DatasetManifest read_manifest(const fs::path& path) {
  DatasetManifest manifest;
  fs::path file = path / kManifestName;
  if (!fs::is_directory(path) || !fs::exists(file)) {
    for (const auto& part : dataset_files(path)) {
      auto reader = FileReader::open(part.string());
      manifest.parts.push_back({fs::is_directory(path) ? part.filename().string() : part.string(), reader->rows()});
    }
    return manifest;
  }
  std::ifstream in(file);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
    for (const auto& c : j.at("schema"))
      manifest.schema.push_back({c.at("name").get<std::string>(),
                                 column_type_from_name(c.at("type").get<std::string>(), file.string())});
    for (const auto& p : j.at("parts")) manifest.parts.push_back({p.at("file").get<std::string>(), p.at("rows").get<uint64_t>()});
    if (j.contains("metadata")) manifest.metadata = j["metadata"];
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("invalid dataset manifest: {}", e.what()), {file.string()});
  }
  return manifest;
}

DatasetReader::DatasetReader(const fs::path& path, std::vector<std::string> columns)
    : files_(dataset_files(path)), columns_(std::move(columns)) {}

bool DatasetReader::next(std::vector<ColumnData>& out) {
  while (file_ < files_.size()) {
    if (!reader_) {
      reader_ = FileReader::open(files_[file_].string());
      indices_.clear();
      for (const auto& name : columns_) indices_.push_back(reader_->column(name));
      group_ = 0;
    }
    if (group_ < reader_->row_groups()) {
      out.resize(columns_.size());
      for (size_t c = 0; c < columns_.size(); ++c) {
        out[c].clear(reader_->columns()[indices_[c]]);
        reader_->read(group_, indices_[c], out[c]);
      }
      ++group_;
      rows_ += out.empty() ? 0 : out[0].rows;
      return true;
    }
    reader_.reset();
    ++file_;
  }
  return false;
}

}  // namespace trigml::parquet

#include "parquet/dataset.hpp"

#include <algorithm>

#include "common/atomic_file.hpp"
#include "common/parallel.hpp"
#include "io/source.hpp"
#include "io/url.hpp"

namespace trigml::parquet {

namespace fs = std::filesystem;

uint64_t DatasetManifest::rows() const {
  uint64_t n = 0;
  for (const auto& p : parts) n += p.rows;
  return n;
}

std::string part_name(size_t index) {
  return fmt::format("part-{:05d}.parquet", index);
}

namespace {

ColumnType column_type_from_name(const std::string& name, const std::string& where) {
  for (ColumnType t : {ColumnType::Bool, ColumnType::Int16, ColumnType::Int32, ColumnType::Int64,
                       ColumnType::Float, ColumnType::OptionalFloat, ColumnType::Double, ColumnType::String,
                       ColumnType::FloatList, ColumnType::FloatListList})
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
  for (const auto& c : manifest.schema)
    j["schema"].push_back({{"name", c.name}, {"type", column_type_name(c.type)}});
  j["parts"] = nlohmann::ordered_json::array();
  for (const auto& p : manifest.parts) j["parts"].push_back({{"file", p.file}, {"rows", p.rows}});
  j["metadata"] = nlohmann::ordered_json::parse(manifest.metadata.dump());
  std::string text = j.dump(1) + "\n";
  AtomicFile out(directory / kManifestName);
  out.write(std::as_bytes(std::span(text.data(), text.size())));
  out.commit();
}

std::vector<fs::path> dataset_files(const fs::path& path) {
  // A remote dataset is the URL of one .parquet file, or of a directory with a manifest (servers
  // do not all list directories).
  if (io::is_remote(path.string())) {
    if (path.string().ends_with(".parquet")) return {path};
    io::Url directory = io::parse_url(path.string());
    std::vector<fs::path> files;
    for (const auto& part : read_manifest(path).parts) files.emplace_back(directory.joined(part.file).full());
    return files;
  }
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
  const bool remote = io::is_remote(path.string());
  fs::path file =
      remote ? fs::path(io::parse_url(path.string()).joined(kManifestName).full()) : path / kManifestName;
  if (remote && path.string().ends_with(".parquet")) {
    manifest.parts.push_back({path.string(), FileReader::open(path.string())->rows()});
    return manifest;
  }
  if (!remote && (!fs::is_directory(path) || !fs::exists(file))) {
    for (const auto& part : dataset_files(path)) {
      auto reader = FileReader::open(part.string());
      manifest.parts.push_back(
          {fs::is_directory(path) ? part.filename().string() : part.string(), reader->rows()});
    }
    return manifest;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(io::read_text(file.string()));
    for (const auto& c : j.at("schema"))
      manifest.schema.push_back({c.at("name").get<std::string>(),
                                 column_type_from_name(c.at("type").get<std::string>(), file.string())});
    for (const auto& p : j.at("parts"))
      manifest.parts.push_back({p.at("file").get<std::string>(), p.at("rows").get<uint64_t>()});
    if (j.contains("metadata")) manifest.metadata = j["metadata"];
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("invalid dataset manifest: {}", e.what()),
                      {io::printable_location(file.string())});
  }
  return manifest;
}

DatasetReader::DatasetReader(const fs::path& path, std::vector<std::string> columns,
                             DatasetReadOptions options)
    : files_(dataset_files(path)), columns_(std::move(columns)), options_(options) {
  if (options_.threads == 0) options_.threads = default_threads();
}

const FileReader& DatasetReader::current_file() const {
  if (!last_part_) throw UsageError("no rows have been read from the dataset yet");
  return *last_part_->reader;
}

const ColumnInfo& DatasetReader::column_info(size_t c) const {
  if (c >= columns_.size()) throw UsageError(fmt::format("column {} of {} requested", c, columns_.size()));
  return current_file().columns()[last_part_->indices[c]];
}

bool DatasetReader::decode_more() {
  // The next row groups, one per thread, opening parts as needed.
  std::vector<std::pair<std::shared_ptr<const Part>, size_t>> tasks;
  while (tasks.size() < options_.threads && file_ < files_.size()) {
    if (!part_) {
      auto part = std::make_shared<Part>();
      part->reader = FileReader::open(files_[file_].string());
      for (const auto& name : columns_) part->indices.push_back(part->reader->column(name));
      part_ = std::move(part);
      group_ = 0;
    }
    if (group_ < part_->reader->row_groups()) {
      tasks.emplace_back(part_, group_++);
      continue;
    }
    part_.reset();
    ++file_;
  }
  if (tasks.empty()) return false;
  // A remote part's row groups come in one request per part, and the row groups after them are
  // fetched while these decode (both do nothing for files in memory).
  for (size_t t = 0; t < tasks.size();) {
    size_t end = t;
    std::vector<size_t> row_groups;
    for (; end < tasks.size() && tasks[end].first == tasks[t].first; ++end)
      row_groups.push_back(tasks[end].second);
    tasks[t].first->reader->prefetch(row_groups, tasks[t].first->indices);
    t = end;
  }
  if (part_) {
    std::vector<size_t> next;
    for (size_t g = group_; g < part_->reader->row_groups() && next.size() < options_.threads; ++g)
      next.push_back(g);
    part_->reader->prefetch(next, part_->indices, FileReader::Fetch::InBackground);
  }
  std::vector<Group> groups(tasks.size());
  for (size_t t = 0; t < tasks.size(); ++t) {
    Group& g = groups[t];
    g.part = tasks[t].first;
    g.rows = static_cast<uint64_t>(g.part->reader->metadata().row_groups[tasks[t].second].num_rows);
    if (!spare_.empty()) {
      g.columns = std::move(spare_.back());
      spare_.pop_back();
    }
    g.columns.resize(columns_.size());
    for (size_t c = 0; c < columns_.size(); ++c)
      g.columns[c].clear(g.part->reader->columns()[g.part->indices[c]]);
  }
  const size_t width = columns_.size();
  parallel_for(tasks.size() * width, options_.threads, [&](size_t i) {
    const auto& [part, group] = tasks[i / width];
    part->reader->read(group, part->indices[i % width], groups[i / width].columns[i % width]);
  });
  for (size_t t = 0; t < tasks.size(); ++t) {
    for (size_t c = 0; c < columns_.size(); ++c)
      if (groups[t].columns[c].rows != groups[t].rows)
        throw FormatError(fmt::format("column '{}' has {} rows in a row group of {}", columns_[c],
                                      groups[t].columns[c].rows, groups[t].rows),
                          {groups[t].part->reader->name(), 0, fmt::format("row group {}", tasks[t].second)});
    ready_.push_back(std::move(groups[t]));
  }
  return true;
}

void DatasetReader::pop_front() {
  if (!ready_.front().columns.empty()) spare_.push_back(std::move(ready_.front().columns));
  ready_.pop_front();
  consumed_ = 0;
}

bool DatasetReader::next(std::vector<ColumnData>& out) {
  // The caller is done with what `out` holds: when the next row group is decoded now, it goes
  // into those buffers instead of a second set (one row group of memory less).
  if (ready_.empty() && !out.empty()) {
    spare_.push_back(std::move(out));
    out.clear();
  }
  if (ready_.empty() && !decode_more()) return false;
  Group& g = ready_.front();
  if (consumed_ == 0) {
    std::swap(out, g.columns);  // the caller's old buffers go to the spares
  } else {
    out.resize(columns_.size());
    for (size_t c = 0; c < columns_.size(); ++c) {
      out[c].clear(g.part->reader->columns()[g.part->indices[c]]);
      out[c].append_rows(g.columns[c], consumed_, g.rows - consumed_);
    }
  }
  rows_ += g.rows - consumed_;
  last_part_ = g.part;
  pop_front();
  return true;
}

bool DatasetReader::next_batch(uint64_t rows, std::vector<ColumnData>& out) {
  if (rows == 0) throw UsageError("a batch needs at least one row");
  if (ready_.empty() && !decode_more()) return false;
  out.resize(columns_.size());
  {
    const Group& g = ready_.front();
    for (size_t c = 0; c < columns_.size(); ++c) out[c].clear(g.part->reader->columns()[g.part->indices[c]]);
  }
  uint64_t filled = 0;
  while (filled < rows && (!ready_.empty() || decode_more())) {
    Group& g = ready_.front();
    uint64_t take = std::min(rows - filled, g.rows - consumed_);
    for (size_t c = 0; c < columns_.size(); ++c) out[c].append_rows(g.columns[c], consumed_, take);
    consumed_ += take;
    filled += take;
    last_part_ = g.part;
    if (consumed_ == g.rows) pop_front();
  }
  rows_ += filled;
  return filled > 0;
}

}  // namespace trigml::parquet

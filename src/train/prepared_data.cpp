#include "train/prepared_data.hpp"

#include <algorithm>
#include <cstring>

#include "common/error.hpp"
#include "io/source.hpp"
#include "io/url.hpp"
#include "parquet/dataset.hpp"

namespace trigml::train {
namespace fs = std::filesystem;

void EventBlock::clear() {
  labels.clear();
  hlf.clear();
  particle_offsets.assign(1, 0);
  particles.clear();
  rows.clear();
}

void EventBlock::reserve_like(const EventBlock& other) {
  labels.reserve(other.labels.capacity());
  hlf.reserve(other.hlf.capacity());
  particle_offsets.reserve(other.particle_offsets.capacity());
  particles.reserve(other.particles.capacity());
  rows.reserve(other.rows.capacity());
}

void EventBlock::append(const EventBlock& other, size_t first, size_t last) {
  hlf_features = other.hlf_features;
  particle_features = other.particle_features;
  labels.insert(labels.end(), other.labels.begin() + static_cast<ptrdiff_t>(first),
                other.labels.begin() + static_cast<ptrdiff_t>(last));
  rows.insert(rows.end(), other.rows.begin() + static_cast<ptrdiff_t>(first),
              other.rows.begin() + static_cast<ptrdiff_t>(last));
  hlf.insert(hlf.end(), other.hlf.begin() + static_cast<ptrdiff_t>(first * hlf_features),
             other.hlf.begin() + static_cast<ptrdiff_t>(last * hlf_features));
  const int64_t base = particle_offsets.back() - other.particle_offsets[first];
  for (size_t e = first; e < last; ++e) particle_offsets.push_back(other.particle_offsets[e + 1] + base);
  particles.insert(
      particles.end(),
      other.particles.begin() + other.particle_offsets[first] * static_cast<ptrdiff_t>(particle_features),
      other.particles.begin() + other.particle_offsets[last] * static_cast<ptrdiff_t>(particle_features));
}

fs::path PreparedData::resolve(const fs::path& path, const std::string& split) {
  if (io::is_remote(path.string())) {
    // A server need not list directories: a remote prepare output is known by its preprocessing.json.
    io::Url url = io::parse_url(path.string());
    try {
      io::read_text(url.joined("preprocessing.json").full());
    } catch (const NotFoundError&) {
      return path;
    }
    return url.joined(split).full();
  }
  if (fs::exists(path / "preprocessing.json") && fs::is_directory(path / split)) return path / split;
  return path;
}

namespace {

nlohmann::json preprocessing_of(const parquet::FileReader& reader) {
  const std::string* text = reader.metadata_value("trigml.preprocessing");
  if (!text)
    throw UsageError("not a prepared dataset (made by trigml prepare): no trigml.preprocessing metadata",
                     {reader.name()});
  try {
    auto json = nlohmann::json::parse(*text);
    if (json.value("format", "") != "trigml-preprocessing")
      throw UsageError("trigml.preprocessing metadata has an unknown format", {reader.name()});
    return json;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("trigml.preprocessing metadata is not valid JSON: ") + e.what(),
                      {reader.name()});
  }
}

size_t require_column(const parquet::FileReader& reader, const std::string& name, const std::string& type) {
  size_t index;
  try {
    index = reader.column(name);
  } catch (const NotFoundError&) {
    throw UsageError(
        fmt::format("dataset has no column '{}' ({} expected): not a trigml prepare output", name, type),
        {reader.name()});
  }
  const auto& info = reader.columns()[index];
  if (info.type_name() != type)
    throw UsageError(fmt::format("column '{}' is {}, expected {}", name, info.type_name(), type),
                     {reader.name()});
  return index;
}

}  // namespace

PreparedData::PreparedData(const fs::path& dataset) : path_(dataset) {
  const auto files = parquet::dataset_files(dataset);
  if (files.empty()) throw UsageError("no Parquet part files in the dataset", {dataset.string()});
  for (const auto& file : files) {
    Part part;
    part.reader = parquet::FileReader::open(file.string());
    const auto& reader = *part.reader;
    auto pre = preprocessing_of(reader);
    if (parts_.empty()) {
      preprocessing_ = std::move(pre);
    } else if (pre != preprocessing_) {
      throw UsageError("part files of one dataset carry different preprocessing records", {reader.name()});
    }
    part.label = require_column(reader, "label", "int32");
    part.hlf = require_column(reader, "HLF_input", "list<float>");
    part.particles = require_column(reader, "GRU_input", "list<list<float>>");
    part.source_file = require_column(reader, "source_file", "string");
    part.entry = require_column(reader, "entry", "int64");
    for (const auto& group : reader.metadata().row_groups)
      part.group_rows.push_back(static_cast<uint64_t>(group.num_rows));
    events_ += reader.rows();
    parts_.push_back(std::move(part));
  }
  try {
    for (const auto& c : preprocessing_.at("classes")) classes_.push_back(c.get<std::string>());
    hlf_features_ = preprocessing_.at("high_level_features").size();
    particle_features_ = preprocessing_.at("particle_features").size();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("incomplete preprocessing record: ") + e.what(), {files.front().string()});
  }
  if (classes_.size() < 2 || hlf_features_ == 0 || particle_features_ == 0)
    throw FormatError("preprocessing record names no classes or features", {files.front().string()});
}

PreparedData::~PreparedData() = default;

std::vector<RowSlice> PreparedData::slices(uint64_t first, uint64_t last) const {
  if (first > last || last > events_)
    throw UsageError(fmt::format("rows {}:{} outside the dataset's {} rows", first, last, events_),
                     {path_.string()});
  std::vector<RowSlice> out;
  uint64_t start = 0;
  for (size_t p = 0; p < parts_.size(); ++p) {
    for (size_t g = 0; g < parts_[p].group_rows.size(); ++g) {
      const uint64_t n = parts_[p].group_rows[g];
      const uint64_t lo = std::max(first, start), hi = std::min(last, start + n);
      if (lo < hi) out.push_back({p, g, lo - start, hi - lo, lo});
      start += n;
    }
  }
  return out;
}

void PreparedData::read(const RowSlice& slice, const ColumnChoice& choice, EventBlock& out,
                        std::vector<parquet::ColumnData>& scratch) const {
  const Part& part = parts_.at(slice.part);
  const auto& reader = *part.reader;
  const auto where = [&](const std::string& column) {
    return ErrorContext(reader.name(), std::nullopt,
                        fmt::format("row group {}, column '{}'", slice.row_group, column));
  };
  const uint64_t group_rows = part.group_rows[slice.row_group];
  scratch.resize(3);
  const auto read_column = [&](size_t k, size_t column, const char* name) -> const parquet::ColumnData& {
    scratch[k].clear(reader.columns()[column]);
    reader.read(slice.row_group, column, scratch[k]);
    if (scratch[k].rows != group_rows)
      throw FormatError(fmt::format("{} rows where the row group has {}", scratch[k].rows, group_rows),
                        where(name));
    return scratch[k];
  };
  const size_t first = slice.first, last = slice.first + slice.rows;
  {  // a remote part: the row group's columns in one request
    std::vector<size_t> columns = {part.label};
    if (choice.hlf) columns.push_back(part.hlf);
    if (choice.particles) columns.push_back(part.particles);
    reader.prefetch(std::span(&slice.row_group, 1), columns);
  }

  const auto& label = read_column(0, part.label, "label");
  const size_t classes = classes_.size();
  const auto labels = label.as<int32_t>();
  for (size_t r = first; r < last; ++r) {
    if (labels[r] < 0 || static_cast<size_t>(labels[r]) >= classes)
      throw FormatError(
          fmt::format("label {} of row {} is not a class index below {}", labels[r], r, classes),
          where("label"));
  }
  out.labels.insert(out.labels.end(), labels.begin() + static_cast<ptrdiff_t>(first),
                    labels.begin() + static_cast<ptrdiff_t>(last));
  for (size_t r = first; r < last; ++r)
    out.rows.push_back(static_cast<int64_t>(slice.dataset_row + (r - first)));

  // HLF_input: a list of exactly hlf_features floats per row.
  out.hlf_features = choice.hlf ? hlf_features_ : 0;
  if (choice.hlf) {
    const auto& hlf = read_column(1, part.hlf, "HLF_input");
    const auto& hlf_offsets = hlf.offsets[0];
    for (size_t r = first; r < last; ++r) {
      if (hlf_offsets[r + 1] - hlf_offsets[r] != static_cast<int64_t>(hlf_features_))
        throw FormatError(fmt::format("row {} has {} high-level features, expected {}", r,
                                      hlf_offsets[r + 1] - hlf_offsets[r], hlf_features_),
                          where("HLF_input"));
    }
    const auto hlf_values = hlf.as<float>();
    out.hlf.insert(out.hlf.end(), hlf_values.begin() + hlf_offsets[first],
                   hlf_values.begin() + hlf_offsets[last]);
  }

  // GRU_input: per row a list of particles, each a list of particle_features floats. Without it
  // every event has zero rows here.
  out.particle_features = choice.particles ? particle_features_ : 0;
  if (!choice.particles) {
    out.particle_offsets.insert(out.particle_offsets.end(), last - first, out.particle_offsets.back());
    return;
  }
  const auto& gru = read_column(2, part.particles, "GRU_input");
  const auto& event_offsets = gru.offsets[0];
  const auto& row_offsets = gru.offsets[1];
  const int64_t width = static_cast<int64_t>(particle_features_);
  for (int64_t p = event_offsets[first]; p < event_offsets[last]; ++p) {
    if (row_offsets[static_cast<size_t>(p) + 1] - row_offsets[static_cast<size_t>(p)] != width)
      throw FormatError(
          fmt::format("particle {} has {} features, expected {}", p,
                      row_offsets[static_cast<size_t>(p) + 1] - row_offsets[static_cast<size_t>(p)], width),
          where("GRU_input"));
  }
  int64_t base = out.particle_offsets.back() - event_offsets[first];
  for (size_t r = first; r < last; ++r) {
    if (event_offsets[r + 1] == event_offsets[r])
      throw FormatError(fmt::format("row {} has no particles (the lepton is always one)", r),
                        where("GRU_input"));
    out.particle_offsets.push_back(event_offsets[r + 1] + base);
  }
  const auto values = gru.as<float>();
  out.particles.insert(out.particles.end(),
                       values.begin() + row_offsets[static_cast<size_t>(event_offsets[first])],
                       values.begin() + row_offsets[static_cast<size_t>(event_offsets[last])]);
}

void PreparedData::read_origin(uint64_t first, uint64_t last, std::vector<std::string>& source_files,
                               std::vector<int64_t>& entries) const {
  parquet::ColumnData files, entry;
  for (const auto& slice : slices(first, last)) {
    const Part& part = parts_[slice.part];
    const auto& reader = *part.reader;
    files.clear(reader.columns()[part.source_file]);
    entry.clear(reader.columns()[part.entry]);
    reader.prefetch(std::span(&slice.row_group, 1), std::array{part.source_file, part.entry});
    reader.read(slice.row_group, part.source_file, files);
    reader.read(slice.row_group, part.entry, entry);
    const auto entry_values = entry.as<int64_t>();
    const char* chars = reinterpret_cast<const char*>(files.values.data());
    for (uint64_t r = slice.first; r < slice.first + slice.rows; ++r) {
      source_files.emplace_back(chars + files.string_offsets[r],
                                static_cast<size_t>(files.string_offsets[r + 1] - files.string_offsets[r]));
      entries.push_back(entry_values[r]);
    }
  }
}

}  // namespace trigml::train

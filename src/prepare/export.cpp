#include "prepare/export.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "parquet/dataset.hpp"
#include "parquet/tfrecord.hpp"
#include "physics/features.hpp"

namespace trigml::prepare {

namespace fs = std::filesystem;

ExportSummary export_tfrecord(const fs::path& prepared, const fs::path& out) {
  fs::path pre_path = prepared / "preprocessing.json";
  if (!fs::exists(pre_path))
    throw UsageError("not a prepared dataset: no preprocessing.json", {prepared.string()});
  std::ifstream in(pre_path);
  auto pre = nlohmann::json::parse(in);
  const size_t max_rows = pre.at("max_particles").get<size_t>();
  constexpr size_t width = physics::kParticleFeatures;
  ExportSummary summary;
  std::vector<float> padded(max_rows * width);
  parquet::ExampleBuilder example;
  for (const char* split : {"train", "test"}) {
    fs::create_directories(out / split);
    size_t part = 0;
    for (const fs::path& file : parquet::dataset_files(prepared / split)) {
      parquet::DatasetReader reader(file, {"HLF_input", "GRU_input", "encoded_label"});
      parquet::TFRecordWriter writer(out / split / fmt::format("part-{:05d}.tfrecord", part++));
      std::vector<parquet::ColumnData> d;
      while (reader.next(d)) {
        auto hlf = d[0].as<float>();
        auto particles = d[1].as<float>();
        auto labels = d[2].as<float>();
        for (uint64_t r = 0; r < d[0].rows; ++r) {
          int64_t first = d[1].offsets[0][r], last = d[1].offsets[0][r + 1];
          int64_t begin = d[1].offsets[1][static_cast<size_t>(first)],
                  end = d[1].offsets[1][static_cast<size_t>(last)];
          if (static_cast<size_t>(end - begin) > padded.size())
            throw FormatError(fmt::format("event with {} particles exceeds {}", last - first, max_rows),
                              {file.string()});
          std::fill(padded.begin(), padded.end(), 0.0f);
          std::copy(particles.begin() + begin, particles.begin() + end, padded.begin());
          example.clear();
          example.add_floats("HLF_input", hlf.subspan(static_cast<size_t>(d[0].offsets[0][r]), 14));
          example.add_floats("GRU_input", padded);
          example.add_floats("encoded_label", labels.subspan(static_cast<size_t>(d[2].offsets[0][r]), 3));
          writer.write(example.finish());
        }
      }
      summary.records += writer.records();
      writer.close();
      ++summary.files;
    }
  }
  return summary;
}

}  // namespace trigml::prepare

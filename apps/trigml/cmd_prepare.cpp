#include <cctype>
#include <cstdio>

#include "commands.hpp"
#include "common/error.hpp"
#include "dist/dist.hpp"
#include "prepare/prepare.hpp"

namespace trigml::cli {

uint64_t parse_bytes(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::logic_error&) {
    throw UsageError(fmt::format("'{}' is not a size (examples: 512MB, 2GB)", text));
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  double scale = unit.empty() || unit == "B"   ? 1
                 : unit == "KB" || unit == "K" ? 1e3
                 : unit == "MB" || unit == "M" ? 1e6
                 : unit == "GB" || unit == "G" ? 1e9
                 : unit == "KIB"               ? 1024.0
                 : unit == "MIB"               ? 1048576.0
                 : unit == "GIB"               ? 1073741824.0
                                               : -1;
  if (scale < 0 || !(value > 0))
    throw UsageError(fmt::format("'{}' is not a size (examples: 512MB, 2GB)", text));
  return static_cast<uint64_t>(value * scale);
}

void register_prepare(CLI::App& app) {
  auto* cmd = app.add_subcommand("prepare", "Balance, split, scale, sort and shuffle an ingested dataset");
  struct Options {
    std::string input, out, memory = "2GB", compression;
    uint64_t seed = 42;
    double test_fraction = 0.2;
    std::vector<double> ratio;
    unsigned threads = 0;
    bool resume = false;
    uint64_t rows_per_part = prepare::PrepareOptions{}.rows_per_part;
  };
  auto o = std::make_shared<Options>();
  cmd->add_option("input", o->input, "Ingested dataset directory")->required();
  cmd->add_option("--out", o->out, "Output directory (train/, test/, preprocessing.json)")->required();
  cmd->add_option("--seed", o->seed, "Seed of every random step (default 42)");
  cmd->add_option("--test-fraction", o->test_fraction,
                  "Fraction of each class in the test split (default 0.2)");
  cmd->add_option("--balance-ratio", o->ratio,
                  "Events per class relative to the smallest class (qcd ttbar wjets)");
  cmd->add_option("--memory-limit", o->memory, "Memory for the shuffle (default 2GB)");
  cmd->add_option("--threads", o->threads, "Threads (default: all cores)");
  cmd->add_flag("--resume", o->resume,
                "Keep the output if a run with these options finished it; otherwise make it anew");
  cmd->add_option(
      "--rows-per-part", o->rows_per_part,
      fmt::format("Rows per output part; under mpirun the ranks share out whole parts (default {})",
                  o->rows_per_part));
  cmd->add_option("--compression", o->compression,
                  fmt::format("Parquet pages: snappy, zstd, lz4_raw or none (default {})",
                              parquet::codec_name(parquet::kDatasetCodec)));
  cmd->callback([o] {
    prepare::PrepareOptions options;
    if (!o->compression.empty()) options.codec = parquet::parse_codec(o->compression);
    options.input = o->input;
    options.out = o->out;
    options.seed = o->seed;
    options.test_fraction = o->test_fraction;
    options.balance_ratio = o->ratio;
    options.memory_limit = parse_bytes(o->memory);
    options.threads = o->threads;
    options.resume = o->resume;
    options.rows_per_part = o->rows_per_part;
    auto s = prepare::run_prepare(options);
    if (!dist::is_root()) return;
    std::printf("%-8s %12s %12s %12s\n", "class", "available", "train", "test");
    for (size_t c = 0; c < s.classes.size(); ++c)
      std::printf("%-8s %12llu %12llu %12llu\n", s.classes[c].c_str(),
                  static_cast<unsigned long long>(s.available[c]),
                  static_cast<unsigned long long>(s.train[c]), static_cast<unsigned long long>(s.test[c]));
    std::printf("written to %s in %.1f s (shuffle in %llu bucket(s))\n", o->out.c_str(), s.seconds,
                static_cast<unsigned long long>(s.shuffle_buckets));
  });
}

}  // namespace trigml::cli

#include "prepare/export.hpp"

namespace trigml::cli {

void register_export_tfrecord(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("export-tfrecord", "Write a prepared dataset in the original's TFRecord layout");
  auto input = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  cmd->add_option("prepared", *input, "Prepared dataset directory (train/, test/, preprocessing.json)")
      ->required();
  cmd->add_option("--out", *out, "Output directory")->required();
  cmd->callback([input, out] {
    auto s = prepare::export_tfrecord(*input, *out);
    std::printf("%llu records in %llu TFRecord files under %s\n", static_cast<unsigned long long>(s.records),
                static_cast<unsigned long long>(s.files), out->c_str());
  });
}

}  // namespace trigml::cli

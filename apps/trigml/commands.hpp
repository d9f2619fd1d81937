// Each subcommand lives in its own cmd_<name>.cpp and registers itself on the application.
#pragma once

#include <CLI/CLI.hpp>

#ifdef TRIGML_HAVE_TRAINING
#include "model/model.hpp"
#endif

namespace trigml::cli {

// --io-timeout, --io-retries, --read-ahead-mb, ...: how remote inputs are read.
void register_remote_options(CLI::App& app);
void register_inspect(CLI::App& app);
void register_dump(CLI::App& app);

// "A:B" as a half-open range within [0, total); negative numbers count from the end.
std::pair<uint64_t, uint64_t> parse_range(const std::string& text, uint64_t total, const std::string& what);

void register_generate(CLI::App& app);
void register_ingest(CLI::App& app);
void register_prepare(CLI::App& app);
void register_export_tfrecord(CLI::App& app);
uint64_t parse_bytes(const std::string& text);  // "512MB", "2GB"

#ifdef TRIGML_HAVE_TRAINING
void register_train(CLI::App& app);
void register_evaluate(CLI::App& app);
void register_run(CLI::App& app);
void register_tune(CLI::App& app);
// --hlf-layers, --dropout, --learning-rate, ...: the model's options, shared by train and tune.
void add_model_options(CLI::App& cmd, model::ModelConfig& config);
void register_export(CLI::App& app);
void register_score(CLI::App& app);
#endif
#ifdef TRIGML_HAVE_SERVE
void register_serve(CLI::App& app);  // broker, produce and serve
#endif

// Parquet files and dataset directories (a directory, or a path ending in .parquet).
bool is_parquet_path(const std::string& path);
void inspect_parquet(const std::string& path, bool json);
void dump_parquet(const std::string& path, const std::vector<std::string>& columns, const std::string& range,
                  bool json);

}  // namespace trigml::cli

// A small prepared dataset of generated events for the training tests: generate → ingest → prepare,
// built once per test process (CTest runs test processes in parallel, so each has its own copy).
#pragma once

#include <unistd.h>

#include <filesystem>

#include "gen/delphes_output.hpp"
#include "ingest/ingest.hpp"
#include "prepare/prepare.hpp"

namespace trigml::testing {

inline std::filesystem::path train_work_dir() {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("trigml-train-test-{}", ::getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

// events_per_class generated events of each class (seed 21), ingested and prepared (seed 42).
inline std::filesystem::path prepared_dataset(uint64_t events_per_class = 1500) {
  namespace fs = std::filesystem;
  const fs::path dir = train_work_dir() / fmt::format("data-{}", events_per_class);
  const fs::path prepared = dir / "prepared";
  if (fs::exists(prepared)) return prepared;
  fs::create_directories(dir);
  ingest::IngestOptions ingest_options;
  ingest_options.out = dir / "ingested";
  ingest_options.progress = false;
  ingest_options.threads = 2;
  for (const auto& name : ingest::class_names()) {
    const fs::path file = dir / (name + ".root");
    gen::GeneratorSettings settings;
    settings.process = gen::parse_process(name);
    settings.seed = 21;
    gen::write_delphes_file(file, settings, static_cast<int64_t>(events_per_class), 2,
                            rootio::WriterOptions{});
    ingest_options.classes.push_back({name, ingest::class_label(name), {file.string()}});
  }
  ingest::run_ingest(ingest_options);
  prepare::PrepareOptions prepare_options;
  prepare_options.input = dir / "ingested";
  prepare_options.out = prepared;
  prepare_options.progress = false;
  prepare_options.threads = 2;
  prepare::run_prepare(prepare_options);
  return prepared;
}

}  // namespace trigml::testing

// Data for the training tests, built once per test executable and shared by its test processes.
// CTest runs every test in its own process, in parallel: the first process to need an output builds
// it under an exclusive lock into a temporary name and renames it; the others wait and reuse it.
// The output is keyed by the executable's path and modification time, so a rebuilt test never sees
// data made by older code.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "common/error.hpp"
#include "gen/delphes_output.hpp"
#include "ingest/ingest.hpp"
#include "prepare/prepare.hpp"

namespace trigml::testing {

// A scratch directory private to this test process, removed when it exits (by the process that made
// it, not by a forked child that exits).
inline std::filesystem::path train_work_dir() {
  struct Scratch {
    pid_t owner = ::getpid();
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / fmt::format("trigml-train-test-{}", owner);
    ~Scratch() {
      std::error_code ignored;
      if (::getpid() == owner) std::filesystem::remove_all(dir, ignored);
    }
  };
  static const Scratch scratch;
  std::filesystem::create_directories(scratch.dir);
  return scratch.dir;
}

// OUTPUT_NAME, shared by the processes of this test executable: made by `build(path)` once.
inline std::filesystem::path shared_output(const std::string& output_name,
                                           const std::function<void(const std::filesystem::path&)>& build) {
  namespace fs = std::filesystem;
  const fs::path exe = fs::read_symlink("/proc/self/exe");
  const auto stamp = fs::last_write_time(exe).time_since_epoch().count();
  const fs::path root =
      fs::temp_directory_path() / fmt::format("trigml-train-shared-{}-{:x}", exe.filename().string(),
                                              std::hash<std::string>{}(exe.string() + std::to_string(stamp)));
  fs::create_directories(root);
  const fs::path done = root / output_name;
  const fs::path lock_path = root / (output_name + ".lock");
  const int lock = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || ::flock(lock, LOCK_EX) != 0)
    throw IoError("cannot lock the shared test data", ErrorContext(lock_path.string()));
  try {
    if (!fs::exists(done)) {
      const fs::path partial = root / (output_name + ".partial");
      fs::remove_all(partial);
      build(partial);
      fs::rename(partial, done);
    }
  } catch (...) {
    ::close(lock);
    throw;
  }
  ::close(lock);
  return done;
}

// events_per_class generated events of each class (seed 21), ingested and prepared (seed 42); the
// ingest output lies beside it as prepared_dataset().parent_path() / "ingested".
inline std::filesystem::path prepared_dataset(uint64_t events_per_class = 1500) {
  namespace fs = std::filesystem;
  const fs::path dir = shared_output(fmt::format("data-{}", events_per_class), [&](const fs::path& out) {
    fs::create_directories(out);
    ingest::IngestOptions ingest_options;
    ingest_options.out = out / "ingested";
    ingest_options.progress = false;
    ingest_options.threads = 2;
    for (const auto& name : ingest::class_names()) {
      const fs::path file = out / (name + ".root");
      gen::GeneratorSettings settings;
      settings.process = gen::parse_process(name);
      settings.seed = 21;
      gen::write_delphes_file(file, settings, static_cast<int64_t>(events_per_class), 2,
                              rootio::WriterOptions{});
      ingest_options.classes.push_back({name, ingest::class_label(name), {file.string()}});
    }
    ingest::run_ingest(ingest_options);
    prepare::PrepareOptions prepare_options;
    prepare_options.input = out / "ingested";
    prepare_options.out = out / "prepared";
    prepare_options.progress = false;
    prepare_options.threads = 2;
    prepare::run_prepare(prepare_options);
  });
  return dir / "prepared";
}

}  // namespace trigml::testing

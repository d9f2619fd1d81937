// A small trained model and its raw inputs for the scoring and serving tests: three generated
// files (300 events each), ingested, prepared, trained for one epoch (inclusive) and evaluated,
// all with the trigml program, once per test executable (tests/train/fixture.hpp's shared_output).
#pragma once

#include <filesystem>
#include <string>

#include "common/files.hpp"
#include "common/run_command.hpp"
#include "train/fixture.hpp"

namespace trigml::testing {

// The directory holding ttbar.root, wjets.root, qcd.root, model/ and evaluated/ (scores.parquet).
// It was made under a temporary name: evaluate's source_file paths name that, so compare file names.
inline std::filesystem::path scored_model() {
  return shared_output("scored-model", [](const std::filesystem::path& dir) {
    std::filesystem::create_directories(dir);
    if (auto failure = generate_inputs(dir, 300); !failure.empty()) throw InternalError(failure);
    const std::string cli = TRIGML_CLI, d = dir.string();
    for (const std::string& step :
         {cli + " ingest " + generated_classes(dir) + " --out " + d + "/ingested",
          cli + " prepare " + d + "/ingested --out " + d + "/prepared",
          cli + " train " + d + "/prepared --model inclusive --epochs 1 --out " + d + "/model",
          cli + " evaluate " + d + "/model " + d + "/prepared --out " + d + "/evaluated"}) {
      auto r = run_command(step);
      if (r.status != 0) throw InternalError(step + ": " + r.output);
    }
  });
}

}  // namespace trigml::testing

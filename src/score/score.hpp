// `trigml score`: raw ROOT inputs (Delphes or NanoAOD, local or URLs) → one Parquet file with a
// decision per event, through the Decider's path (selection, features, the model's scaling, the
// model). Inputs are read in chunks of entries on several threads; rows are written in input order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ingest/event_reader.hpp"

namespace trigml::score {

struct ScoreOptions {
  std::filesystem::path model;      // a model directory (trigml train)
  std::vector<std::string> inputs;  // files, globs, directories, @lists or URLs
  std::filesystem::path out;        // the Parquet file
  std::string accept;               // an AcceptRule; empty: kDefaultAcceptRule
  std::string schema = "delphes";   // delphes, nanoaod or a TOML file
  unsigned threads = 0;             // 0: all cores
  uint64_t chunk_events = 4096;     // entries a thread reads at a time
  size_t batch_events = 1024;       // events per call of the classifier
  bool progress = true;
};

struct ScoreSummary {
  ingest::SelectionCounts counts;
  uint64_t accepted = 0;
  uint64_t files = 0;
  std::string model_id;
  double seconds = 0;
};

// Columns: source_file (string: the input as given, or the file a pattern expanded to; a URL without
// its credentials), entry (int64), selected (bool), p_qcd, p_ttbar, p_wjets (float, null when not
// selected), accept (bool). The file appears only when complete.
ScoreSummary run_score(const ScoreOptions& options);

}  // namespace trigml::score

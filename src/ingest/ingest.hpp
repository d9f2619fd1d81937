// `trigml ingest`: ROOT files of the three classes → a Parquet dataset of selected events with
// their high-level features and particle rows, one part file per input file or per range of
// clusters of a large one (so an interrupted run resumes part by part), read in parallel, with a progress bar
// and a summary per class. Under mpirun the inputs are shared out across the ranks, balanced by entries; each
// rank writes the parts of its inputs and rank 0 the manifest, so the dataset is the same for any number of
// ranks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "ingest/event_reader.hpp"
#include "parquet/dataset.hpp"

namespace trigml::ingest {

// The three classes of the original, with their labels.
struct ClassSpec {
  std::string name;                 // qcd, ttbar, wjets
  int32_t label = 0;                // 0, 1, 2
  std::vector<std::string> inputs;  // files, globs or directories
};
// Label of a class name; UsageError lists the valid names.
int32_t class_label(const std::string& name);
const std::vector<std::string>& class_names();

enum class OnError { Fail, Skip };
// "fail" or "skip"; anything else is a UsageError naming the setting (`--on-error`, `on_error`) and,
// with a context, the file it came from.
OnError parse_on_error(std::string_view text, std::string_view setting, ErrorContext context = {});

struct IngestOptions {
  std::vector<ClassSpec> classes;
  std::filesystem::path out;
  unsigned threads = 0;            // 0: all cores
  std::string schema = "delphes";  // delphes, nanoaod or a TOML file
  OnError on_error = OnError::Fail;
  bool resume = false;
  uint64_t chunk_events = 5000;  // entries read per range (rounded to basket clusters)
  // A file with more entries becomes several parts, each a range of whole clusters of at least this
  // many entries (the last one fewer), which the ranks share out like files.
  uint64_t part_entries = 200000;
  parquet::Codec codec = parquet::kDatasetCodec;
  bool progress = true;
};

struct ClassSummary {
  std::string name;
  int32_t label = 0;
  uint64_t files = 0;
  uint64_t skipped_files = 0;
  uint64_t resumed_files = 0;
  SelectionCounts counts;
  double seconds = 0;  // summed over the threads that worked on the class
};

struct IngestSummary {
  std::vector<ClassSummary> classes;
  std::vector<std::pair<std::string, std::string>> skipped;  // file, error
  double seconds = 0;
  uint64_t parts = 0;
};

// Expands a file, a glob or a directory (its *.root files) into sorted file paths.
std::vector<std::string> expand_inputs(const std::string& pattern);

// Parses an ingest configuration (TOML: [classes] qcd = [...], out, threads, schema, on_error,
// compression, part_entries).
IngestOptions load_ingest_config(const std::string& path);
// The same from the TOML text itself; `path` names it in errors.
IngestOptions parse_ingest_config(std::string_view toml_text, const std::string& path);

IngestSummary run_ingest(const IngestOptions& options);

}  // namespace trigml::ingest

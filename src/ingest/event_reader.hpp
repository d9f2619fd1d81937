// Reads one ROOT file through a schema mapping, range after range, and turns its events into
// selected-event features in columns. The mapping's tree may be a TTree (branches) or an RNTuple
// (fields, by path). One EventReader per thread; nothing is allocated per event.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ingest/schema.hpp"
#include "physics/features.hpp"
#include "rootio/file.hpp"
#include "rootio/rntuple.hpp"
#include "rootio/tree.hpp"

namespace trigml::ingest {

// Selected events in columns, in the layout of the ingest output.
struct FeatureBatch {
  std::array<std::vector<float>, physics::kHighLevelFeatures> high_level;
  std::vector<float> particle_values;     // rows × 19, row-major
  std::vector<int64_t> particle_rows{0};  // events + 1 cumulative row counts
  std::vector<int16_t> n_tracks, n_photons, n_neutral;
  std::vector<int64_t> entry;  // entry number in the source file

  size_t events() const { return entry.size(); }
  void clear();
  void append(const physics::EventFeatures& features, int64_t entry_number);
};

struct SelectionCounts {
  uint64_t read = 0;
  uint64_t selected = 0;
  uint64_t empty_particle_map = 0;
  uint64_t no_lepton = 0;
  uint64_t no_isolated_lepton = 0;
  void add(const SelectionCounts& other);
  void count(physics::Rejection result);  // one event read, selected or rejected for this reason
};

class EventReader {
 public:
  EventReader(const std::string& path, const ingest::SchemaMapping& schema,
              physics::SelectionConfig selection = {});
  // Entries of the mapping's tree or RNTuple in a file, from its metadata alone.
  static uint64_t entries_in(const std::string& path, const std::string& tree);
  // A TTree's cluster boundaries (where ingest may cut a large file into parts); none for an RNTuple.
  static std::vector<uint64_t> cluster_boundaries_in(const std::string& path, const std::string& tree);
  uint64_t entries() const { return tree_ ? tree_->entries() : ntuple_->entries(); }
  const ingest::SchemaMapping& schema() const { return schema_; }
  const rootio::RootFile& file() const { return *file_; }
  // Reads entries [first, last), appends the selected ones to `out`, counts what was rejected.
  void read(uint64_t first, uint64_t last, FeatureBatch& out, SelectionCounts& counts);
  // The same in two steps, for callers that do something else with each event (score, produce):
  // decode the columns of entries [first, last), then view entry first + e of them as the
  // features' input (valid until the next load).
  void load(uint64_t first, uint64_t last);
  void event(uint64_t e, physics::EventInput& in) const;
  // Whether the file has particle-flow candidates (FeatureBuilder::select's particle_flow).
  bool particle_flow() const { return schema_.has_particles(); }
  // The selection with the schema's b-tag threshold, as read() applies it.
  const physics::SelectionConfig& selection() const { return builder_.config(); }
  // The range the read after the next one will ask for: fetched while the next one is decoded.
  // (An RNTuple reads each range's clusters when asked: nothing is fetched ahead.)
  void read_ahead(uint64_t first, uint64_t last) {
    if (reader_) reader_->read_ahead(first, last);
  }

 private:
  std::shared_ptr<rootio::RootFile> file_;
  std::shared_ptr<rootio::Tree> tree_;
  ingest::SchemaMapping schema_;
  std::unique_ptr<rootio::TreeReader> reader_;
  std::shared_ptr<rootio::RNTuple> ntuple_;  // instead of tree_ and reader_
  std::vector<uint32_t> fields_;
  std::vector<rootio::Column> ntuple_columns_;
  physics::FeatureBuilder builder_;
  physics::EventFeatures features_;
  std::vector<std::vector<float>> as_float_;  // per branch, when its values are not float
  std::vector<std::vector<int32_t>> as_int_;
  // The loaded range's values per input (as float or int32) with their per-entry offsets.
  struct View {
    std::span<const float> floats;
    std::span<const int32_t> ints;
    const std::vector<uint64_t>* offsets = nullptr;
  };
  std::vector<View> views_;  // indexed by the input (event_reader.cpp)
  std::span<const float> floats(size_t input, uint64_t e) const;
  std::span<const int32_t> ints(size_t input, uint64_t e) const;
};

}  // namespace trigml::ingest

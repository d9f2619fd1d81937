// A Delphes-like detector: tracker with efficiency and momentum resolution, electron and muon
// identification, electromagnetic and hadronic calorimeter towers for neutral energy (energy flow),
// anti-kt R = 0.4 jets (FastJet) with truth-matched b-tagging, and missing transverse energy.
// Parameters follow the Delphes CMS card (docs/generator.md). Units: GeV, mm, radians.
#pragma once

#include <memory>

#include "common/random.hpp"
#include "gen/event_batch.hpp"
#include "gen/event_record.hpp"

namespace trigml::gen {

class Detector {
 public:
  Detector();
  ~Detector();
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Appends the reconstructed event to the columns of `batch` (one more entry in each counter).
  void reconstruct(const EventRecord& record, Random& rng, EventBatch& batch);

 private:
  struct Buffers;
  std::unique_ptr<Buffers> buffers_;
};

}  // namespace trigml::gen

// Test-side reading of generated batches: per-event offsets into the jagged columns, and the
// trigger-like lepton selection computed from the output columns only (no generator internals).
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>
#include <vector>

#include "gen/event_batch.hpp"

namespace trigml::gen::testing {

// Offsets of each event's first element in a collection, from its counter column.
inline std::vector<size_t> offsets(const std::vector<int32_t>& sizes) {
  std::vector<size_t> result(sizes.size() + 1, 0);
  for (size_t i = 0; i < sizes.size(); ++i) result[i + 1] = result[i] + static_cast<size_t>(sizes[i]);
  return result;
}

inline double wrap_phi(double d) {
  while (d > std::numbers::pi) d -= 2.0 * std::numbers::pi;
  while (d < -std::numbers::pi) d += 2.0 * std::numbers::pi;
  return d;
}

inline double cone_distance(double eta1, double phi1, double eta2, double phi2) {
  return std::hypot(eta1 - eta2, wrap_phi(phi1 - phi2));
}

struct Lepton {
  float pt, eta, phi;
  int charge;
  bool electron;
  double isolation;
};

// Where each event's elements start in every collection of a batch.
struct BatchOffsets {
  explicit BatchOffsets(const EventBatch& batch)
      : electrons(offsets(batch.electrons.size)),
        muons(offsets(batch.muons.size)),
        jets(offsets(batch.jets.size)),
        tracks(offsets(batch.tracks.size)),
        photons(offsets(batch.photons.size)),
        neutral_hadrons(offsets(batch.neutral_hadrons.size)) {}
  std::vector<size_t> electrons, muons, jets, tracks, photons, neutral_hadrons;
};

// One event of a batch with its collections located, and the SparkDLTrigger isolation.
class EventView {
 public:
  EventView(const EventBatch& batch, const BatchOffsets& offsets, size_t event)
      : batch_(batch),
        offsets_(offsets),
        event_(event),
        track_begin_(offsets.tracks[event]),
        photon_begin_(offsets.photons[event]),
        neutral_begin_(offsets.neutral_hadrons[event]),
        jet_begin_(offsets.jets[event]) {}

  int tracks() const { return batch_.tracks.size[event_]; }
  int photons() const { return batch_.photons.size[event_]; }
  int neutral_hadrons() const { return batch_.neutral_hadrons.size[event_]; }
  int jets() const { return batch_.jets.size[event_]; }
  float jet_pt(int i) const { return batch_.jets.pt[jet_begin_ + i]; }
  int jet_btag(int i) const { return batch_.jets.btag[jet_begin_ + i]; }
  float met() const { return batch_.missing_et.met[event_]; }
  float met_phi() const { return batch_.missing_et.phi[event_]; }

  // Relative isolation in a cone of 0.3: tracks with pT > 0.5 GeV (but the lepton's own track,
  // which has exactly its eta and phi), photons and neutral hadrons with ET > 1 GeV.
  double isolation(float pt, float eta, float phi) const {
    double sum = 0.0;
    const TrackColumns& t = batch_.tracks;
    for (size_t i = track_begin_; i < track_begin_ + tracks(); ++i) {
      if (t.eta[i] == eta && t.phi[i] == phi) continue;
      if (t.pt[i] > 0.5f && cone_distance(t.eta[i], t.phi[i], eta, phi) < 0.3) sum += t.pt[i];
    }
    auto add_towers = [&](const TowerColumns& towers, size_t first, int count) {
      for (size_t i = first; i < first + count; ++i) {
        if (towers.et[i] > 1.0f && cone_distance(towers.eta[i], towers.phi[i], eta, phi) < 0.3)
          sum += towers.et[i];
      }
    };
    add_towers(batch_.photons, photon_begin_, photons());
    add_towers(batch_.neutral_hadrons, neutral_begin_, neutral_hadrons());
    return sum / pt;
  }

  std::vector<Lepton> leptons() const {
    std::vector<Lepton> result;
    auto collect = [&](const LeptonColumns& c, const std::vector<size_t>& starts, bool electron) {
      const size_t first = starts[event_];
      for (size_t i = first; i < first + c.size[event_]; ++i) {
        result.push_back(
            {c.pt[i], c.eta[i], c.phi[i], c.charge[i], electron, isolation(c.pt[i], c.eta[i], c.phi[i])});
      }
    };
    collect(batch_.electrons, offsets_.electrons, true);
    collect(batch_.muons, offsets_.muons, false);
    return result;
  }

 private:
  const EventBatch& batch_;
  const BatchOffsets& offsets_;
  size_t event_;
  size_t track_begin_, photon_begin_, neutral_begin_, jet_begin_;
};

}  // namespace trigml::gen::testing

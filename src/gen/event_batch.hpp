// Generated events as column batches (struct of arrays) with the Delphes branch layout: per
// collection one int32 count per event and the concatenated values of all events.
// Units as in Delphes: GeV (PT, ET, Mass, MET), radians (Phi), millimetres (X, Y, Z).
#pragma once

#include <cstdint>
#include <vector>

namespace trigml::gen {

// Electron and MuonTight: PT, Eta, Phi, Charge (PDG 11 / 13 has charge -1).
struct LeptonColumns {
  std::vector<int32_t> size;
  std::vector<float> pt, eta, phi;
  std::vector<int32_t> charge;
  void clear();
};

// Jet: anti-kt R = 0.4 jets with PT > 20 GeV. BTag is uint32 in Delphes, stored as int32 here.
struct JetColumns {
  std::vector<int32_t> size;
  std::vector<float> pt, eta, phi, mass;
  std::vector<int32_t> btag;
  void clear();
};

// MissingET: exactly one entry per event.
struct MissingEtColumns {
  std::vector<int32_t> size;
  std::vector<float> met, phi;
  void clear();
};

// EFlowTrack: every reconstructed charged particle, with its PDG id and production vertex.
struct TrackColumns {
  std::vector<int32_t> size;
  std::vector<float> pt, eta, phi;
  std::vector<int32_t> pid, charge;
  std::vector<float> x, y, z;
  void clear();
};

// EFlowPhoton and EFlowNeutralHadron: calorimeter towers with neutral energy.
struct TowerColumns {
  std::vector<int32_t> size;
  std::vector<float> et, eta, phi;
  void clear();
};

struct EventBatch {
  uint64_t events = 0;
  LeptonColumns electrons;
  LeptonColumns muons;
  JetColumns jets;
  MissingEtColumns missing_et;
  TrackColumns tracks;
  TowerColumns photons;
  TowerColumns neutral_hadrons;

  // Empties every column but keeps the capacity, so a reused batch allocates nothing.
  void clear();
};

}  // namespace trigml::gen

// The generator-level content of one event, between the physics stages: partons waiting to be
// hadronised, then stable particles waiting for the detector. Reused from event to event.
// Units: GeV, mm, radians.
#pragma once

#include <cstdint>
#include <vector>

#include "gen/kinematics.hpp"

namespace trigml::gen {

// PDG Monte Carlo particle numbers of the species the generator produces.
namespace pdg {
inline constexpr int kDown = 1, kUp = 2, kStrange = 3, kCharm = 4, kBottom = 5, kTop = 6;
inline constexpr int kElectron = 11, kElectronNeutrino = 12, kMuon = 13, kMuonNeutrino = 14;
inline constexpr int kTau = 15, kTauNeutrino = 16, kGluon = 21, kPhoton = 22;
inline constexpr int kPion = 211, kKaon = 321, kProton = 2212, kLongKaon = 130, kNeutron = 2112;
}  // namespace pdg

// Masses in GeV (PDG 2022).
namespace mass {
inline constexpr double kTop = 172.5, kTopWidth = 1.42, kW = 80.4, kWWidth = 2.1, kBottom = 4.8;
inline constexpr double kBHadron = 5.28, kDHadron = 1.87, kTau = 1.777;
inline constexpr double kElectron = 0.000511, kMuon = 0.10566, kPion = 0.13957, kKaon = 0.49368;
inline constexpr double kProton = 0.93827, kNeutralPion = 0.13498, kLongKaon = 0.49761;
inline constexpr double kNeutron = 0.93957;
}  // namespace mass

struct Vertex {
  double x = 0.0, y = 0.0, z = 0.0;  // mm
};

// A coloured parton that still has to radiate and hadronise. pdg carries the flavour and its sign
// (negative for antiquarks); 21 is a gluon.
struct Parton {
  FourVector momentum;
  int pdg = 0;
};

// Where a stable particle comes from: the hard collision (with its underlying event), a b- or
// c-hadron decay in it, or a pileup interaction.
enum class Origin : uint8_t { HardCollision, HeavyFlavourDecay, Pileup };

// A stable particle as the detector sees it: hadrons, photons, leptons, neutrinos.
struct Particle {
  FourVector momentum;
  Vertex vertex;
  int pdg = 0;     // signed PDG id
  int charge = 0;  // in units of e
  Origin origin = Origin::HardCollision;
};

struct EventRecord {
  Vertex primary_vertex;
  std::vector<Parton> partons;
  std::vector<Particle> particles;
  // Heavy hadrons, kept for the b-tagging truth match (as Delphes matches jets to heavy partons).
  std::vector<FourVector> b_hadrons;
  std::vector<FourVector> c_hadrons;

  void clear() {
    partons.clear();
    particles.clear();
    b_hadrons.clear();
    c_hadrons.clear();
  }
};

}  // namespace trigml::gen

// The event selection and the features of the original pipeline (sparkdltrigger.md 2.1–2.4, with
// the departures of choices.md): one isolated electron or muon; a particle matrix of up to
// 1 + 450 + 150 + 200 rows of 19 features; 14 high-level features. Works on one event at a time
// from columnar views; every buffer is reused, nothing is allocated per event.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace trigml::physics {

enum class HighLevelFeature {
  HT,
  MET,
  PhiMET,
  MT,
  NJets,
  NBJets,
  LepPt,
  LepEta,
  LepPhi,
  LepIsoCh,
  LepIsoGamma,
  LepIsoNeu,
  LepCharge,
  LepIsEle
};
inline constexpr size_t kHighLevelFeatures = 14;
inline constexpr std::array<std::string_view, kHighLevelFeatures> kHighLevelNames = {
    "HT",     "MET",    "phiMET",   "MT",          "nJets",     "nBjets",    "LepPt",
    "LepEta", "LepPhi", "LepIsoCh", "LepIsoGamma", "LepIsoNeu", "LepCharge", "LepIsEle"};
inline constexpr std::array<std::string_view, kHighLevelFeatures> kHighLevelUnits = {
    "GeV", "GeV", "rad", "GeV", "", "", "GeV", "", "rad", "", "", "", "e", ""};

enum class ParticleFeature {
  Energy,
  Px,
  Py,
  Pz,
  Pt,
  Eta,
  Phi,
  VertexX,
  VertexY,
  VertexZ,
  ChPFIso,
  GammaPFIso,
  NeuPFIso,
  IsChHad,
  IsNeuHad,
  IsGamma,
  IsEle,
  IsMu,
  Charge
};
inline constexpr size_t kParticleFeatures = 19;
inline constexpr std::array<std::string_view, kParticleFeatures> kParticleNames = {
    "Energy",  "Px",         "Py",       "Pz",      "Pt",       "Eta",     "Phi",   "vtxX", "vtxY",  "vtxZ",
    "ChPFIso", "GammaPFIso", "NeuPFIso", "isChHad", "isNeuHad", "isGamma", "isEle", "isMu", "Charge"};
inline constexpr std::array<std::string_view, kParticleFeatures> kParticleUnits = {
    "GeV", "GeV", "GeV", "GeV", "GeV", "", "rad", "mm", "mm", "mm", "", "", "", "", "", "", "", "", "e"};

constexpr size_t index(HighLevelFeature f) {
  return static_cast<size_t>(f);
}
constexpr size_t index(ParticleFeature f) {
  return static_cast<size_t>(f);
}

struct SelectionConfig {
  double lepton_min_pt = 23;    // GeV, strict
  double isolation_cone = 0.3;  // ΔR, strict
  double max_relative_isolation = 0.45;
  double track_min_pt = 0.5;     // GeV, strict: the track map
  double photon_min_et = 1;      // GeV, strict
  double neutral_min_et = 1;     // GeV, strict
  double jet_min_pt = 30;        // GeV, strict
  double jet_max_abs_eta = 2.6;  // strict
  double btag_threshold = 0;     // b-tagged: tag value strictly above this
  double own_track_max_delta_r = 1e-4;
  size_t max_tracks = 450;
  size_t max_photons = 150;
  size_t max_neutral = 200;
  size_t max_particles() const { return 1 + max_tracks + max_photons + max_neutral; }
};

// One event's collections as views into columns (float values, ints for charges and tags).
struct EventInput {
  std::span<const float> electron_pt, electron_eta, electron_phi;
  std::span<const int32_t> electron_charge;
  std::span<const float> muon_pt, muon_eta, muon_phi;
  std::span<const int32_t> muon_charge;
  std::span<const float> jet_pt, jet_eta, jet_btag;
  float met = 0, met_phi = 0;
  std::span<const float> track_pt, track_eta, track_phi, track_x, track_y, track_z;
  std::span<const int32_t> track_charge;
  std::span<const float> photon_et, photon_eta, photon_phi;
  std::span<const float> neutral_et, neutral_eta, neutral_phi;
  // Precomputed relative isolation (NanoAOD), used by build_without_particles.
  std::span<const float> electron_iso_all, electron_iso_charged, muon_iso_all, muon_iso_charged;
};

enum class Rejection { None, EmptyParticleMap, NoLepton, NoIsolatedLepton };

// The result for one selected event. Rows are kParticleFeatures floats each, lepton first.
struct EventFeatures {
  std::array<float, kHighLevelFeatures> high_level{};
  std::vector<float> particles;  // row-major, rows() × 19
  uint16_t tracks = 0, photons = 0, neutral = 0;
  size_t rows() const { return particles.size() / kParticleFeatures; }
};

// Isolation sums in a cone over one map of particles, sorted by η so each query visits only
// the particles within the cone's η band.
class ConeMap {
 public:
  void build(std::span<const float> pt, std::span<const float> eta, std::span<const float> phi,
             double min_pt);
  // Σ pT of map entries with ΔR² < cone² around (η, φ), skipping the entry that came from
  // `exclude` (an index into the unfiltered input), if any.
  double sum(double eta, double phi, double cone, int64_t exclude = -1) const;
  size_t size() const { return eta_.size(); }
  // Entries in input order: index into the unfiltered input.
  std::span<const uint32_t> input_order() const { return in_order_; }

 private:
  std::vector<float> eta_, phi_, pt_;
  std::vector<uint32_t> source_;    // input index of each η-sorted entry
  std::vector<uint32_t> in_order_;  // input indices passing the threshold, in input order
  std::vector<uint32_t> permutation_;
};

class FeatureBuilder {
 public:
  explicit FeatureBuilder(SelectionConfig config = {}) : config_(config) {}
  const SelectionConfig& config() const { return config_; }
  // Applies the selection; on success fills `out` and returns Rejection::None.
  Rejection build(const EventInput& event, EventFeatures& out);
  // For files without particle-flow candidates (NanoAOD): the lepton is chosen with the file's
  // precomputed relative isolation (cone 0.3), the particle matrix holds the lepton only, and the
  // neutral-hadron and photon isolations cannot be told apart: LepIsoNeu holds their sum and
  // LepIsoGamma is 0.
  Rejection build_without_particles(const EventInput& event, EventFeatures& out);
  // build() for inputs with particle-flow candidates (Delphes), build_without_particles() otherwise.
  Rejection select(const EventInput& event, bool particle_flow, EventFeatures& out) {
    return particle_flow ? build(event, out) : build_without_particles(event, out);
  }

 private:
  struct Candidate {
    bool found = false;
    double pt = 0, eta = 0, phi = 0, e = 0, px = 0, py = 0, pz = 0;
    double iso_charged = 0, iso_photon = 0, iso_neutral = 0;
    int32_t charge = 0;
  };
  Candidate first_isolated(std::span<const float> pt, std::span<const float> eta, std::span<const float> phi,
                           std::span<const int32_t> charge) const;
  void add_row(EventFeatures& out, const std::array<float, kParticleFeatures>& row) const;
  void add_lepton(EventFeatures& out, const Candidate& lepton, bool is_electron) const;
  void fill_high_level(const EventInput& in, const Candidate& lepton, EventFeatures& out) const;

  SelectionConfig config_;
  ConeMap tracks_, photons_, neutral_;
};

}  // namespace trigml::physics

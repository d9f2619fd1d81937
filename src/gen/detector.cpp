#include "gen/detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fastjet/ClusterSequence.hh>
#include <fastjet/JetDefinition.hh>
#include <fastjet/PseudoJet.hh>
#include <mutex>
#include <numbers>
#include <vector>

namespace trigml::gen {
namespace {

constexpr double kPi = std::numbers::pi;

// Acceptance (Delphes CMS card): tracker |eta| < 2.5, calorimeters |eta| < 5, muon system 2.4.
constexpr double kTrackerEtaMax = 2.5, kCalorimeterEtaMax = 5.0, kMuonEtaMax = 2.4;
constexpr double kTrackPtMin = 0.1;
// Electrons and muons are identified above 10 GeV.
constexpr double kLeptonPtMin = 10.0;

// Calorimeter cells: 0.087 x 5 degrees (CMS barrel and endcap trigger towers) for |eta| < 2.5,
// 0.167 x 10 degrees in the forward region (CMS HF) up to |eta| = 5.
constexpr int kCentralEtaBins = 58, kCentralPhiBins = 72;
constexpr int kForwardEtaBins = 15, kForwardPhiBins = 36;
constexpr double kCentralEtaWidth = 2.0 * kTrackerEtaMax / kCentralEtaBins;
constexpr double kForwardEtaWidth = (kCalorimeterEtaMax - kTrackerEtaMax) / kForwardEtaBins;
constexpr int kCentralCells = kCentralEtaBins * kCentralPhiBins;
constexpr int kForwardCellsPerSide = kForwardEtaBins * kForwardPhiBins;
constexpr int kCells = kCentralCells + 2 * kForwardCellsPerSide;

// Tower energy thresholds (Delphes CMS card EnergyMin): ECAL 0.5 GeV, HCAL 1 GeV. On top, neutral
// towers need a transverse energy of 0.5 GeV (photons) and 1 GeV (neutral hadrons): this stands in
// for the pileup mitigation of the CMS pileup card and keeps the tower counts of 20 pileup
// interactions near those of the original samples (about 100 of each instead of 350-450).
constexpr double kEcalThreshold = 0.5, kHcalThreshold = 1.0;
constexpr double kPhotonEtThreshold = 0.5, kNeutralHadronEtThreshold = 1.0;
// Calorimeter resolutions sigma/E = a/sqrt(E) (+) b.
constexpr double kEcalStochastic = 0.05, kEcalConstant = 0.005;
constexpr double kHcalStochastic = 1.0, kHcalConstant = 0.05;

// Jets (Delphes CMS pileup card): anti-kt R = 0.4 on the energy-flow objects, pT > 20 GeV, after
// charged-hadron subtraction: tracks from pileup vertices further than the tracker's z-vertex
// resolution (0.1 mm) from the primary vertex are left out of the jets (not out of EFlowTrack).
constexpr double kJetRadius = 0.4, kJetPtMin = 20.0;
constexpr double kVertexResolutionZ = 0.1;
// b-tagging by truth matching to heavy hadrons within the jet radius, for |eta| < 2.5, with the
// efficiencies of a medium working point (CMS DeepCSV-like): b 70 %, c 18 %, light 1 %.
constexpr double kBTagEfficiencyBottom = 0.70, kBTagEfficiencyCharm = 0.18, kBTagMistagLight = 0.01;
constexpr double kHeavyHadronMatchPtMin = 5.0;

// Tracking efficiency (Delphes CMS card): 70 % / 60 % between 0.1 and 1 GeV, 95 % / 85 % above,
// in the barrel (|eta| < 1.5) and endcaps; muons are tracked at 99 % / 98 % above 1 GeV.
double tracking_efficiency(int abs_pdg, double pt, double abs_eta) {
  const bool barrel = abs_eta <= 1.5;
  if (pt <= 1.0) return barrel ? 0.70 : 0.60;
  if (abs_pdg == pdg::kMuon) return barrel ? 0.99 : 0.98;
  return barrel ? 0.95 : 0.85;
}

// Relative transverse-momentum resolution: 1 % multiple-scattering term, growing linearly with pT
// (curvature); the endcaps are worse by half.
double track_resolution(double pt, double abs_eta) {
  const double curvature = 1.5e-4 * pt;
  const double barrel = std::sqrt(0.01 * 0.01 + curvature * curvature);
  return abs_eta <= 1.5 ? barrel : 1.5 * barrel;
}

// Identification efficiency after tracking (Delphes CMS card): electrons 95 % / 85 % in the barrel
// and endcaps, muons 95 %.
double electron_efficiency(double abs_eta) {
  return abs_eta <= 1.5 ? 0.95 : 0.85;
}
constexpr double kMuonEfficiency = 0.95;

double particle_mass(int abs_pdg) {
  switch (abs_pdg) {
    case pdg::kElectron: return mass::kElectron;
    case pdg::kMuon: return mass::kMuon;
    case pdg::kKaon: return mass::kKaon;
    case pdg::kProton: return mass::kProton;
    default: return mass::kPion;
  }
}

bool is_neutrino(int abs_pdg) {
  return abs_pdg == pdg::kElectronNeutrino || abs_pdg == pdg::kMuonNeutrino || abs_pdg == pdg::kTauNeutrino;
}

int cell_index(double eta, double phi) {
  const double phi_fraction = (phi + kPi) / (2.0 * kPi);
  if (std::abs(eta) < kTrackerEtaMax) {
    const int eta_bin =
        std::clamp(static_cast<int>((eta + kTrackerEtaMax) / kCentralEtaWidth), 0, kCentralEtaBins - 1);
    const int phi_bin = std::clamp(static_cast<int>(phi_fraction * kCentralPhiBins), 0, kCentralPhiBins - 1);
    return eta_bin * kCentralPhiBins + phi_bin;
  }
  const int side = eta > 0.0 ? 1 : 0;
  const int eta_bin = std::clamp(static_cast<int>((std::abs(eta) - kTrackerEtaMax) / kForwardEtaWidth), 0,
                                 kForwardEtaBins - 1);
  const int phi_bin = std::clamp(static_cast<int>(phi_fraction * kForwardPhiBins), 0, kForwardPhiBins - 1);
  return kCentralCells + side * kForwardCellsPerSide + eta_bin * kForwardPhiBins + phi_bin;
}

struct CellBounds {
  double eta_low, eta_high, phi_low, phi_high;
};
CellBounds cell_bounds(int index) {
  if (index < kCentralCells) {
    const int eta_bin = index / kCentralPhiBins, phi_bin = index % kCentralPhiBins;
    const double eta_low = -kTrackerEtaMax + eta_bin * kCentralEtaWidth;
    const double phi_width = 2.0 * kPi / kCentralPhiBins;
    return {eta_low, eta_low + kCentralEtaWidth, -kPi + phi_bin * phi_width,
            -kPi + (phi_bin + 1) * phi_width};
  }
  const int forward = index - kCentralCells;
  const int side = forward / kForwardCellsPerSide;
  const int eta_bin = (forward % kForwardCellsPerSide) / kForwardPhiBins;
  const int phi_bin = forward % kForwardPhiBins;
  const double abs_low = kTrackerEtaMax + eta_bin * kForwardEtaWidth;
  const double phi_width = 2.0 * kPi / kForwardPhiBins;
  const double eta_low = side == 1 ? abs_low : -(abs_low + kForwardEtaWidth);
  return {eta_low, eta_low + kForwardEtaWidth, -kPi + phi_bin * phi_width, -kPi + (phi_bin + 1) * phi_width};
}

// FastJet prints its banner on the first clustering, guarded by a flag that is not thread-safe in
// Debian's build: silence it and use up the first time once, before threads cluster.
void silence_fastjet_banner() {
  static std::once_flag once;
  std::call_once(once, [] {
    fastjet::ClusterSequence::set_fastjet_banner_stream(nullptr);
    fastjet::ClusterSequence::print_banner();
  });
}

}  // namespace

struct Detector::Buffers {
  std::vector<double> ecal = std::vector<double>(kCells, 0.0);
  std::vector<double> hcal = std::vector<double>(kCells, 0.0);
  std::vector<int> ecal_hit_cells, hcal_hit_cells;
  // 1 / cosh of the smallest |eta| in each cell: the largest ET per unit of tower energy.
  std::vector<double> largest_et_per_energy = [] {
    std::vector<double> table(kCells);
    for (int index = 0; index < kCells; ++index) {
      const CellBounds bounds = cell_bounds(index);
      const double smallest_abs_eta = bounds.eta_low <= 0.0 && bounds.eta_high >= 0.0
                                          ? 0.0
                                          : std::min(std::abs(bounds.eta_low), std::abs(bounds.eta_high));
      table[index] = 1.0 / std::cosh(smallest_abs_eta);
    }
    return table;
  }();
  std::vector<fastjet::PseudoJet> jet_inputs;
  fastjet::JetDefinition jet_definition{fastjet::antikt_algorithm, kJetRadius};
  double met_x = 0.0, met_y = 0.0;

  void deposit(std::vector<double>& energies, std::vector<int>& hit_cells, double eta, double phi,
               double energy) {
    const int index = cell_index(eta, phi);
    if (energies[index] == 0.0) hit_cells.push_back(index);
    energies[index] += energy;
  }

  // Turns the cells hit in one calorimeter into towers above threshold, and resets them.
  void read_out(std::vector<double>& energies, std::vector<int>& hit_cells, double stochastic,
                double constant, double threshold, double et_threshold, Random& rng, TowerColumns& towers) {
    int count = 0;
    for (const int index : hit_cells) {
      const double energy = energies[index];
      energies[index] = 0.0;
      const double sigma =
          std::sqrt(stochastic * stochastic * energy + constant * constant * energy * energy);
      const double measured = energy + rng.normal(0.0, sigma);
      // Cheap rejection first: no direction inside the cell gives more than this ET.
      if (measured <= threshold || measured * largest_et_per_energy[index] <= et_threshold) continue;
      // As in Delphes, the tower direction is drawn uniformly inside the cell.
      const CellBounds bounds = cell_bounds(index);
      const double eta = rng.uniform(bounds.eta_low, bounds.eta_high);
      const double phi = rng.uniform(bounds.phi_low, bounds.phi_high);
      const double et = measured / std::cosh(eta);
      if (et <= et_threshold) continue;
      towers.et.push_back(static_cast<float>(et));
      towers.eta.push_back(static_cast<float>(eta));
      towers.phi.push_back(static_cast<float>(phi));
      // A massless tower: E = measured, |pz| = sqrt(E^2 - ET^2) with the sign of eta.
      const double pz = std::copysign(std::sqrt(std::max(0.0, measured * measured - et * et)), eta);
      add_visible(fastjet::PseudoJet(et * std::cos(phi), et * std::sin(phi), pz, measured), true);
      ++count;
    }
    hit_cells.clear();
    towers.size.push_back(count);
  }

  void add_visible(const fastjet::PseudoJet& momentum, bool jet_input) {
    met_x -= momentum.px();
    met_y -= momentum.py();
    if (jet_input) jet_inputs.push_back(momentum);
  }
};

Detector::Detector() : buffers_(std::make_unique<Buffers>()) {
  silence_fastjet_banner();
}
Detector::~Detector() = default;

void Detector::reconstruct(const EventRecord& record, Random& rng, EventBatch& batch) {
  Buffers& b = *buffers_;
  b.jet_inputs.clear();
  b.met_x = 0.0;
  b.met_y = 0.0;
  int tracks = 0, electrons = 0, muons = 0;
  for (const Particle& particle : record.particles) {
    const int abs_pdg = std::abs(particle.pdg);
    if (is_neutrino(abs_pdg)) continue;
    const double pt = particle.momentum.pt();
    if (pt <= 0.0) continue;
    const double eta = particle.momentum.eta();
    const double abs_eta = std::abs(eta);
    if (abs_eta >= kCalorimeterEtaMax) continue;
    const double phi = particle.momentum.phi();
    if (particle.charge != 0 && abs_eta < kTrackerEtaMax && pt > kTrackPtMin &&
        rng.chance(tracking_efficiency(abs_pdg, pt, abs_eta))) {
      const double measured_pt =
          std::max(kTrackPtMin, pt * (1.0 + rng.normal(0.0, track_resolution(pt, abs_eta))));
      // Float values shared by the track and the lepton object, so they match exactly.
      const float out_pt = static_cast<float>(measured_pt), out_eta = static_cast<float>(eta),
                  out_phi = static_cast<float>(phi);
      TrackColumns& t = batch.tracks;
      t.pt.push_back(out_pt);
      t.eta.push_back(out_eta);
      t.phi.push_back(out_phi);
      t.pid.push_back(particle.pdg);
      t.charge.push_back(particle.charge);
      t.x.push_back(static_cast<float>(particle.vertex.x));
      t.y.push_back(static_cast<float>(particle.vertex.y));
      t.z.push_back(static_cast<float>(particle.vertex.z));
      ++tracks;
      const bool from_pileup_vertex =
          particle.origin == Origin::Pileup &&
          std::abs(particle.vertex.z - record.primary_vertex.z) > kVertexResolutionZ;
      // The measured track: the true direction with the smeared momentum and the particle's mass.
      const double scale = measured_pt / pt;
      const double px = particle.momentum.px * scale, py = particle.momentum.py * scale,
                   pz = particle.momentum.pz * scale, m = particle_mass(abs_pdg);
      b.add_visible(fastjet::PseudoJet(px, py, pz, std::sqrt(px * px + py * py + pz * pz + m * m)),
                    !from_pileup_vertex);
      LeptonColumns* lepton = nullptr;
      if (abs_pdg == pdg::kElectron && measured_pt > kLeptonPtMin &&
          rng.chance(electron_efficiency(abs_eta))) {
        lepton = &batch.electrons;
        ++electrons;
      } else if (abs_pdg == pdg::kMuon && abs_eta < kMuonEtaMax && measured_pt > kLeptonPtMin &&
                 rng.chance(kMuonEfficiency)) {
        lepton = &batch.muons;
        ++muons;
      }
      if (lepton != nullptr) {
        lepton->pt.push_back(out_pt);
        lepton->eta.push_back(out_eta);
        lepton->phi.push_back(out_phi);
        lepton->charge.push_back(particle.charge);
      }
      continue;
    }
    // Untracked particles reach the calorimeters, except muons (minimum ionising).
    if (abs_pdg == pdg::kMuon) continue;
    if (abs_pdg == pdg::kElectron || abs_pdg == pdg::kPhoton) {
      b.deposit(b.ecal, b.ecal_hit_cells, eta, phi, particle.momentum.e);
    } else {
      b.deposit(b.hcal, b.hcal_hit_cells, eta, phi, particle.momentum.e);
    }
  }
  batch.tracks.size.push_back(tracks);
  batch.electrons.size.push_back(electrons);
  batch.muons.size.push_back(muons);
  b.read_out(b.ecal, b.ecal_hit_cells, kEcalStochastic, kEcalConstant, kEcalThreshold, kPhotonEtThreshold,
             rng, batch.photons);
  b.read_out(b.hcal, b.hcal_hit_cells, kHcalStochastic, kHcalConstant, kHcalThreshold,
             kNeutralHadronEtThreshold, rng, batch.neutral_hadrons);

  batch.missing_et.size.push_back(1);
  batch.missing_et.met.push_back(static_cast<float>(std::hypot(b.met_x, b.met_y)));
  batch.missing_et.phi.push_back(static_cast<float>(std::atan2(b.met_y, b.met_x)));

  const fastjet::ClusterSequence sequence(b.jet_inputs, b.jet_definition);
  const std::vector<fastjet::PseudoJet> jets = fastjet::sorted_by_pt(sequence.inclusive_jets(kJetPtMin));
  JetColumns& j = batch.jets;
  for (const fastjet::PseudoJet& jet : jets) {
    const double eta = jet.pseudorapidity(), phi = jet.phi_std();
    auto matches = [&](const std::vector<FourVector>& hadrons) {
      return std::any_of(hadrons.begin(), hadrons.end(), [&](const FourVector& h) {
        return h.pt() > kHeavyHadronMatchPtMin && delta_r(eta, phi, h.eta(), h.phi()) < kJetRadius;
      });
    };
    double tag_probability = kBTagMistagLight;
    if (matches(record.b_hadrons)) {
      tag_probability = kBTagEfficiencyBottom;
    } else if (matches(record.c_hadrons)) {
      tag_probability = kBTagEfficiencyCharm;
    }
    const bool tagged = std::abs(eta) < kTrackerEtaMax && rng.chance(tag_probability);
    j.pt.push_back(static_cast<float>(jet.pt()));
    j.eta.push_back(static_cast<float>(eta));
    j.phi.push_back(static_cast<float>(phi));
    j.mass.push_back(static_cast<float>(std::max(0.0, jet.m())));
    j.btag.push_back(tagged ? 1 : 0);
  }
  j.size.push_back(static_cast<int32_t>(jets.size()));
}

}  // namespace trigml::gen

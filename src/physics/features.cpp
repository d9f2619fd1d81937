#include "physics/features.hpp"

#include <algorithm>
#include <numeric>

#include "physics/kinematics.hpp"

namespace trigml::physics {

void ConeMap::build(std::span<const float> pt, std::span<const float> eta, std::span<const float> phi,
                    double min_pt) {
  in_order_.clear();
  for (uint32_t i = 0; i < pt.size(); ++i)
    if (pt[i] > min_pt) in_order_.push_back(i);
  permutation_.resize(in_order_.size());
  std::iota(permutation_.begin(), permutation_.end(), 0u);
  std::sort(permutation_.begin(), permutation_.end(),
            [&](uint32_t a, uint32_t b) { return eta[in_order_[a]] < eta[in_order_[b]]; });
  eta_.resize(in_order_.size());
  phi_.resize(in_order_.size());
  pt_.resize(in_order_.size());
  source_.resize(in_order_.size());
  for (size_t k = 0; k < permutation_.size(); ++k) {
    uint32_t i = in_order_[permutation_[k]];
    eta_[k] = eta[i];
    phi_[k] = phi[i];
    pt_[k] = pt[i];
    source_[k] = i;
  }
}

double ConeMap::sum(double eta, double phi, double cone, int64_t exclude) const {
  const double cone2 = cone * cone;
  auto begin = std::lower_bound(eta_.begin(), eta_.end(), eta - cone);
  double total = 0;
  for (size_t k = static_cast<size_t>(begin - eta_.begin()); k < eta_.size() && eta_[k] <= eta + cone; ++k) {
    if (static_cast<int64_t>(source_[k]) == exclude) continue;
    if (delta_r2(eta_[k], phi_[k], eta, phi) < cone2) total += pt_[k];
  }
  return total;
}

FeatureBuilder::Candidate FeatureBuilder::first_isolated(std::span<const float> pt,
                                                         std::span<const float> eta,
                                                         std::span<const float> phi,
                                                         std::span<const int32_t> charge) const {
  Candidate c;
  const double cone = config_.isolation_cone;
  for (size_t i = 0; i < pt.size(); ++i) {
    if (!(pt[i] > config_.lepton_min_pt)) continue;
    MasslessVector v = MasslessVector::from_pt_eta_phi(pt[i], eta[i], phi[i]);
    double lepton_pt = v.pt(), lepton_eta = v.eta(), lepton_phi = v.phi();
    // The lepton's own track is in the track map: its charged isolation subtracts its own pT
    // (as the original does; choices.md #4).
    double charged = tracks_.sum(lepton_eta, lepton_phi, cone) / lepton_pt - 1;
    double photon = photons_.sum(lepton_eta, lepton_phi, cone) / lepton_pt;
    double neutral = neutral_.sum(lepton_eta, lepton_phi, cone) / lepton_pt;
    if (charged + photon + neutral < config_.max_relative_isolation) {
      c.found = true;
      c.pt = lepton_pt;
      c.eta = lepton_eta;
      c.phi = lepton_phi;
      c.px = v.px;
      c.py = v.py;
      c.pz = v.pz;
      c.e = v.e;
      c.iso_charged = charged;
      c.iso_photon = photon;
      c.iso_neutral = neutral;
      c.charge = charge[i];
      return c;
    }
  }
  return c;
}

void FeatureBuilder::add_row(EventFeatures& out, const std::array<float, kParticleFeatures>& row) const {
  out.particles.insert(out.particles.end(), row.begin(), row.end());
}

void FeatureBuilder::add_lepton(EventFeatures& out, const Candidate& lepton, bool is_electron) const {
  using F = ParticleFeature;
  std::array<float, kParticleFeatures> row{};
  auto set = [&row](F f, double v) { row[index(f)] = static_cast<float>(v); };
  set(F::Energy, lepton.e);
  set(F::Px, lepton.px);
  set(F::Py, lepton.py);
  set(F::Pz, lepton.pz);
  set(F::Pt, lepton.pt);
  set(F::Eta, lepton.eta);
  set(F::Phi, lepton.phi);
  set(F::ChPFIso, lepton.iso_charged);
  set(F::GammaPFIso, lepton.iso_photon);
  set(F::NeuPFIso, lepton.iso_neutral);
  set(F::IsEle, is_electron ? 1 : 0);
  set(F::IsMu, is_electron ? 0 : 1);
  set(F::Charge, lepton.charge);
  add_row(out, row);
}

void FeatureBuilder::fill_high_level(const EventInput& in, const Candidate& lepton,
                                     EventFeatures& out) const {
  using H = HighLevelFeature;
  using F = ParticleFeature;
  double ht = 0;
  int jets = 0, bjets = 0;
  for (size_t j = 0; j < in.jet_pt.size(); ++j) {
    if (!(in.jet_pt[j] > config_.jet_min_pt) || !(std::fabs(in.jet_eta[j]) < config_.jet_max_abs_eta))
      continue;
    ht += in.jet_pt[j];
    ++jets;
    if (in.jet_btag[j] > config_.btag_threshold) ++bjets;
  }
  auto& h = out.high_level;
  const float* lep = out.particles.data();
  h[index(H::HT)] = static_cast<float>(ht);
  h[index(H::MET)] = in.met;
  h[index(H::PhiMET)] = in.met_phi;
  h[index(H::MT)] = static_cast<float>(transverse_mass(lepton.pt, lepton.phi, in.met, in.met_phi));
  h[index(H::NJets)] = static_cast<float>(jets);
  h[index(H::NBJets)] = static_cast<float>(bjets);
  h[index(H::LepPt)] = lep[index(F::Pt)];
  h[index(H::LepEta)] = lep[index(F::Eta)];
  h[index(H::LepPhi)] = lep[index(F::Phi)];
  h[index(H::LepIsoCh)] = lep[index(F::ChPFIso)];
  h[index(H::LepIsoGamma)] = lep[index(F::GammaPFIso)];
  h[index(H::LepIsoNeu)] = lep[index(F::NeuPFIso)];
  h[index(H::LepCharge)] = lep[index(F::Charge)];
  h[index(H::LepIsEle)] = lep[index(F::IsEle)];
}

Rejection FeatureBuilder::build_without_particles(const EventInput& in, EventFeatures& out) {
  if (in.electron_pt.empty() && in.muon_pt.empty()) return Rejection::NoLepton;
  auto first = [&](std::span<const float> pt, std::span<const float> eta, std::span<const float> phi,
                   std::span<const int32_t> charge, std::span<const float> iso_all,
                   std::span<const float> iso_ch) {
    Candidate c;
    for (size_t i = 0; i < pt.size(); ++i) {
      if (!(pt[i] > config_.lepton_min_pt) || !(iso_all[i] < config_.max_relative_isolation)) continue;
      MasslessVector v = MasslessVector::from_pt_eta_phi(pt[i], eta[i], phi[i]);
      c.found = true;
      c.pt = v.pt(), c.eta = v.eta(), c.phi = v.phi(), c.px = v.px, c.py = v.py, c.pz = v.pz, c.e = v.e;
      c.iso_charged = iso_ch[i];
      c.iso_neutral = iso_all[i] - iso_ch[i];
      c.iso_photon = 0;
      c.charge = charge[i];
      break;
    }
    return c;
  };
  Candidate electron = first(in.electron_pt, in.electron_eta, in.electron_phi, in.electron_charge,
                             in.electron_iso_all, in.electron_iso_charged);
  Candidate muon =
      first(in.muon_pt, in.muon_eta, in.muon_phi, in.muon_charge, in.muon_iso_all, in.muon_iso_charged);
  if (!electron.found && !muon.found) return Rejection::NoIsolatedLepton;
  bool is_electron = electron.found && (!muon.found || electron.pt >= muon.pt);
  const Candidate& lepton = is_electron ? electron : muon;
  out.particles.clear();
  add_lepton(out, lepton, is_electron);
  out.tracks = out.photons = out.neutral = 0;
  fill_high_level(in, lepton, out);
  return Rejection::None;
}

Rejection FeatureBuilder::build(const EventInput& in, EventFeatures& out) {
  tracks_.build(in.track_pt, in.track_eta, in.track_phi, config_.track_min_pt);
  photons_.build(in.photon_et, in.photon_eta, in.photon_phi, config_.photon_min_et);
  neutral_.build(in.neutral_et, in.neutral_eta, in.neutral_phi, config_.neutral_min_et);
  if (tracks_.size() == 0 || photons_.size() == 0 || neutral_.size() == 0) return Rejection::EmptyParticleMap;
  if (in.electron_pt.empty() && in.muon_pt.empty()) return Rejection::NoLepton;

  Candidate electron = first_isolated(in.electron_pt, in.electron_eta, in.electron_phi, in.electron_charge);
  Candidate muon = first_isolated(in.muon_pt, in.muon_eta, in.muon_phi, in.muon_charge);
  if (!electron.found && !muon.found) return Rejection::NoIsolatedLepton;
  // The higher-pT lepton wins; ties go to the electron (choices.md #2).
  bool is_electron = electron.found && (!muon.found || electron.pt >= muon.pt);
  const Candidate& lepton = is_electron ? electron : muon;

  out.particles.clear();
  add_lepton(out, lepton, is_electron);
  const double cone = config_.isolation_cone;
  using F = ParticleFeature;
  std::array<float, kParticleFeatures> row{};
  auto set = [&row](F f, double v) { row[index(f)] = static_cast<float>(v); };

  // A particle's own contribution is removed from its own collection's isolation only
  // (choices.md #4).
  auto fill_common = [&](double pt, double eta, double phi, int64_t track, int64_t photon, int64_t neutral) {
    MasslessVector v = MasslessVector::from_pt_eta_phi(pt, eta, phi);
    row.fill(0);
    set(F::Energy, v.e);
    set(F::Px, v.px);
    set(F::Py, v.py);
    set(F::Pz, v.pz);
    set(F::Pt, pt);
    set(F::Eta, eta);
    set(F::Phi, phi);
    set(F::ChPFIso, tracks_.sum(eta, phi, cone, track) / pt);
    set(F::GammaPFIso, photons_.sum(eta, phi, cone, photon) / pt);
    set(F::NeuPFIso, neutral_.sum(eta, phi, cone, neutral) / pt);
  };

  uint16_t tracks = 0;
  for (uint32_t i : tracks_.input_order()) {
    if (tracks >= config_.max_tracks) break;
    if (delta_r(lepton.eta, lepton.phi, in.track_eta[i], in.track_phi[i]) <= config_.own_track_max_delta_r)
      continue;
    fill_common(in.track_pt[i], in.track_eta[i], in.track_phi[i], i, -1, -1);
    set(F::VertexX, in.track_x[i]);
    set(F::VertexY, in.track_y[i]);
    set(F::VertexZ, in.track_z[i]);
    set(F::IsChHad, 1);
    set(F::Charge, in.track_charge[i]);  // the track's Charge member (choices.md #10)
    add_row(out, row);
    ++tracks;
  }
  uint16_t photons = 0;
  for (uint32_t i : photons_.input_order()) {
    if (photons >= config_.max_photons) break;
    fill_common(in.photon_et[i], in.photon_eta[i], in.photon_phi[i], -1, i, -1);
    set(F::IsGamma, 1);
    add_row(out, row);
    ++photons;
  }
  uint16_t neutral = 0;
  for (uint32_t i : neutral_.input_order()) {
    if (neutral >= config_.max_neutral) break;
    fill_common(in.neutral_et[i], in.neutral_eta[i], in.neutral_phi[i], -1, -1, i);
    set(F::IsNeuHad, 1);
    add_row(out, row);
    ++neutral;
  }
  out.tracks = tracks;
  out.photons = photons;
  out.neutral = neutral;

  fill_high_level(in, lepton, out);
  return Rejection::None;
}

}  // namespace trigml::physics

#include "gen/hard_process.hpp"

#include <cmath>
#include <numbers>

#include "gen/hadronization.hpp"

namespace trigml::gen {
namespace {

constexpr double kPi = std::numbers::pi;

// Initial-state radiation: the number of hard emissions is geometric (each further jet costs a
// constant factor, the "Berends scaling" seen in V+jets and tt+jets data), each with a power-law
// transverse momentum above kIsrPtMin and a broad rapidity distribution.
constexpr double kIsrPtMin = 20.0;
constexpr double kIsrRapiditySigma = 1.8, kIsrRapidityMax = 4.7;
// Soft recoil of the hard system against unresolved radiation and intrinsic parton motion, per
// transverse component (GeV).
constexpr double kIntrinsicKtSigma = 5.0;

struct IsrSettings {
  double continuation;  // probability of one more emission
  double pt_index;      // dN/dpT ~ pT^-(index + 1)
};
constexpr IsrSettings kTopPairIsr{0.45, 2.0};
constexpr IsrSettings kWJetsIsr{0.30, 2.5};
constexpr IsrSettings kDijetIsr{0.35, 2.5};

// tt: invariant mass above threshold m1 + m2 + Gamma(2, 75 GeV): peak near 420 GeV and mean near
// 500 GeV as in the measured (NNLO) m_tt spectrum; the pair rapidity is Gaussian, sigma 1.
constexpr double kTopPairExcessScale = 75.0, kTopPairRapiditySigma = 1.0;
constexpr double kTopMassWindow = 7.5;
// Standard Model W branching ratios: 10.8 % to each lepton flavour, the rest to quarks.
constexpr double kWToLeptonPerFlavour = 0.108;
// W+jets: W+ / (W+ + W-) at 13 TeV, and rapidities flat-ish out to |y| = 2.5.
constexpr double kWPlusShare = 0.58, kWRapiditySigma = 2.0, kWRapidityMax = 2.5;
constexpr double kWMassMin = 50.0, kWMassMax = 150.0;
// Dijets: dsigma/dpT ~ pT^-5 above 30 GeV, parton rapidities Gaussian with sigma 1.6.
constexpr double kDijetPtMin = 30.0, kDijetPtIndex = 4.0, kDijetRapiditySigma = 1.6, kDijetRapidityMax = 4.5;

double truncated_normal(Random& rng, double sigma, double limit) {
  double value;
  do {
    value = rng.normal(0.0, sigma);
  } while (std::abs(value) > limit);
  return value;
}

int light_parton(Random& rng) {
  // Radiated partons are mostly gluons; quarks carry a random light flavour and sign.
  if (rng.chance(0.75)) return pdg::kGluon;
  const int flavour = 1 + static_cast<int>(rng.uniform() * 3.0);
  return rng.chance(0.5) ? flavour : -flavour;
}

// Adds the ISR partons and returns their total transverse momentum plus the intrinsic kT: the hard
// system takes the opposite.
FourVector add_initial_state_radiation(EventRecord& record, const IsrSettings& settings, Random& rng) {
  FourVector total{rng.normal(0.0, kIntrinsicKtSigma), rng.normal(0.0, kIntrinsicKtSigma), 0.0, 0.0};
  while (rng.chance(settings.continuation)) {
    const double pt = rng.power_law(kIsrPtMin, settings.pt_index);
    const double eta = truncated_normal(rng, kIsrRapiditySigma, kIsrRapidityMax);
    const FourVector parton = FourVector::from_pt_eta_phi_m(pt, eta, rng.phi(), 0.0);
    record.partons.push_back({parton, light_parton(rng)});
    total.px += parton.px;
    total.py += parton.py;
  }
  return total;
}

// W decay at the primary vertex. leptonic_only selects W -> l nu (W+jets sample); otherwise the
// Standard Model branching ratios apply.
void decay_w(EventRecord& record, const FourVector& w, int charge, bool leptonic_only, Random& rng) {
  const double r = rng.uniform();
  const bool leptonic = leptonic_only || r < 3.0 * kWToLeptonPerFlavour;
  FourVector first, second;
  if (leptonic) {
    const double u = leptonic_only ? rng.uniform() : r / (3.0 * kWToLeptonPerFlavour);
    const int lepton = u < 1.0 / 3.0 ? pdg::kElectron : (u < 2.0 / 3.0 ? pdg::kMuon : pdg::kTau);
    const double lepton_mass =
        lepton == pdg::kElectron ? mass::kElectron : (lepton == pdg::kMuon ? mass::kMuon : mass::kTau);
    two_body_decay(w, lepton_mass, 0.0, rng, first, second);
    // W+ -> l+ nu (l+ has a negative PDG id); W- -> l- anti-nu.
    const int lepton_pdg = charge > 0 ? -lepton : lepton;
    const int neutrino_pdg = charge > 0 ? lepton + 1 : -(lepton + 1);
    if (lepton == pdg::kTau) {
      decay_tau(record, first, lepton_pdg, record.primary_vertex, rng);
    } else {
      record.particles.push_back({first, record.primary_vertex, lepton_pdg, charge, Origin::HardCollision});
    }
    record.particles.push_back({second, record.primary_vertex, neutrino_pdg, 0, Origin::HardCollision});
    return;
  }
  // W+ -> u dbar or c sbar (equal shares, CKM-diagonal); W- the charge conjugates.
  two_body_decay(w, 0.0, 0.0, rng, first, second);
  const bool charm = rng.chance(0.5);
  const int up_type = charm ? pdg::kCharm : pdg::kUp;
  const int down_type = charm ? pdg::kStrange : pdg::kDown;
  record.partons.push_back({first, charge > 0 ? up_type : -up_type});
  record.partons.push_back({second, charge > 0 ? -down_type : down_type});
}

// t -> W b with the W mass from its Breit-Wigner inside the kinematic limit.
void decay_top(EventRecord& record, const FourVector& top, int top_pdg, Random& rng) {
  const double top_mass = top.mass();
  const double w_mass = rng.breit_wigner(mass::kW, mass::kWWidth, kWMassMin, top_mass - mass::kBottom - 0.5);
  FourVector w, b;
  two_body_decay(top, w_mass, mass::kBottom, rng, w, b);
  const int sign = top_pdg > 0 ? 1 : -1;
  record.partons.push_back({b, sign * pdg::kBottom});
  decay_w(record, w, sign, false, rng);
}

}  // namespace

void generate_top_pair(EventRecord& record, Random& rng) {
  const FourVector recoil = add_initial_state_radiation(record, kTopPairIsr, rng);
  const double top_mass =
      rng.breit_wigner(mass::kTop, mass::kTopWidth, mass::kTop - kTopMassWindow, mass::kTop + kTopMassWindow);
  const double antitop_mass =
      rng.breit_wigner(mass::kTop, mass::kTopWidth, mass::kTop - kTopMassWindow, mass::kTop + kTopMassWindow);
  const double pair_mass = top_mass + antitop_mass + rng.gamma_integer(2, kTopPairExcessScale);
  const double pair_pt = recoil.pt();
  const FourVector pair = FourVector::from_pt_y_phi_m(pair_pt, rng.normal(0.0, kTopPairRapiditySigma),
                                                      std::atan2(-recoil.py, -recoil.px), pair_mass);
  // Production angle in the pair rest frame: 1 + cos^2(theta), as for gg -> tt well above threshold.
  double cos_theta;
  do {
    cos_theta = rng.uniform(-1.0, 1.0);
  } while (!rng.chance(0.5 * (1.0 + cos_theta * cos_theta)));
  const double sin_theta = std::sqrt(1.0 - cos_theta * cos_theta);
  const double azimuth = rng.phi();
  const double m = pair_mass, sum = top_mass + antitop_mass, difference = top_mass - antitop_mass;
  const double p = std::sqrt((m * m - sum * sum) * (m * m - difference * difference)) / (2.0 * m);
  const double nx = sin_theta * std::cos(azimuth), ny = sin_theta * std::sin(azimuth);
  const FourVector top = FourVector::along(nx, ny, cos_theta, p, top_mass).boosted_from_rest_of(pair);
  const FourVector antitop =
      FourVector::along(-nx, -ny, -cos_theta, p, antitop_mass).boosted_from_rest_of(pair);
  decay_top(record, top, pdg::kTop, rng);
  decay_top(record, antitop, -pdg::kTop, rng);
}

void generate_w_jets(EventRecord& record, Random& rng) {
  const FourVector recoil = add_initial_state_radiation(record, kWJetsIsr, rng);
  const double w_mass = rng.breit_wigner(mass::kW, mass::kWWidth, kWMassMin, kWMassMax);
  const double rapidity = truncated_normal(rng, kWRapiditySigma, kWRapidityMax);
  const FourVector w =
      FourVector::from_pt_y_phi_m(recoil.pt(), rapidity, std::atan2(-recoil.py, -recoil.px), w_mass);
  decay_w(record, w, rng.chance(kWPlusShare) ? 1 : -1, true, rng);
}

void generate_heavy_flavour_dijet(EventRecord& record, Random& rng) {
  const FourVector recoil = add_initial_state_radiation(record, kDijetIsr, rng);
  const double pt = rng.power_law(kDijetPtMin, kDijetPtIndex);
  const double azimuth = rng.phi();
  FourVector first = FourVector::from_pt_y_phi_m(
      pt, truncated_normal(rng, kDijetRapiditySigma, kDijetRapidityMax), azimuth, 0.0);
  FourVector second = FourVector::from_pt_y_phi_m(
      pt, truncated_normal(rng, kDijetRapiditySigma, kDijetRapidityMax), azimuth + kPi, 0.0);
  // Both hard partons share the recoil against the radiation.
  for (FourVector* parton : {&first, &second}) {
    parton->px -= 0.5 * recoil.px;
    parton->py -= 0.5 * recoil.py;
    parton->e = parton->p();
  }
  // Heavy-flavour production channels: pair creation (gg -> bb, cc) and flavour excitation
  // (bg -> bg, cg -> cg), weighted towards b as lepton-filtered samples are.
  const double r = rng.uniform();
  const int sign = rng.chance(0.5) ? 1 : -1;
  int first_pdg, second_pdg;
  if (r < 0.40) {
    first_pdg = sign * pdg::kBottom;
    second_pdg = -sign * pdg::kBottom;
  } else if (r < 0.65) {
    first_pdg = sign * pdg::kBottom;
    second_pdg = pdg::kGluon;
  } else if (r < 0.85) {
    first_pdg = sign * pdg::kCharm;
    second_pdg = -sign * pdg::kCharm;
  } else {
    first_pdg = sign * pdg::kCharm;
    second_pdg = pdg::kGluon;
  }
  if (rng.chance(0.5)) std::swap(first_pdg, second_pdg);
  record.partons.push_back({first, first_pdg});
  record.partons.push_back({second, second_pdg});
}

}  // namespace trigml::gen

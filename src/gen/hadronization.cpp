#include "gen/hadronization.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <numbers>

namespace trigml::gen {
namespace {

constexpr double kPi = std::numbers::pi;

// Strong coupling at the Z mass; a fixed coupling is enough for the rate of hard emissions.
constexpr double kAlphaStrong = 0.118;
constexpr double kColourFactorQuark = 4.0 / 3.0;
constexpr double kColourFactorGluon = 3.0;
// Emission phase space: energy fraction of the gluon and opening angle (radians).
constexpr double kEmissionZMin = 0.05, kEmissionZMax = 0.5;
constexpr double kEmissionAngleMin = 0.02, kEmissionAngleMax = 1.2;
// Emissions softer than this (relative transverse momentum, GeV) are part of the fragmentation.
constexpr double kEmissionMinKt = 2.0;
constexpr double kRadiatingMinEnergy = 10.0;

// Lund-like fragmentation f(z) ~ (1 - z)^a / z, iterated on the remaining energy; a = 0.5 gives
// 14 hadrons (8 charged) from a 50 GeV parton and 17 (10 charged) from a 100 GeV one. With the
// final-state radiation, e+e- -> q qbar at 91 GeV gets 18 charged particles (LEP: 21; there are no
// resonance decays here).
constexpr double kLundA = 0.5;
// Smallest hadron energy taken from the string (GeV); below kStringStopEnergy the rest becomes one
// last hadron.
constexpr double kHadronMinEnergy = 0.4;
constexpr double kStringStopEnergy = 1.0;
// Width of each transverse-momentum component of a hadron relative to its parton (GeV), the
// Gaussian tunneling width of the Lund model.
constexpr double kFragmentationKtSigma = 0.35;

// Hadron species in fragmentation: charged 60 %, neutral pions 25 % (each to two photons), other
// neutral hadrons (K_L, neutrons) 15 %; charged hadrons are pions 80 %, kaons 12 %, protons 8 %.
constexpr double kChargedFraction = 0.60, kNeutralPionFraction = 0.25;
constexpr double kChargedPionShare = 0.80, kChargedKaonShare = 0.12;

// Peterson fragmentation parameters of b and c quarks (e+e- fits).
constexpr double kPetersonEpsilonBottom = 0.006, kPetersonEpsilonCharm = 0.05;
// Proper decay lengths c*tau (mm): B hadrons (average), D hadrons (D0/D+ mix), tau lepton.
constexpr double kDecayLengthB = 0.455, kDecayLengthD = 0.20, kDecayLengthTau = 0.087;
// Inclusive semileptonic branching ratios per lepton flavour (PDG): b -> l nu X 10.7 %,
// c -> l nu X about 9 % (averaged over D0, D+, Ds).
constexpr double kSemileptonicBottom = 0.107, kSemileptonicCharm = 0.09;
// Tau decays (PDG): e nu nu 17.8 %, mu nu nu 17.4 %; hadronic decays are one-prong 77 %.
constexpr double kTauToElectron = 0.178, kTauToMuon = 0.174, kTauOneProngShare = 0.77;

// Soft interactions: dN/dpT ~ pT exp(-pT / 0.28 GeV) (mean 0.56 GeV), |eta| < 5, negative-binomial
// multiplicity (Poisson with a Gamma-distributed mean of shape k = 4), broader than Poisson like
// the minimum-bias multiplicity distributions measured at the LHC.
constexpr double kSoftPtScale = 0.28;
constexpr int kSoftMultiplicityShape = 4;
constexpr double kSoftEtaMax = 5.0;

constexpr int kMaxDecayProducts = 8;
using DecayMomenta = std::array<FourVector, kMaxDecayProducts>;

// Two unit vectors orthogonal to the unit vector (nx, ny, nz) and to each other.
struct Basis {
  double ux, uy, uz, vx, vy, vz;
};
Basis orthogonal_basis(double nx, double ny, double nz) {
  // Cross with the axis least aligned with n for numerical stability.
  double ax = 0.0, ay = 0.0, az = 0.0;
  if (std::abs(nx) < 0.6) {
    ax = 1.0;
  } else {
    ay = 1.0;
  }
  double ux = ny * az - nz * ay, uy = nz * ax - nx * az, uz = nx * ay - ny * ax;
  const double norm = std::sqrt(ux * ux + uy * uy + uz * uz);
  ux /= norm;
  uy /= norm;
  uz /= norm;
  return {ux, uy, uz, ny * uz - nz * uy, nz * ux - nx * uz, nx * uy - ny * ux};
}

// RAMBO (Kleiss, Stirling, Ellis 1986): n massless momenta uniformly distributed in phase space,
// with total energy `mass` at rest. Decay products here are light compared with the parent.
void rambo(int n, double mass, Random& rng, DecayMomenta& out) {
  FourVector total;
  for (int i = 0; i < n; ++i) {
    const double cos_theta = rng.uniform(-1.0, 1.0);
    const double sin_theta = std::sqrt(1.0 - cos_theta * cos_theta);
    const double azimuth = rng.phi();
    const double energy = -std::log(rng.uniform_open() * rng.uniform_open());
    out[i] = {energy * sin_theta * std::cos(azimuth), energy * sin_theta * std::sin(azimuth),
              energy * cos_theta, energy};
    total += out[i];
  }
  const double total_mass = total.mass();
  const double bx = -total.px / total_mass, by = -total.py / total_mass, bz = -total.pz / total_mass;
  const double x = mass / total_mass;
  const double gamma = total.e / total_mass;
  const double a = 1.0 / (1.0 + gamma);
  for (int i = 0; i < n; ++i) {
    const FourVector q = out[i];
    const double bq = bx * q.px + by * q.py + bz * q.pz;
    out[i] = {x * (q.px + bx * q.e + a * bq * bx), x * (q.py + by * q.e + a * bq * by),
              x * (q.pz + bz * q.e + a * bq * bz), x * (gamma * q.e + bq)};
  }
}

FourVector with_mass(const FourVector& p, double m) {
  return {p.px, p.py, p.pz, std::sqrt(p.p() * p.p() + m * m)};
}

void add_particle(EventRecord& record, const FourVector& momentum, const Vertex& vertex, int pdg, int charge,
                  Origin origin) {
  record.particles.push_back({momentum, vertex, pdg, charge, origin});
}

void add_neutral_pion(EventRecord& record, const FourVector& momentum, const Vertex& vertex, Origin origin,
                      Random& rng) {
  FourVector first, second;
  two_body_decay(with_mass(momentum, mass::kNeutralPion), 0.0, 0.0, rng, first, second);
  add_particle(record, first, vertex, pdg::kPhoton, 0, origin);
  add_particle(record, second, vertex, pdg::kPhoton, 0, origin);
}

void add_charged_hadron(EventRecord& record, const FourVector& momentum, const Vertex& vertex, int charge,
                        Origin origin, Random& rng) {
  const double r = rng.uniform();
  int id = pdg::kProton;
  double m = mass::kProton;
  if (r < kChargedPionShare) {
    id = pdg::kPion;
    m = mass::kPion;
  } else if (r < kChargedPionShare + kChargedKaonShare) {
    id = pdg::kKaon;
    m = mass::kKaon;
  }
  add_particle(record, with_mass(momentum, m), vertex, charge > 0 ? id : -id, charge, origin);
}

// A hadron of a species drawn from the fragmentation mixture, carrying `momentum`.
void add_hadron(EventRecord& record, const FourVector& momentum, const Vertex& vertex, Origin origin,
                Random& rng) {
  const double r = rng.uniform();
  if (r < kChargedFraction) {
    add_charged_hadron(record, momentum, vertex, rng.chance(0.5) ? 1 : -1, origin, rng);
  } else if (r < kChargedFraction + kNeutralPionFraction) {
    add_neutral_pion(record, momentum, vertex, origin, rng);
  } else if (rng.chance(0.5)) {
    add_particle(record, with_mass(momentum, mass::kLongKaon), vertex, pdg::kLongKaon, 0, origin);
  } else {
    add_particle(record, with_mass(momentum, mass::kNeutron), vertex,
                 rng.chance(0.5) ? pdg::kNeutron : -pdg::kNeutron, 0, origin);
  }
}

// Where a particle of momentum p, mass m and proper decay length c*tau decays.
Vertex decay_vertex(const Vertex& origin, const FourVector& p, double m, double proper_length, Random& rng) {
  const double momentum = p.p();
  const double flight = rng.exponential(proper_length) * momentum / m;
  return {origin.x + flight * p.px / momentum, origin.y + flight * p.py / momentum,
          origin.z + flight * p.pz / momentum};
}

// Peterson et al. (1983): f(z) ~ 1 / (z (1 - 1/z - eps/(1-z))^2), sampled by rejection against its
// maximum, found on a grid once per epsilon.
double peterson_max(double epsilon) {
  double best = 0.0;
  for (int i = 1; i < 2000; ++i) {
    const double z = i / 2000.0;
    const double d = 1.0 - 1.0 / z - epsilon / (1.0 - z);
    best = std::max(best, 1.0 / (z * d * d));
  }
  return best * 1.05;
}
double sample_peterson(double epsilon, double maximum, Random& rng) {
  while (true) {
    const double z = rng.uniform(1e-4, 1.0 - 1e-4);
    const double d = 1.0 - 1.0 / z - epsilon / (1.0 - z);
    if (rng.uniform() * maximum < 1.0 / (z * d * d)) return z;
  }
}

// Decays a b or c hadron (quark_pdg = +-5 or +-4) at its displaced vertex. In b -> c l nu the
// lepton has the sign of the b quark's charge (a b quark gives l-); in c -> s l nu the opposite.
void decay_heavy_hadron(EventRecord& record, const FourVector& hadron, int quark_pdg, const Vertex& origin,
                        Random& rng) {
  const bool bottom = std::abs(quark_pdg) == pdg::kBottom;
  const double hadron_mass = bottom ? mass::kBHadron : mass::kDHadron;
  const Vertex vertex =
      decay_vertex(origin, hadron, hadron_mass, bottom ? kDecayLengthB : kDecayLengthD, rng);
  const double semileptonic = bottom ? kSemileptonicBottom : kSemileptonicCharm;
  const double r = rng.uniform();
  DecayMomenta products;
  if (r < 2.0 * semileptonic) {
    const int lepton = r < semileptonic ? pdg::kElectron : pdg::kMuon;
    const int quark_sign = quark_pdg > 0 ? 1 : -1;
    const int lepton_pdg = lepton * quark_sign * (bottom ? 1 : -1);
    // B -> D(*) l nu with the charm system as two hadrons; D -> K(*) l nu with one.
    const int hadrons = bottom ? 2 : 1;
    rambo(2 + hadrons, hadron_mass, rng, products);
    const double lepton_mass = lepton == pdg::kElectron ? mass::kElectron : mass::kMuon;
    add_particle(record, with_mass(products[0].boosted_from_rest_of(hadron), lepton_mass), vertex, lepton_pdg,
                 lepton_pdg > 0 ? -1 : 1, Origin::HeavyFlavourDecay);
    add_particle(record, products[1].boosted_from_rest_of(hadron), vertex,
                 lepton_pdg > 0 ? -(lepton + 1) : lepton + 1, 0, Origin::HeavyFlavourDecay);
    for (int i = 0; i < hadrons; ++i)
      add_hadron(record, products[2 + i].boosted_from_rest_of(hadron), vertex, Origin::HeavyFlavourDecay,
                 rng);
    return;
  }
  // Hadronic decays: mean charged-plus-neutral multiplicity about 5 for B, 3 for D hadrons.
  const int hadrons = std::min(kMaxDecayProducts, bottom ? 3 + rng.poisson(2.0) : 2 + rng.poisson(0.8));
  rambo(hadrons, hadron_mass, rng, products);
  for (int i = 0; i < hadrons; ++i)
    add_hadron(record, products[i].boosted_from_rest_of(hadron), vertex, Origin::HeavyFlavourDecay, rng);
}

// Iterative string fragmentation of one parton along its direction.
void fragment(EventRecord& record, const FourVector& parton, Random& rng) {
  const double momentum = parton.p();
  if (momentum <= 0.0) return;
  const double nx = parton.px / momentum, ny = parton.py / momentum, nz = parton.pz / momentum;
  const Basis basis = orthogonal_basis(nx, ny, nz);
  double remaining = parton.e;
  while (remaining > 0.3) {
    double energy = remaining;
    if (remaining > kStringStopEnergy) {
      const double z_min = kHadronMinEnergy / remaining;
      double z;
      do {
        z = std::pow(z_min, rng.uniform());  // density 1/z on [z_min, 1]
      } while (!rng.chance(std::pow(1.0 - z, kLundA)));
      energy = z * remaining;
    }
    remaining -= energy;
    const double kt_u = rng.normal(0.0, kFragmentationKtSigma);
    const double kt_v = rng.normal(0.0, kFragmentationKtSigma);
    const double longitudinal = std::sqrt(std::max(0.0, energy * energy - kt_u * kt_u - kt_v * kt_v));
    const FourVector hadron{longitudinal * nx + kt_u * basis.ux + kt_v * basis.vx,
                            longitudinal * ny + kt_u * basis.uy + kt_v * basis.vy,
                            longitudinal * nz + kt_u * basis.uz + kt_v * basis.vz, energy};
    add_hadron(record, hadron, record.primary_vertex, Origin::HardCollision, rng);
  }
}

}  // namespace

void two_body_decay(const FourVector& parent, double m1, double m2, Random& rng, FourVector& first,
                    FourVector& second) {
  const double m = parent.mass();
  const double sum = m1 + m2, difference = m1 - m2;
  const double p =
      std::sqrt(std::max(0.0, (m * m - sum * sum) * (m * m - difference * difference))) / (2.0 * m);
  const double cos_theta = rng.uniform(-1.0, 1.0);
  const double sin_theta = std::sqrt(1.0 - cos_theta * cos_theta);
  const double azimuth = rng.phi();
  const double nx = sin_theta * std::cos(azimuth), ny = sin_theta * std::sin(azimuth), nz = cos_theta;
  first = FourVector::along(nx, ny, nz, p, m1).boosted_from_rest_of(parent);
  second = FourVector::along(-nx, -ny, -nz, p, m2).boosted_from_rest_of(parent);
}

void radiate_final_state(EventRecord& record, Random& rng) {
  const double log_z = std::log(kEmissionZMax / kEmissionZMin);
  const double log_angle = std::log(kEmissionAngleMax / kEmissionAngleMin);
  const size_t radiators = record.partons.size();
  for (size_t i = 0; i < radiators; ++i) {
    if (record.partons[i].momentum.e < kRadiatingMinEnergy) continue;
    const double colour = record.partons[i].pdg == pdg::kGluon ? kColourFactorGluon : kColourFactorQuark;
    const int emissions = rng.poisson(2.0 * kAlphaStrong * colour / kPi * log_z * log_angle);
    for (int k = 0; k < emissions; ++k) {
      FourVector& parent = record.partons[i].momentum;
      const double z = kEmissionZMin * std::exp(log_z * rng.uniform());
      const double angle = kEmissionAngleMin * std::exp(log_angle * rng.uniform());
      const double energy = z * parent.e;
      if (energy * std::sin(angle) < kEmissionMinKt) continue;
      const double momentum = parent.p();
      const double nx = parent.px / momentum, ny = parent.py / momentum, nz = parent.pz / momentum;
      const Basis basis = orthogonal_basis(nx, ny, nz);
      const double azimuth = rng.phi();
      const double c = std::cos(angle), s = std::sin(angle);
      const double cu = s * std::cos(azimuth), cv = s * std::sin(azimuth);
      const FourVector gluon{energy * (c * nx + cu * basis.ux + cv * basis.vx),
                             energy * (c * ny + cu * basis.uy + cv * basis.vy),
                             energy * (c * nz + cu * basis.uz + cv * basis.vz), energy};
      // The emitter recoils and stays massless (its energy is its new momentum).
      FourVector recoiled = parent - gluon;
      recoiled.e = recoiled.p();
      parent = recoiled;
      record.partons.push_back({gluon, pdg::kGluon});
    }
  }
}

void hadronize_heavy_flavour(EventRecord& record, Random& rng) {
  static const double peterson_max_bottom = peterson_max(kPetersonEpsilonBottom);
  static const double peterson_max_charm = peterson_max(kPetersonEpsilonCharm);
  for (Parton& parton : record.partons) {
    const int flavour = std::abs(parton.pdg);
    if (flavour != pdg::kBottom && flavour != pdg::kCharm) continue;
    const bool bottom = flavour == pdg::kBottom;
    const double z = bottom ? sample_peterson(kPetersonEpsilonBottom, peterson_max_bottom, rng)
                            : sample_peterson(kPetersonEpsilonCharm, peterson_max_charm, rng);
    const FourVector hadron = with_mass(parton.momentum.scaled(z), bottom ? mass::kBHadron : mass::kDHadron);
    (bottom ? record.b_hadrons : record.c_hadrons).push_back(hadron);
    decay_heavy_hadron(record, hadron, parton.pdg, record.primary_vertex, rng);
    // The rest of the string fragments like a light quark.
    parton.momentum = parton.momentum.scaled(1.0 - z);
    parton.pdg = parton.pdg > 0 ? pdg::kDown : -pdg::kDown;
  }
}

void fragment_partons(EventRecord& record, Random& rng) {
  for (const Parton& parton : record.partons) fragment(record, parton.momentum, rng);
  record.partons.clear();
}

void decay_tau(EventRecord& record, const FourVector& tau, int tau_pdg, const Vertex& origin, Random& rng) {
  const Vertex vertex = decay_vertex(origin, tau, mass::kTau, kDecayLengthTau, rng);
  const int sign = tau_pdg > 0 ? 1 : -1;  // tau- (15) has charge -1
  DecayMomenta products;
  const double r = rng.uniform();
  if (r < kTauToElectron + kTauToMuon) {
    const int lepton = r < kTauToElectron ? pdg::kElectron : pdg::kMuon;
    rambo(3, mass::kTau, rng, products);
    const double lepton_mass = lepton == pdg::kElectron ? mass::kElectron : mass::kMuon;
    add_particle(record, with_mass(products[0].boosted_from_rest_of(tau), lepton_mass), vertex, sign * lepton,
                 -sign, Origin::HardCollision);
    add_particle(record, products[1].boosted_from_rest_of(tau), vertex, -sign * (lepton + 1), 0,
                 Origin::HardCollision);
    add_particle(record, products[2].boosted_from_rest_of(tau), vertex, sign * pdg::kTauNeutrino, 0,
                 Origin::HardCollision);
    return;
  }
  // Hadronic: tau -> nu + (1 or 3 charged pions) + neutral pions.
  const bool one_prong = rng.chance(kTauOneProngShare);
  const int charged = one_prong ? 1 : 3;
  const double u = rng.uniform();
  const int neutral = one_prong ? (u < 0.35 ? 0 : (u < 0.85 ? 1 : 2)) : (u < 0.7 ? 0 : 1);
  rambo(1 + charged + neutral, mass::kTau, rng, products);
  add_particle(record, products[0].boosted_from_rest_of(tau), vertex, sign * pdg::kTauNeutrino, 0,
               Origin::HardCollision);
  for (int i = 0; i < charged; ++i) {
    const int charge = i == 2 ? sign : -sign;  // three-prong: two of the tau's sign, one opposite
    add_particle(record, with_mass(products[1 + i].boosted_from_rest_of(tau), mass::kPion), vertex,
                 charge > 0 ? pdg::kPion : -pdg::kPion, charge, Origin::HardCollision);
  }
  for (int i = 0; i < neutral; ++i) {
    add_neutral_pion(record, products[1 + charged + i].boosted_from_rest_of(tau), vertex,
                     Origin::HardCollision, rng);
  }
}

void add_soft_interaction(EventRecord& record, const Vertex& vertex, double mean_hadrons, Origin origin,
                          Random& rng) {
  // Hadrons come in pairs back to back in azimuth, so that each interaction conserves transverse
  // momentum: otherwise hundreds of independent soft particles would fake missing energy.
  const int pairs = rng.poisson(0.5 * mean_hadrons *
                                rng.gamma_integer(kSoftMultiplicityShape, 1.0 / kSoftMultiplicityShape));
  for (int i = 0; i < pairs; ++i) {
    const double pt = rng.gamma_integer(2, kSoftPtScale);
    const double phi = rng.phi();
    add_hadron(record, FourVector::from_pt_eta_phi_m(pt, rng.uniform(-kSoftEtaMax, kSoftEtaMax), phi, 0.0),
               vertex, origin, rng);
    add_hadron(record,
               FourVector::from_pt_eta_phi_m(pt, rng.uniform(-kSoftEtaMax, kSoftEtaMax), phi + kPi, 0.0),
               vertex, origin, rng);
  }
}

}  // namespace trigml::gen

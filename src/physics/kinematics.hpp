// Kinematics of massless particles in collider coordinates. Units: GeV, radians, millimetres.
#pragma once

#include <cmath>
#include <numbers>

namespace trigml::physics {

// φ1 − φ2 wrapped into [−π, π] (choices.md #1: everywhere, isolation included).
inline double delta_phi(double phi1, double phi2) {
  double d = phi1 - phi2;
  while (d > std::numbers::pi) d -= 2 * std::numbers::pi;
  while (d < -std::numbers::pi) d += 2 * std::numbers::pi;
  return d;
}

inline double delta_r2(double eta1, double phi1, double eta2, double phi2) {
  double de = eta1 - eta2;
  double dp = delta_phi(phi1, phi2);
  return de * de + dp * dp;
}

inline double delta_r(double eta1, double phi1, double eta2, double phi2) {
  return std::sqrt(delta_r2(eta1, phi1, eta2, phi2));
}

// A massless four-vector built from (pT, η, φ), as the original's SetPtEtaPhiM(pt, eta, phi, 0).
struct MasslessVector {
  double px, py, pz, e;

  static MasslessVector from_pt_eta_phi(double pt, double eta, double phi) {
    pt = std::fabs(pt);
    MasslessVector v{pt * std::cos(phi), pt * std::sin(phi), pt * std::sinh(eta), 0};
    v.e = std::sqrt(v.px * v.px + v.py * v.py + v.pz * v.pz);
    return v;
  }
  double pt() const { return std::sqrt(px * px + py * py); }
  double phi() const { return std::atan2(py, px); }
  double eta() const {
    double p = std::sqrt(px * px + py * py + pz * pz);
    if (p == 0) return 0;
    double cos_theta = pz / p;
    if (cos_theta == 1 || cos_theta == -1) return cos_theta * 1e10;  // along the beam
    return -0.5 * std::log((1 - cos_theta) / (1 + cos_theta));
  }
};

// Transverse mass of a lepton and the missing transverse energy (choices.md #3: with the root, GeV).
inline double transverse_mass(double lepton_pt, double lepton_phi, double met, double met_phi) {
  double mt2 = 2 * met * lepton_pt * (1 - std::cos(delta_phi(lepton_phi, met_phi)));
  return std::sqrt(std::max(0.0, mt2));
}

}  // namespace trigml::physics

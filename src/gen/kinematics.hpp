// Four-vectors for the generator. Units: GeV for energy and momentum, radians for angles.
#pragma once

#include <algorithm>
#include <cmath>
#include <numbers>

#include "physics/kinematics.hpp"

namespace trigml::gen {

struct FourVector {
  double px = 0.0, py = 0.0, pz = 0.0, e = 0.0;

  static FourVector from_pt_eta_phi_m(double pt, double eta, double phi, double mass) {
    const double pz = pt * std::sinh(eta);
    const double px = pt * std::cos(phi);
    const double py = pt * std::sin(phi);
    return {px, py, pz, std::sqrt(px * px + py * py + pz * pz + mass * mass)};
  }
  static FourVector from_pt_y_phi_m(double pt, double rapidity, double phi, double mass) {
    const double mt = std::sqrt(pt * pt + mass * mass);
    return {pt * std::cos(phi), pt * std::sin(phi), mt * std::sinh(rapidity), mt * std::cosh(rapidity)};
  }
  // A particle of the given mass moving along the unit vector (nx, ny, nz) with momentum p.
  static FourVector along(double nx, double ny, double nz, double p, double mass) {
    return {p * nx, p * ny, p * nz, std::sqrt(p * p + mass * mass)};
  }

  double pt() const { return std::sqrt(px * px + py * py); }
  double p() const { return std::sqrt(px * px + py * py + pz * pz); }
  double phi() const { return std::atan2(py, px); }
  double eta() const {
    const double transverse = pt();
    if (transverse == 0.0) return pz >= 0.0 ? 1e9 : -1e9;
    return std::asinh(pz / transverse);
  }
  double mass() const {
    const double m2 = e * e - px * px - py * py - pz * pz;
    return m2 > 0.0 ? std::sqrt(m2) : 0.0;
  }

  FourVector& operator+=(const FourVector& o) {
    px += o.px;
    py += o.py;
    pz += o.pz;
    e += o.e;
    return *this;
  }
  FourVector& operator-=(const FourVector& o) {
    px -= o.px;
    py -= o.py;
    pz -= o.pz;
    e -= o.e;
    return *this;
  }
  friend FourVector operator+(FourVector a, const FourVector& b) { return a += b; }
  friend FourVector operator-(FourVector a, const FourVector& b) { return a -= b; }
  FourVector scaled(double factor) const { return {px * factor, py * factor, pz * factor, e * factor}; }

  // Lorentz boost by velocity (bx, by, bz): takes a vector from a frame moving with that velocity.
  FourVector boosted(double bx, double by, double bz) const {
    const double b2 = bx * bx + by * by + bz * bz;
    if (b2 <= 0.0) return *this;
    const double gamma = 1.0 / std::sqrt(std::max(1e-300, 1.0 - b2));
    const double bp = bx * px + by * py + bz * pz;
    const double gamma2 = (gamma - 1.0) / b2;
    return {px + gamma2 * bp * bx + gamma * bx * e, py + gamma2 * bp * by + gamma * by * e,
            pz + gamma2 * bp * bz + gamma * bz * e, gamma * (e + bp)};
  }
  // Takes a vector given in the rest frame of `parent` into the frame where `parent` is measured.
  FourVector boosted_from_rest_of(const FourVector& parent) const {
    return boosted(parent.px / parent.e, parent.py / parent.e, parent.pz / parent.e);
  }
};

// ΔR and Δφ follow the same conventions as the features computed from these events.
using physics::delta_phi;
using physics::delta_r;

}  // namespace trigml::gen

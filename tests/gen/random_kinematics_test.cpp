// The generator's building blocks: random distributions and four-vector kinematics.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "common/random.hpp"
#include "gen/hadronization.hpp"
#include "gen/kinematics.hpp"

namespace trigml::gen {
namespace {

constexpr int kSamples = 200000;

TEST(Random, SameSeedSameSequenceAndReseedRestarts) {
  Random a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(a.next(), c.next());
  Random d(7);
  const double first = d.normal();
  d.normal();
  d.reseed(7);
  EXPECT_EQ(d.normal(), first);  // no spare normal value survives a reseed
}

TEST(Random, DistributionsHaveTheirMoments) {
  Random rng(1);
  double uniform = 0, normal = 0, normal2 = 0, exponential = 0, poisson_small = 0, poisson_large = 0;
  double gamma = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double u = rng.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    uniform += u;
    const double n = rng.normal();
    normal += n;
    normal2 += n * n;
    exponential += rng.exponential(2.0);
    poisson_small += rng.poisson(3.0);
    poisson_large += rng.poisson(80.0);
    gamma += rng.gamma_integer(2, 0.28);
  }
  EXPECT_NEAR(uniform / kSamples, 0.5, 0.005);
  EXPECT_NEAR(normal / kSamples, 0.0, 0.01);
  EXPECT_NEAR(normal2 / kSamples, 1.0, 0.01);
  EXPECT_NEAR(exponential / kSamples, 2.0, 0.02);
  EXPECT_NEAR(poisson_small / kSamples, 3.0, 0.02);
  EXPECT_NEAR(poisson_large / kSamples, 80.0, 0.1);
  EXPECT_NEAR(gamma / kSamples, 0.56, 0.005);
}

TEST(Random, TruncatedAndPowerLawDistributionsStayInRange) {
  Random rng(2);
  int above_twice = 0;
  for (int i = 0; i < kSamples; ++i) {
    const double mass = rng.breit_wigner(80.4, 2.1, 50.0, 150.0);
    ASSERT_GE(mass, 50.0);
    ASSERT_LE(mass, 150.0);
    const double pt = rng.power_law(20.0, 2.0);
    ASSERT_GE(pt, 20.0);
    if (pt > 40.0) ++above_twice;
  }
  // P(pT > 2 pT_min) = 2^-index.
  EXPECT_NEAR(static_cast<double>(above_twice) / kSamples, 0.25, 0.005);
}

TEST(Random, ChunkSeedsDiffer) {
  EXPECT_NE(chunk_seed(0, 0, 0), chunk_seed(0, 0, 1));
  EXPECT_NE(chunk_seed(0, 0, 0), chunk_seed(0, 1, 0));
  EXPECT_NE(chunk_seed(0, 1, 0), chunk_seed(1, 0, 0));
  EXPECT_EQ(chunk_seed(5, 2, 9), chunk_seed(5, 2, 9));
}

TEST(Kinematics, PtEtaPhiRoundTrip) {
  const FourVector p = FourVector::from_pt_eta_phi_m(35.0, -1.3, 2.9, 0.105);
  EXPECT_NEAR(p.pt(), 35.0, 1e-9);
  EXPECT_NEAR(p.eta(), -1.3, 1e-9);
  EXPECT_NEAR(p.phi(), 2.9, 1e-9);
  EXPECT_NEAR(p.mass(), 0.105, 1e-6);
  const FourVector q = FourVector::from_pt_y_phi_m(10.0, 0.7, -1.0, 80.4);
  EXPECT_NEAR(0.5 * std::log((q.e + q.pz) / (q.e - q.pz)), 0.7, 1e-9);
  EXPECT_NEAR(q.mass(), 80.4, 1e-9);
  EXPECT_NEAR(delta_phi(3.1, -3.1), 0.2 - 2.0 * std::numbers::pi + 6.0, 1e-12);
  EXPECT_NEAR(delta_r(0.0, 3.1, 0.0, -3.1), 2.0 * std::numbers::pi - 6.2, 1e-12);
}

TEST(Kinematics, TwoBodyDecayConservesMomentumAndGivesTheDaughterMasses) {
  Random rng(3);
  const FourVector top = FourVector::from_pt_eta_phi_m(150.0, 1.2, 0.4, 172.5);
  for (int i = 0; i < 1000; ++i) {
    FourVector w, b;
    two_body_decay(top, 80.4, 4.8, rng, w, b);
    const FourVector sum = w + b;
    EXPECT_NEAR(sum.px, top.px, 1e-9);
    EXPECT_NEAR(sum.py, top.py, 1e-9);
    EXPECT_NEAR(sum.pz, top.pz, 1e-9);
    EXPECT_NEAR(sum.e, top.e, 1e-9);
    EXPECT_NEAR(w.mass(), 80.4, 1e-6);
    EXPECT_NEAR(b.mass(), 4.8, 1e-4);
  }
}

TEST(Kinematics, TauDecayConservesFourMomentum) {
  Random rng(4);
  const FourVector tau = FourVector::from_pt_eta_phi_m(40.0, 0.3, 1.0, 1.777);
  for (int i = 0; i < 1000; ++i) {
    EventRecord record;
    decay_tau(record, tau, 15, Vertex{}, rng);
    FourVector sum;
    int charge = 0;
    for (const Particle& p : record.particles) {
      sum += p.momentum;
      charge += p.charge;
    }
    EXPECT_EQ(charge, -1);  // tau- (PDG 15)
    // Momentum is conserved exactly; the daughters get their masses after the massless
    // phase-space decay, which adds a little energy (m^2 / 2p per pion).
    EXPECT_NEAR(sum.px, tau.px, 1e-9);
    EXPECT_NEAR(sum.py, tau.py, 1e-9);
    EXPECT_NEAR(sum.pz, tau.pz, 1e-9);
    EXPECT_GE(sum.e, tau.e - 1e-9);
    EXPECT_LT(sum.e, tau.e * 1.005);
  }
}

}  // namespace
}  // namespace trigml::gen

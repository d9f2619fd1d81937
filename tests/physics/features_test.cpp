// Features of real Delphes events, recomputed here by brute force in stored order straight from
// the raw branch values, independently of the feature code, and compared one by one.
#include "physics/features.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numbers>

#include "common/corpus.hpp"
#include "gen/delphes_output.hpp"
#include "physics/kinematics.hpp"
#include "rootio/file.hpp"
#include "rootio/tree.hpp"

using namespace trigml;
using namespace trigml::physics;

namespace {

double wrap(double d) {
  while (d > std::numbers::pi) d -= 2 * std::numbers::pi;
  while (d < -std::numbers::pi) d += 2 * std::numbers::pi;
  return d;
}

struct Particle {
  double pt, eta, phi;
};

double cone_sum(const std::vector<Particle>& map, double eta, double phi, int exclude = -1) {
  double s = 0;
  for (size_t i = 0; i < map.size(); ++i) {
    if (static_cast<int>(i) == exclude) continue;
    double de = map[i].eta - eta, dp = wrap(map[i].phi - phi);
    if (de * de + dp * dp < 0.09) s += map[i].pt;
  }
  return s;
}

template <typename T>
std::vector<T> entry_values(const rootio::Column& c, uint64_t e) {
  std::vector<T> out;
  for (uint64_t i = c.offsets[0][e]; i < c.offsets[0][e + 1]; ++i) out.push_back(static_cast<T>(c.number(i)));
  return out;
}

void expect_close(double ours, double expected, const std::string& what) {
  EXPECT_NEAR(ours, expected, 2e-5 * std::max(1.0, std::fabs(expected))) << what;
}

// Real Delphes events (the corpus's CMS-card file, muons in "Muon") and generated ones (muons in
// "MuonTight").
void check_file(const std::string& path, const std::string& muon) {
  auto file = rootio::RootFile::open(path);
  auto tree = rootio::Tree::open(file, "Delphes");
  std::vector<std::string> names = {"Electron.PT",
                                    "Electron.Eta",
                                    "Electron.Phi",
                                    "Electron.Charge",
                                    muon + ".PT",
                                    muon + ".Eta",
                                    muon + ".Phi",
                                    muon + ".Charge",
                                    "Jet.PT",
                                    "Jet.Eta",
                                    "Jet.BTag",
                                    "MissingET.MET",
                                    "MissingET.Phi",
                                    "EFlowTrack.PT",
                                    "EFlowTrack.Eta",
                                    "EFlowTrack.Phi",
                                    "EFlowTrack.X",
                                    "EFlowTrack.Y",
                                    "EFlowTrack.Z",
                                    "EFlowTrack.Charge",
                                    "EFlowPhoton.ET",
                                    "EFlowPhoton.Eta",
                                    "EFlowPhoton.Phi",
                                    "EFlowNeutralHadron.ET",
                                    "EFlowNeutralHadron.Eta",
                                    "EFlowNeutralHadron.Phi"};
  rootio::TreeReader reader(*tree, names);
  auto& c = reader.read(0, tree->entries());
  FeatureBuilder builder;
  EventFeatures features;
  int selected = 0, checked_rows = 0;
  for (uint64_t e = 0; e < tree->entries(); ++e) {
    SCOPED_TRACE("event " + std::to_string(e));
    auto f = [&](size_t k) { return entry_values<float>(c[k], e); };
    auto i = [&](size_t k) { return entry_values<int32_t>(c[k], e); };
    auto ept = f(0), eeta = f(1), ephi = f(2), mpt = f(4), meta = f(5), mphi = f(6);
    auto echg = i(3), mchg = i(7), tchg = i(19);
    auto btag = f(10);
    auto jpt = f(8), jeta = f(9), met = f(11), metphi = f(12);
    auto tpt = f(13), teta = f(14), tphi = f(15), tx = f(16), ty = f(17), tz = f(18);
    auto gpt = f(20), geta = f(21), gphi = f(22), npt = f(23), neta = f(24), nphi = f(25);
    EventInput in{ept,  eeta,      ephi,         echg, mpt,  meta, mphi, mchg, jpt, jeta,
                  btag, met.at(0), metphi.at(0), tpt,  teta, tphi, tx,   ty,   tz,  tchg,
                  gpt,  geta,      gphi,         npt,  neta, nphi, {},   {},   {},  {}};
    Rejection result = builder.build(in, features);

    // Brute force, in stored order.
    std::vector<Particle> tracks, photons, neutral;
    std::vector<size_t> track_index, photon_index, neutral_index;
    for (size_t k = 0; k < tpt.size(); ++k)
      if (tpt[k] > 0.5) tracks.push_back({tpt[k], teta[k], tphi[k]}), track_index.push_back(k);
    for (size_t k = 0; k < gpt.size(); ++k)
      if (gpt[k] > 1) photons.push_back({gpt[k], geta[k], gphi[k]}), photon_index.push_back(k);
    for (size_t k = 0; k < npt.size(); ++k)
      if (npt[k] > 1) neutral.push_back({npt[k], neta[k], nphi[k]}), neutral_index.push_back(k);
    if (tracks.empty() || photons.empty() || neutral.empty()) {
      EXPECT_EQ(result, Rejection::EmptyParticleMap);
      continue;
    }
    struct Lepton {
      bool found = false;
      double pt, eta, phi, ch, ga, ne;
      int charge;
    };
    auto isolated = [&](const std::vector<float>& pt, const std::vector<float>& eta,
                        const std::vector<float>& phi, const std::vector<int32_t>& charge) {
      for (size_t k = 0; k < pt.size(); ++k) {
        if (pt[k] <= 23) continue;
        double ch = cone_sum(tracks, eta[k], phi[k]) / pt[k] - 1;
        double ga = cone_sum(photons, eta[k], phi[k]) / pt[k];
        double ne = cone_sum(neutral, eta[k], phi[k]) / pt[k];
        if (ch + ga + ne < 0.45) return Lepton{true, pt[k], eta[k], phi[k], ch, ga, ne, charge[k]};
      }
      return Lepton{};
    };
    Lepton el = isolated(ept, eeta, ephi, echg), mu = isolated(mpt, meta, mphi, mchg);
    if (!el.found && !mu.found) {
      EXPECT_NE(result, Rejection::None);
      continue;
    }
    ASSERT_EQ(result, Rejection::None);
    ++selected;
    bool is_el = el.found && (!mu.found || el.pt >= mu.pt);
    Lepton lep = is_el ? el : mu;
    // High-level features.
    double ht = 0;
    int nj = 0, nb = 0;
    for (size_t k = 0; k < jpt.size(); ++k)
      if (jpt[k] > 30 && std::fabs(jeta[k]) < 2.6) ht += jpt[k], ++nj, nb += btag[k] > 0;
    double mt = std::sqrt(2 * met[0] * lep.pt * (1 - std::cos(wrap(lep.phi - metphi[0]))));
    const double expected_hlf[14] = {
        ht,      met[0],  metphi[0], mt,     double(nj), double(nb),         lep.pt,
        lep.eta, lep.phi, lep.ch,    lep.ga, lep.ne,     double(lep.charge), is_el ? 1.0 : 0.0};
    for (size_t k = 0; k < 14; ++k)
      expect_close(features.high_level[k], expected_hlf[k], std::string(kHighLevelNames[k]));
    // Particle rows: lepton, tracks (own track skipped), photons, neutral hadrons.
    std::vector<std::array<double, 19>> rows;
    auto row = [](double pt, double eta, double phi) {
      std::array<double, 19> r{};
      r[0] = pt * std::cosh(eta), r[1] = pt * std::cos(phi), r[2] = pt * std::sin(phi),
      r[3] = pt * std::sinh(eta);
      r[4] = pt, r[5] = eta, r[6] = phi;
      return r;
    };
    auto r = row(lep.pt, lep.eta, lep.phi);
    r[10] = lep.ch, r[11] = lep.ga, r[12] = lep.ne, r[16] = is_el, r[17] = !is_el, r[18] = lep.charge;
    rows.push_back(r);
    for (size_t k = 0; k < tracks.size() && rows.size() < 451; ++k) {
      double dr = std::hypot(tracks[k].eta - lep.eta, wrap(tracks[k].phi - lep.phi));
      if (dr <= 1e-4) continue;
      size_t src = track_index[k];
      r = row(tracks[k].pt, tracks[k].eta, tracks[k].phi);
      r[7] = tx[src], r[8] = ty[src], r[9] = tz[src];
      r[10] = cone_sum(tracks, tracks[k].eta, tracks[k].phi, int(k)) / tracks[k].pt;
      r[11] = cone_sum(photons, tracks[k].eta, tracks[k].phi) / tracks[k].pt;
      r[12] = cone_sum(neutral, tracks[k].eta, tracks[k].phi) / tracks[k].pt;
      r[13] = 1, r[18] = tchg[src];
      rows.push_back(r);
    }
    for (size_t k = 0; k < photons.size() && k < 150; ++k) {
      r = row(photons[k].pt, photons[k].eta, photons[k].phi);
      r[10] = cone_sum(tracks, photons[k].eta, photons[k].phi) / photons[k].pt;
      r[11] = cone_sum(photons, photons[k].eta, photons[k].phi, int(k)) / photons[k].pt;
      r[12] = cone_sum(neutral, photons[k].eta, photons[k].phi) / photons[k].pt;
      r[15] = 1;
      rows.push_back(r);
    }
    for (size_t k = 0; k < neutral.size() && k < 200; ++k) {
      r = row(neutral[k].pt, neutral[k].eta, neutral[k].phi);
      r[10] = cone_sum(tracks, neutral[k].eta, neutral[k].phi) / neutral[k].pt;
      r[11] = cone_sum(photons, neutral[k].eta, neutral[k].phi) / neutral[k].pt;
      r[12] = cone_sum(neutral, neutral[k].eta, neutral[k].phi, int(k)) / neutral[k].pt;
      r[14] = 1;
      rows.push_back(r);
    }
    ASSERT_EQ(features.rows(), rows.size());
    for (size_t k = 0; k < rows.size(); ++k)
      for (size_t j = 0; j < 19; ++j)
        expect_close(features.particles[k * 19 + j], rows[k][j],
                     "row " + std::to_string(k) + " " + std::string(kParticleNames[j]));
    checked_rows += static_cast<int>(rows.size());
  }
  EXPECT_GE(selected, 1) << "the file must give at least one selected event to check";
  std::printf("%s: selected %d of %llu events, %d particle rows checked\n", path.c_str(), selected,
              static_cast<unsigned long long>(tree->entries()), checked_rows);
}

TEST(Features, RealDelphesEventsMatchBruteForceRecomputation) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  check_file(trigml::testing::corpus_dir() + "/files/delphes_CMScard_D3.4.2_R6.18_10ev.root", "Muon");
}

TEST(Features, GeneratedEventsMatchBruteForceRecomputation) {
  std::filesystem::path path = std::filesystem::temp_directory_path() / "trigml-features-ttbar.root";
  gen::GeneratorSettings settings;
  settings.process = gen::Process::TopPair;
  settings.seed = 8;
  gen::write_delphes_file(path, settings, 40, 1, rootio::WriterOptions{});
  check_file(path.string(), "MuonTight");
}

TEST(Kinematics, DeltaPhiWrapsAcrossTheSeam) {
  EXPECT_NEAR(delta_phi(3.1, -3.1), 3.1 + 3.1 - 2 * std::numbers::pi, 1e-12);
  EXPECT_NEAR(delta_r(0, 3.1, 0, -3.1), 2 * std::numbers::pi - 6.2, 1e-12);
  // A deposit across the ±π seam lies in the cone (the original's isolation missed it: choices.md #1).
  ConeMap map;
  std::vector<float> pt = {5}, eta = {0}, phi = {-3.1f};
  map.build(pt, eta, phi, 0.5);
  EXPECT_FLOAT_EQ(static_cast<float>(map.sum(0, 3.1, 0.3)), 5.0f);
}

TEST(Kinematics, TransverseMassIsInGeV) {
  // Back-to-back lepton and MET of 40 GeV each: MT = sqrt(2·40·40·2) = 80 GeV (choices.md #3).
  EXPECT_NEAR(transverse_mass(40, 0, 40, std::numbers::pi), 80, 1e-9);
}

}  // namespace

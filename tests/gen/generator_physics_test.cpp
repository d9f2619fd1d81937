// Physics checks of the generated samples, computed from the output columns alone: W transverse
// mass, tt jet and b-tag multiplicities, lepton isolation in QCD, trigger-like selection rates,
// particle multiplicities, and the Delphes conventions the ingestion relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "gen/event_view.hpp"
#include "gen/generator.hpp"

namespace trigml::gen {
namespace {

using testing::BatchOffsets;
using testing::EventView;
using testing::Lepton;

constexpr int64_t kEventsPerProcess = 3000;
constexpr double kTriggerLeptonPt = 23.0, kIsolationCut = 0.45;

struct Sample {
  std::vector<EventBatch> batches;
};

const Sample& sample(Process process) {
  static std::map<Process, Sample> samples;
  auto found = samples.find(process);
  if (found != samples.end()) return found->second;
  Sample& s = samples[process];
  GeneratorSettings settings;
  settings.process = process;
  settings.seed = 2024;
  generate_events(settings, kEventsPerProcess, 2,
                  [&](const EventBatch& batch) { s.batches.push_back(batch); });
  return s;
}

// Calls visit(EventView) for every event of the sample.
template <typename Visit>
void for_each_event(Process process, Visit visit) {
  for (const EventBatch& batch : sample(process).batches) {
    const BatchOffsets offsets(batch);
    for (size_t i = 0; i < batch.events; ++i) visit(EventView(batch, offsets, i));
  }
}

// The leptons passing the trigger-like selection: pT > 23 GeV and relative isolation < 0.45.
std::vector<Lepton> selected_leptons(const EventView& event) {
  std::vector<Lepton> leptons = event.leptons();
  std::erase_if(leptons,
                [](const Lepton& l) { return l.pt <= kTriggerLeptonPt || l.isolation >= kIsolationCut; });
  return leptons;
}

double selection_rate(Process process) {
  int selected = 0, total = 0;
  for_each_event(process, [&](const EventView& event) {
    ++total;
    if (!selected_leptons(event).empty()) ++selected;
  });
  return static_cast<double>(selected) / total;
}

TEST(GeneratorPhysics, WTransverseMassHasJacobianEdgeNear80GeV) {
  std::vector<int> histogram(40, 0);  // 5 GeV bins up to 200 GeV
  int events = 0;
  for_each_event(Process::WJets, [&](const EventView& event) {
    const std::vector<Lepton> leptons = selected_leptons(event);
    if (leptons.size() != 1) return;
    const Lepton& l = leptons[0];
    const double mt = std::sqrt(2.0 * l.pt * event.met() * (1.0 - std::cos(l.phi - event.met_phi())));
    ++histogram[std::min(39, static_cast<int>(mt / 5.0))];
    ++events;
  });
  ASSERT_GT(events, 1000);
  const int peak_bin =
      static_cast<int>(std::max_element(histogram.begin(), histogram.end()) - histogram.begin());
  EXPECT_GE(peak_bin * 5.0, 60.0);
  EXPECT_LT(peak_bin * 5.0, 85.0);
  auto count = [&](double low, double high) {
    int sum = 0;
    for (int bin = static_cast<int>(low / 5.0); bin < static_cast<int>(high / 5.0); ++bin)
      sum += histogram[bin];
    return sum;
  };
  // Steep fall above the edge: the 25 GeV above 85 hold far fewer events than the 25 below.
  EXPECT_LT(count(85.0, 110.0), 0.5 * count(60.0, 85.0));
  EXPECT_LT(count(110.0, 200.0), 0.03 * events);
}

TEST(GeneratorPhysics, SemileptonicTopPairsHaveFourJetsAndAboutOnePointFourBTags) {
  int events = 0, four_jets = 0, btags = 0;
  for_each_event(Process::TopPair, [&](const EventView& event) {
    if (selected_leptons(event).size() != 1 || event.leptons().size() != 1) return;
    ++events;
    int jets30 = 0;
    for (int j = 0; j < event.jets(); ++j) {
      if (event.jet_pt(j) > 30.0f) ++jets30;
      btags += event.jet_btag(j);
    }
    if (jets30 >= 4) ++four_jets;
  });
  ASSERT_GT(events, 400);
  EXPECT_GT(static_cast<double>(four_jets) / events, 0.5);
  const double mean_btags = static_cast<double>(btags) / events;
  EXPECT_GE(mean_btags, 1.2);
  EXPECT_LE(mean_btags, 1.6);
}

TEST(GeneratorPhysics, QcdLeptonsAreMostlyNotIsolated) {
  int leptons = 0, isolated = 0;
  for_each_event(Process::Qcd, [&](const EventView& event) {
    for (const Lepton& l : event.leptons()) {
      if (l.pt <= kTriggerLeptonPt) continue;
      ++leptons;
      if (l.isolation < kIsolationCut) ++isolated;
    }
  });
  ASSERT_GT(leptons, 500);  // the lepton filter makes them common
  EXPECT_LT(static_cast<double>(isolated) / leptons, 0.5);
}

TEST(GeneratorPhysics, WLeptonsAreIsolated) {
  int leptons = 0, isolated = 0;
  for_each_event(Process::WJets, [&](const EventView& event) {
    for (const Lepton& l : event.leptons()) {
      if (l.pt <= kTriggerLeptonPt) continue;
      ++leptons;
      if (l.isolation < kIsolationCut) ++isolated;
    }
  });
  EXPECT_GT(static_cast<double>(isolated) / leptons, 0.95);
}

TEST(GeneratorPhysics, TriggerSelectionRatesOrderTheProcesses) {
  const double wjets = selection_rate(Process::WJets);
  const double ttbar = selection_rate(Process::TopPair);
  const double qcd = selection_rate(Process::Qcd);
  EXPECT_GT(wjets, 0.35);
  EXPECT_GT(ttbar, 0.2);
  // Lepton-filtered QCD: rarely selected, but often enough to train on.
  EXPECT_GT(qcd, 0.02);
  EXPECT_LT(qcd, ttbar);
  EXPECT_LT(qcd, wjets);
}

TEST(GeneratorPhysics, MultiplicitiesAreThoseOfDelphesWithPileup) {
  for (Process process : {Process::Qcd, Process::TopPair, Process::WJets}) {
    double tracks = 0, photons = 0, neutrals = 0;
    int events = 0, in_range = 0;
    for_each_event(process, [&](const EventView& event) {
      ++events;
      tracks += event.tracks();
      photons += event.photons();
      neutrals += event.neutral_hadrons();
      if (event.tracks() >= 60 && event.tracks() <= 450 && event.photons() >= 30 && event.photons() <= 200 &&
          event.neutral_hadrons() >= 30 && event.neutral_hadrons() <= 250) {
        ++in_range;
      }
    });
    SCOPED_TRACE(std::string(process_name(process)));
    EXPECT_GE(tracks / events, 100.0);
    EXPECT_LE(tracks / events, 450.0);
    EXPECT_GE(photons / events, 50.0);
    EXPECT_LE(photons / events, 150.0);
    EXPECT_GE(neutrals / events, 50.0);
    EXPECT_LE(neutrals / events, 200.0);
    EXPECT_GT(static_cast<double>(in_range) / events, 0.95);
  }
}

TEST(GeneratorPhysics, LeptonsAppearAsTracksWithTheirExactDirectionAndDelphesCharge) {
  for (Process process : {Process::TopPair, Process::WJets}) {
    for (const EventBatch& batch : sample(process).batches) {
      const BatchOffsets offsets(batch);
      for (size_t event = 0; event < batch.events; ++event) {
        for (const Lepton& l : EventView(batch, offsets, event).leptons()) {
          const int flavour = l.electron ? 11 : 13;
          bool found = false;
          for (size_t t = offsets.tracks[event]; t < offsets.tracks[event + 1]; ++t) {
            if (batch.tracks.eta[t] == l.eta && batch.tracks.phi[t] == l.phi) {
              found = true;
              EXPECT_EQ(batch.tracks.pid[t], -flavour * l.charge);  // PDG 11 and 13 have charge -1
              EXPECT_EQ(batch.tracks.charge[t], l.charge);
              EXPECT_EQ(batch.tracks.pt[t], l.pt);
            }
          }
          EXPECT_TRUE(found);
          EXPECT_GT(l.pt, 10.0f);
          EXPECT_LT(std::abs(l.eta), 2.5f);
        }
      }
    }
  }
}

TEST(GeneratorPhysics, CollectionsAreConsistentAndInDelphesUnits) {
  for (const EventBatch& batch : sample(Process::TopPair).batches) {
    const BatchOffsets offsets(batch);
    ASSERT_EQ(batch.jets.size.size(), batch.events);
    EXPECT_EQ(offsets.jets.back(), batch.jets.pt.size());
    EXPECT_EQ(offsets.jets.back(), batch.jets.btag.size());
    EXPECT_EQ(offsets.tracks.back(), batch.tracks.z.size());
    EXPECT_EQ(offsets.photons.back(), batch.photons.et.size());
    EXPECT_EQ(offsets.neutral_hadrons.back(), batch.neutral_hadrons.phi.size());
    EXPECT_EQ(batch.missing_et.met.size(), batch.events);
    EXPECT_TRUE(std::all_of(batch.missing_et.size.begin(), batch.missing_et.size.end(),
                            [](int n) { return n == 1; }));
    for (size_t event = 0; event < batch.events; ++event) {
      for (size_t j = offsets.jets[event]; j < offsets.jets[event + 1]; ++j) {
        EXPECT_GT(batch.jets.pt[j], 20.0f);
        if (j > offsets.jets[event]) {
          EXPECT_LE(batch.jets.pt[j], batch.jets.pt[j - 1]);  // sorted by pT
        }
      }
    }
    for (size_t t = 0; t < batch.tracks.pt.size(); ++t) {
      EXPECT_LT(std::abs(batch.tracks.eta[t]), 2.5f);
      EXPECT_EQ(std::abs(batch.tracks.charge[t]), 1);
    }
    for (float eta : batch.neutral_hadrons.eta) EXPECT_LT(std::abs(eta), 5.0f);
    for (const std::vector<float>* column :
         {&batch.jets.pt, &batch.jets.eta, &batch.jets.phi, &batch.jets.mass, &batch.missing_et.met,
          &batch.missing_et.phi, &batch.tracks.pt, &batch.tracks.eta, &batch.tracks.phi, &batch.tracks.x,
          &batch.tracks.y, &batch.tracks.z, &batch.photons.et, &batch.photons.eta, &batch.photons.phi,
          &batch.neutral_hadrons.et, &batch.neutral_hadrons.eta, &batch.neutral_hadrons.phi}) {
      EXPECT_TRUE(std::all_of(column->begin(), column->end(), [](float x) { return std::isfinite(x); }));
    }
    for (const std::vector<float>* phis : {&batch.jets.phi, &batch.tracks.phi, &batch.photons.phi}) {
      EXPECT_TRUE(
          std::all_of(phis->begin(), phis->end(), [](float phi) { return std::abs(phi) <= 3.1416f; }));
    }
  }
  // Vertices spread along the beam like the LHC luminous region (sigma about 50 mm).
  double sum = 0, sum2 = 0, count = 0;
  for (const EventBatch& batch : sample(Process::TopPair).batches) {
    for (float z : batch.tracks.z) {
      sum += z;
      sum2 += static_cast<double>(z) * z;
      ++count;
    }
  }
  const double mean = sum / count;
  EXPECT_NEAR(std::sqrt(sum2 / count - mean * mean), 50.0, 10.0);
}

}  // namespace
}  // namespace trigml::gen

// Ingestion of real files through the built-in schema mappings.
#include "ingest/event_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>

#include "common/corpus.hpp"
#include "common/error.hpp"

using namespace trigml;
using namespace trigml::ingest;

namespace {

const std::string kFiles = trigml::testing::corpus_dir() + "/files/";

TEST(EventReader, DelphesFileWithoutMuonTightUsesMuon) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  EventReader reader(kFiles + "delphes_CMScard_D3.4.2_R6.18_10ev.root", ingest::delphes_schema());
  EXPECT_EQ(reader.schema().muon_pt, "Muon.PT");
  FeatureBatch batch;
  SelectionCounts counts;
  // Two ranges, as ingestion reads cluster by cluster.
  reader.read(0, 6, batch, counts);
  reader.read(6, reader.entries(), batch, counts);
  EXPECT_EQ(counts.read, 10u);
  // The brute-force recomputation in tests/physics/features_test.cpp selects 4 of these events.
  EXPECT_EQ(counts.selected, 4u);
  EXPECT_EQ(counts.selected + counts.empty_particle_map + counts.no_lepton + counts.no_isolated_lepton,
            counts.read);
  ASSERT_EQ(batch.events(), 4u);
  for (size_t e = 0; e < batch.events(); ++e) {
    int64_t rows = batch.particle_rows[e + 1] - batch.particle_rows[e];
    EXPECT_EQ(rows, 1 + batch.n_tracks[e] + batch.n_photons[e] + batch.n_neutral[e]);
    EXPECT_LE(rows, 801);
    EXPECT_GT(batch.high_level[physics::index(physics::HighLevelFeature::LepPt)][e], 23.0f);
  }
}

TEST(EventReader, NanoAodGivesHighLevelFeaturesFromItsOwnIsolation) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  std::string path = kFiles + "nanoAOD_2015_CMS_Open_Data_ttbar.root";
  EventReader reader(path, ingest::nanoaod_schema());
  FeatureBatch batch;
  SelectionCounts counts;
  reader.read(0, reader.entries(), batch, counts);
  EXPECT_EQ(counts.read, 200u);
  EXPECT_GT(counts.selected, 10u) << "a tt̄ sample has many isolated leptons";
  // Recompute from the raw branches for every event, independently.
  auto file = rootio::RootFile::open(path);
  auto tree = rootio::Tree::open(file, "Events");
  std::vector<std::string> names = {"Electron_pt",
                                    "Electron_eta",
                                    "Electron_phi",
                                    "Electron_pfRelIso03_all",
                                    "Electron_pfRelIso03_chg",
                                    "Muon_pt",
                                    "Muon_eta",
                                    "Muon_phi",
                                    "Muon_pfRelIso03_all",
                                    "Muon_pfRelIso03_chg",
                                    "Jet_pt",
                                    "Jet_eta",
                                    "Jet_btagDeepB",
                                    "MET_pt",
                                    "MET_phi",
                                    "Electron_charge",
                                    "Muon_charge"};
  rootio::TreeReader raw(*tree, names);
  auto& c = raw.read(0, tree->entries());
  size_t selected = 0;
  for (uint64_t e = 0; e < tree->entries(); ++e) {
    auto values = [&](size_t k) {
      std::vector<double> v;
      for (uint64_t i = c[k].offsets[0][e]; i < c[k].offsets[0][e + 1]; ++i) v.push_back(c[k].number(i));
      return v;
    };
    auto ept = values(0), eeta = values(1), ephi = values(2), eall = values(3), ech = values(4);
    auto mpt = values(5), meta = values(6), mphi = values(7), mall = values(8), mch = values(9);
    auto jpt = values(10), jeta = values(11), jb = values(12), eq = values(15), mq = values(16);
    int el = -1, mu = -1;
    for (size_t i = 0; i < ept.size() && el < 0; ++i)
      if (ept[i] > 23 && eall[i] < 0.45) el = static_cast<int>(i);
    for (size_t i = 0; i < mpt.size() && mu < 0; ++i)
      if (mpt[i] > 23 && mall[i] < 0.45) mu = static_cast<int>(i);
    if (el < 0 && mu < 0) continue;
    ASSERT_LT(selected, batch.events());
    EXPECT_EQ(batch.entry[selected], static_cast<int64_t>(e));
    bool is_el = el >= 0 && (mu < 0 || ept[el] >= mpt[mu]);
    double pt = is_el ? ept[el] : mpt[mu], phi = is_el ? ephi[el] : mphi[mu];
    double met = c[13].number(e), met_phi = c[14].number(e);
    double dphi = std::remainder(phi - met_phi, 2 * std::numbers::pi);
    double ht = 0;
    int nj = 0, nb = 0;
    for (size_t j = 0; j < jpt.size(); ++j)
      if (jpt[j] > 30 && std::fabs(jeta[j]) < 2.6) ht += jpt[j], ++nj, nb += jb[j] > 0.6321;
    const double expected[14] = {ht,
                                 met,
                                 met_phi,
                                 std::sqrt(2 * met * pt * (1 - std::cos(dphi))),
                                 double(nj),
                                 double(nb),
                                 pt,
                                 is_el ? eeta[el] : meta[mu],
                                 phi,
                                 is_el ? ech[el] : mch[mu],
                                 0,
                                 is_el ? eall[el] - ech[el] : mall[mu] - mch[mu],
                                 is_el ? eq[el] : mq[mu],
                                 is_el ? 1.0 : 0.0};
    for (size_t k = 0; k < 14; ++k)
      EXPECT_NEAR(batch.high_level[k][selected], expected[k], 2e-5 * std::max(1.0, std::fabs(expected[k])))
          << "event " << e << " " << physics::kHighLevelNames[k];
    EXPECT_EQ(batch.particle_rows[selected + 1] - batch.particle_rows[selected], 1) << "the lepton only";
    ++selected;
  }
  EXPECT_EQ(selected, batch.events());
}

// A mapping onto RNTuple fields reads them as it reads branches: the same events and features as
// the feature builder gives on JSROOT's values of those fields (the corpus has no RNTuple of
// physics events: two jagged fields of equal lengths stand in for every collection member).
TEST(EventReader, RNTupleFieldsMapAsBranchesDo) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  const std::string ints = "one_v_integers", floats = "two_v_floats";
  ingest::SchemaMapping schema;
  schema.name = "rntuple-test";
  schema.tree = "ntuple";
  schema.electron_pt = schema.muon_pt = schema.jet_pt = ints;
  schema.electron_eta = schema.electron_phi = schema.muon_eta = schema.muon_phi = floats;
  schema.electron_charge = schema.muon_charge = ints;
  schema.electron_iso_all = schema.electron_iso_charged = schema.muon_iso_all = schema.muon_iso_charged =
      floats;
  schema.jet_eta = schema.jet_btag = schema.met = schema.met_phi = floats;
  const std::string path = kFiles + "rntuple/test_1jag_int_float_rntuple_v1-0-0-0.root";
  EXPECT_EQ(EventReader::entries_in(path, "ntuple"), 100u);
  // The stand-in isolation values go up to 10: a loose cut lets events through to be compared.
  physics::SelectionConfig selection;
  selection.max_relative_isolation = 11;
  EventReader reader(path, schema, selection);
  FeatureBatch batch;
  SelectionCounts counts;
  reader.read(0, 37, batch, counts);
  reader.read(37, reader.entries(), batch, counts);

  std::ifstream in(std::string(TRIGML_SOURCE_DIR) +
                   "/tests/rootio/rntuple_reference/test_1jag_int_float_rntuple_v1-0-0-0.ntuple.json");
  const auto reference = nlohmann::json::parse(in)["values"];
  physics::FeatureBuilder builder(selection);
  physics::EventFeatures features;
  SelectionCounts expected;
  size_t selected = 0;
  for (size_t e = 0; e < reference[ints].size(); ++e) {
    std::vector<int32_t> i_values = reference[ints][e].get<std::vector<int32_t>>();
    std::vector<float> f_values = reference[floats][e].get<std::vector<float>>();
    std::vector<float> i_as_float(i_values.begin(), i_values.end());
    physics::EventInput event;
    event.electron_pt = event.muon_pt = event.jet_pt = i_as_float;
    event.electron_eta = event.electron_phi = event.muon_eta = event.muon_phi = f_values;
    event.electron_charge = event.muon_charge = i_values;
    event.electron_iso_all = event.electron_iso_charged = event.muon_iso_all = event.muon_iso_charged =
        f_values;
    event.jet_eta = event.jet_btag = f_values;
    event.met = event.met_phi = f_values.empty() ? 0.0f : f_values[0];
    ++expected.read;
    switch (builder.build_without_particles(event, features)) {
      case physics::Rejection::None:
        ASSERT_LT(selected, batch.events());
        EXPECT_EQ(batch.entry[selected], static_cast<int64_t>(e));
        for (size_t k = 0; k < physics::kHighLevelFeatures; ++k)
          EXPECT_EQ(batch.high_level[k][selected], features.high_level[k])
              << "entry " << e << " feature " << k;
        ++selected;
        ++expected.selected;
        break;
      case physics::Rejection::EmptyParticleMap: ++expected.empty_particle_map; break;
      case physics::Rejection::NoLepton: ++expected.no_lepton; break;
      case physics::Rejection::NoIsolatedLepton: ++expected.no_isolated_lepton; break;
    }
  }
  EXPECT_EQ(counts.read, expected.read);
  EXPECT_EQ(counts.selected, expected.selected);
  EXPECT_EQ(counts.no_lepton, expected.no_lepton);
  EXPECT_EQ(counts.no_isolated_lepton, expected.no_isolated_lepton);
  EXPECT_EQ(batch.events(), selected);
  EXPECT_GT(selected, 0u) << "no event passes: the features are not compared";

  schema.jet_pt = "three_jets";
  try {
    EventReader missing(path, schema);
    FAIL() << "expected NotFoundError";
  } catch (const NotFoundError& e) {
    EXPECT_NE(std::string(e.what()).find("no field 'three_jets'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test_1jag_int_float"), std::string::npos) << e.what();
  }
}

TEST(EventReader, MissingBranchNamesTheBranchAndTheFile) {
  TRIGML_SKIP_WITHOUT_CORPUS();
  std::string path = kFiles + "uproot-HZZ.root";
  ingest::SchemaMapping schema = ingest::delphes_schema();
  schema.tree = "events";
  try {
    EventReader reader(path, schema);
    FAIL() << "expected NotFoundError";
  } catch (const NotFoundError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("uproot-HZZ.root"), std::string::npos) << message;
    EXPECT_NE(message.find("Electron.PT"), std::string::npos) << message;
  }
}

}  // namespace

namespace {

// configs/nanoaod-schema.toml is the built-in NanoAOD mapping written out: the same branches,
// tree and b-tag threshold.
TEST(Schema, TheNanoAodExampleFileIsTheBuiltInMapping) {
  auto from_file =
      trigml::ingest::load_schema(std::string(TRIGML_SOURCE_DIR) + "/configs/nanoaod-schema.toml");
  auto built_in = trigml::ingest::nanoaod_schema();
  EXPECT_EQ(from_file.tree, built_in.tree);
  EXPECT_EQ(from_file.branches(), built_in.branches());
  EXPECT_EQ(from_file.btag_threshold, built_in.btag_threshold);
}

TEST(Schema, BadTomlNamesTheFileAndTheLine) {
  try {
    trigml::ingest::parse_schema("tree = \"Events\"\n[electron\npt = 1\n", "mapping.toml");
    FAIL();
  } catch (const trigml::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("mapping.toml"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos) << e.what();
  }
}

}  // namespace

// The event message: what encode_event writes decodes to the same floats, bit for bit, and each
// kind of unusable message is told apart, with its reason.
#include "serve/event_format.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace trigml {
namespace {

physics::Event sample() {
  physics::Event e;
  e.electron_pt = {31.633184f, 0.1f}, e.electron_eta = {-0.16082166f, 2.5f},
  e.electron_phi = {3.1415927f, -1e-30f};
  e.electron_charge = {-1, 1};
  e.jet_pt = {std::numeric_limits<float>::denorm_min(), 3.4e38f}, e.jet_eta = {0, -0.0f}, e.jet_btag = {1, 0};
  e.track_pt = {0.48206553f}, e.track_eta = {1.0f / 3}, e.track_phi = {2.0f / 3}, e.track_x = {1e-7f};
  e.track_y = {-7.25f}, e.track_z = {123456.79f}, e.track_charge = {1};
  e.photon_et = {5}, e.photon_eta = {0.5f}, e.photon_phi = {-0.5f};
  e.met = 41.2f, e.met_phi = -0.7f;
  return e;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(EventFormat, RoundTripsExactly) {
  const physics::Event in = sample();
  const std::string text = serve::encode_event("a \"quoted\" id é:7", in);
  physics::Event out;
  const auto decoded = serve::decode_event(text, out);
  ASSERT_FALSE(decoded.bad) << decoded.reason;
  EXPECT_EQ(decoded.event_id, "a \"quoted\" id é:7");
  for (auto member : {&physics::Event::electron_pt, &physics::Event::electron_eta,
                      &physics::Event::electron_phi, &physics::Event::jet_pt, &physics::Event::jet_eta,
                      &physics::Event::jet_btag, &physics::Event::track_pt, &physics::Event::track_eta,
                      &physics::Event::track_phi, &physics::Event::track_x, &physics::Event::track_y,
                      &physics::Event::track_z, &physics::Event::photon_et, &physics::Event::photon_eta,
                      &physics::Event::photon_phi, &physics::Event::neutral_et, &physics::Event::muon_pt})
    EXPECT_TRUE(same_bits(in.*member, out.*member));
  EXPECT_EQ(out.electron_charge, in.electron_charge);
  EXPECT_EQ(out.track_charge, in.track_charge);
  EXPECT_EQ(out.met, in.met);
  EXPECT_EQ(out.met_phi, in.met_phi);
}

TEST(EventFormat, ReadsAnyJsonLayout) {
  // Spaces, members in another order, escapes and members trigml does not know.
  const std::string text =
      R"( { "extra": {"a": [1, {"b": null}], "c": true}, "MissingET": {"Phi": -1e-1, "MET": 2E1},
    "version": 1, "format": "trigml-event", "event_id": "x\u00e9\ud83d\ude00",
    "Electron": {"PT": [], "Eta": [], "Phi": [], "Charge": []}, "MuonTight": {"PT": [30.5], "Eta": [0], "Phi": [1],
    "Charge": [-1]}, "Jet": {"PT": [], "Eta": [], "BTag": []}, "EFlowTrack": {"PT": [], "Eta": [], "Phi": [],
    "X": [], "Y": [], "Z": [], "Charge": []}, "EFlowPhoton": {"ET": [], "Eta": [], "Phi": []},
    "EFlowNeutralHadron": {"ET": [], "Eta": [], "Phi": []} } )";
  physics::Event out;
  const auto decoded = serve::decode_event(text, out);
  ASSERT_FALSE(decoded.bad) << decoded.reason;
  EXPECT_EQ(decoded.event_id, "x\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(out.met, 20.0f);
  EXPECT_EQ(out.met_phi, -0.1f);
  EXPECT_EQ(out.muon_pt, std::vector<float>{30.5f});
  EXPECT_EQ(out.muon_charge, std::vector<int32_t>{-1});
}

TEST(EventFormat, TellsBadMessagesApart) {
  const std::string good = serve::encode_event("e:1", sample());
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  struct Case {
    std::string text;
    serve::BadMessage kind;
    std::string reason;
  };
  const Case cases[] = {
      {good.substr(0, good.size() / 2), serve::BadMessage::InvalidJson,
       "invalid JSON: the message ends at byte"},
      {"[1, 2]", serve::BadMessage::InvalidJson, "invalid JSON at byte 0: expected a JSON object"},
      {good + "x", serve::BadMessage::InvalidJson, "invalid JSON at byte"},
      {replaced("\"MET\":41.2", "\"MET\":NaN"), serve::BadMessage::InvalidJson, "invalid JSON at byte"},
      {replaced(",\"BTag\":[1,0]", ""), serve::BadMessage::MissingField, "missing field 'Jet.BTag'"},
      {replaced("\"event_id\":\"e:1\",", ""), serve::BadMessage::MissingField,
       "missing field 'event_id' (a string)"},
      {replaced("\"version\":1", "\"version\":2"), serve::BadMessage::MissingField, "expected \"format\""},
      {replaced("\"Charge\":[-1,1]", "\"Charge\":[-1]"), serve::BadMessage::MissingField,
       "'Electron.Charge' has 1 values, the collection's first member 2"},
      {replaced("\"MET\":41.2", "\"MET\":\"NaN\""), serve::BadMessage::NotANumber,
       "'MissingET.MET' is string, not a number"},
      {replaced("\"MET\":41.2", "\"MET\":null"), serve::BadMessage::NotANumber,
       "'MissingET.MET' is null, not a number"},
      {replaced("\"MET\":41.2", "\"MET\":1e400"), serve::BadMessage::NotANumber,
       "'MissingET.MET' is inf, not a finite float"},
      {replaced("\"Charge\":[-1,1]", "\"Charge\":[-1,0.5]"), serve::BadMessage::NotANumber,
       "'Electron.Charge[1]' is 0.5, not an integer"},
  };
  for (const Case& c : cases) {
    physics::Event out;
    const auto decoded = serve::decode_event(c.text, out);
    ASSERT_TRUE(decoded.bad) << c.text;
    EXPECT_EQ(*decoded.bad, c.kind) << decoded.reason;
    EXPECT_TRUE(decoded.reason.starts_with(c.reason)) << decoded.reason << " | expected " << c.reason;
  }
}

}  // namespace
}  // namespace trigml

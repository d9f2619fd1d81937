// The event message, both forms: what trigml writes decodes to the same floats, bit for bit, each
// kind of unusable message is told apart, with its reason, and the binary form is event.proto's as
// protobuf's own Python runtime reads and writes it.
#include "serve/event_format.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/run_command.hpp"
#include "serve/event.pb.h"

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

void expect_same_event(const physics::Event& in, const physics::Event& out) {
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

TEST(EventFormat, RoundTripsExactly) {
  for (const auto encoding : {serve::EventEncoding::Json, serve::EventEncoding::Protobuf}) {
    const physics::Event in = sample();
    const std::string bytes = serve::encode_event("a \"quoted\" id é:7", in, encoding);
    physics::Event out;
    const auto decoded = serve::decode_event(bytes, out, encoding);
    ASSERT_FALSE(decoded.bad) << decoded.reason;
    EXPECT_EQ(decoded.event_id, "a \"quoted\" id é:7");
    expect_same_event(in, out);
  }
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
  const auto decoded = serve::decode_event_json(text, out);
  ASSERT_FALSE(decoded.bad) << decoded.reason;
  EXPECT_EQ(decoded.event_id, "x\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_EQ(out.met, 20.0f);
  EXPECT_EQ(out.met_phi, -0.1f);
  EXPECT_EQ(out.muon_pt, std::vector<float>{30.5f});
  EXPECT_EQ(out.muon_charge, std::vector<int32_t>{-1});
}

struct BadCase {
  std::string message;
  serve::BadMessage kind;
  std::string reason;  // how the reason starts
};

void expect_each_bad(const std::vector<BadCase>& cases,
                     serve::DecodeResult (*decode)(std::string_view, physics::Event&)) {
  for (const BadCase& c : cases) {
    physics::Event out;
    const auto decoded = decode(c.message, out);
    ASSERT_TRUE(decoded.bad) << c.reason;
    EXPECT_EQ(*decoded.bad, c.kind) << decoded.reason;
    EXPECT_TRUE(decoded.reason.starts_with(c.reason)) << decoded.reason << " | expected " << c.reason;
  }
}

TEST(EventFormat, TellsBadMessagesApart) {
  const std::string good = serve::encode_event_json("e:1", sample());
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  expect_each_bad(
      {
          {good.substr(0, good.size() / 2), serve::BadMessage::InvalidJson,
           "invalid JSON: the message ends at byte"},
          {"[1, 2]", serve::BadMessage::InvalidJson, "invalid JSON at byte 0: expected a JSON object"},
          {good + "x", serve::BadMessage::InvalidJson, "invalid JSON at byte"},
          {replaced("\"MET\":41.2", "\"MET\":NaN"), serve::BadMessage::InvalidJson, "invalid JSON at byte"},
          {replaced(",\"BTag\":[1,0]", ""), serve::BadMessage::MissingField, "missing field 'Jet.BTag'"},
          {replaced("\"event_id\":\"e:1\",", ""), serve::BadMessage::MissingField,
           "missing field 'event_id' (a string)"},
          {replaced("\"version\":1", "\"version\":2"), serve::BadMessage::MissingField,
           "expected \"format\""},
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
      },
      serve::decode_event_json);
}

TEST(EventFormat, TellsBadProtobufMessagesApart) {
  serve::v1::Event good;
  ASSERT_TRUE(good.ParseFromString(serve::encode_event_protobuf("e:1", sample())));
  auto changed = [&](auto&& change) {
    serve::v1::Event message = good;
    change(message);
    return message.SerializeAsString();
  };
  const std::string bytes = good.SerializeAsString();
  expect_each_bad(
      {
          {bytes.substr(0, bytes.size() / 2), serve::BadMessage::InvalidProtobuf,
           "not a protobuf trigml.serve.v1.Event"},
          {serve::encode_event_json("e:1", sample()), serve::BadMessage::InvalidProtobuf,
           "not a protobuf trigml.serve.v1.Event"},
          {changed([](auto& m) { m.clear_jet(); }), serve::BadMessage::MissingField, "missing field 'Jet'"},
          {changed([](auto& m) { m.clear_event_id(); }), serve::BadMessage::MissingField,
           "missing field 'event_id' (a string)"},
          {changed([](auto& m) { m.set_version(2); }), serve::BadMessage::MissingField,
           "expected version 1, not 2"},
          {changed([](auto& m) { m.mutable_missinget()->clear_met(); }), serve::BadMessage::MissingField,
           "missing field 'MissingET.MET'"},
          {changed([](auto& m) { m.mutable_jet()->clear_btag(); }), serve::BadMessage::MissingField,
           "'Jet.BTag' has 0 values, the collection's first member 2"},
          {changed(
               [](auto& m) { m.mutable_eflowtrack()->set_z(0, std::numeric_limits<float>::quiet_NaN()); }),
           serve::BadMessage::NotANumber, "'EFlowTrack.Z[0]' is nan, not a finite float"},
          {changed([](auto& m) { m.mutable_missinget()->set_phi(-std::numeric_limits<float>::infinity()); }),
           serve::BadMessage::NotANumber, "'MissingET.Phi' is -inf, not a finite float"},
      },
      serve::decode_event_protobuf);
}

// Protobuf's Python runtime, with code protoc generates from event.proto (as another producer
// would), reads trigml's bytes and writes its own message; trigml reads that back bit for bit.
TEST(EventFormat, ProtobufIsReadAndWrittenByProtobufsPythonRuntime) {
  const auto dir = std::filesystem::temp_directory_path() / ("trigml-proto-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto protoc = testing::run_command(std::string(TRIGML_PROTOC) + " --python_out=" + dir.string() +
                                     " --proto_path=" + TRIGML_SOURCE_DIR + "/src/serve event.proto");
  ASSERT_EQ(protoc.status, 0) << protoc.output;
  const physics::Event in = sample();
  {
    std::ofstream out(dir / "trigml.bin", std::ios::binary);
    out << serve::encode_event_protobuf("e:7", in);
  }
  auto peer = testing::run_command("PYTHONPATH=" + dir.string() + " /usr/bin/python3 " + TRIGML_SOURCE_DIR +
                                   "/tests/serve/event_proto_peer.py " + (dir / "trigml.bin").string() + " " +
                                   (dir / "python.bin").string());
  ASSERT_EQ(peer.status, 0) << peer.output;
  // What Python read, as JSON: the members by Delphes name.
  const auto read = nlohmann::json::parse(peer.output);
  EXPECT_EQ(read["event_id"], "e:7");
  EXPECT_EQ(read["version"], 1);
  EXPECT_EQ(read["Electron"]["PT"][0].get<double>(), static_cast<double>(in.electron_pt[0]));
  EXPECT_EQ(read["Electron"]["Charge"], nlohmann::json::array({-1, 1}));
  EXPECT_EQ(read["EFlowTrack"]["Z"][0].get<double>(), static_cast<double>(in.track_z[0]));
  EXPECT_EQ(read["MissingET"]["MET"].get<double>(), static_cast<double>(in.met));
  EXPECT_EQ(read["EFlowNeutralHadron"]["ET"], nlohmann::json::array());
  std::ifstream python_bytes(dir / "python.bin", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(python_bytes)), {});
  physics::Event out;
  const auto decoded = serve::decode_event_protobuf(bytes, out);
  ASSERT_FALSE(decoded.bad) << decoded.reason;
  EXPECT_EQ(decoded.event_id, "e:7");
  expect_same_event(in, out);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace trigml

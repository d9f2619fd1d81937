// The binary form of the event message: trigml.serve.v1.Event (event.proto), read and written
// through protoc's generated classes. The event's members come from the same table as the JSON
// form's (event_members.hpp); the tables here only say where each name lives in the protobuf
// schema.
#include <fmt/format.h>

#include <cmath>
#include <string_view>

#include "serve/event.pb.h"
#include "serve/event_format.hpp"
#include "serve/event_members.hpp"

namespace trigml::serve {

namespace {

using namespace event_members;
namespace pb = trigml::serve::v1;
template <typename T>
using List = google::protobuf::RepeatedField<T>;

// event.proto's Event: its collections by Delphes name.
struct ProtoCollection {
  const char* name;
  bool (pb::Event::*has)() const;
  const pb::Collection& (pb::Event::*get)() const;
  pb::Collection* (pb::Event::*mutable_get)();
};
const ProtoCollection kCollections[] = {
    {"Electron", &pb::Event::has_electron, &pb::Event::electron, &pb::Event::mutable_electron},
    {"MuonTight", &pb::Event::has_muontight, &pb::Event::muontight, &pb::Event::mutable_muontight},
    {"Jet", &pb::Event::has_jet, &pb::Event::jet, &pb::Event::mutable_jet},
    {"EFlowTrack", &pb::Event::has_eflowtrack, &pb::Event::eflowtrack, &pb::Event::mutable_eflowtrack},
    {"EFlowPhoton", &pb::Event::has_eflowphoton, &pb::Event::eflowphoton, &pb::Event::mutable_eflowphoton},
    {"EFlowNeutralHadron", &pb::Event::has_eflowneutralhadron, &pb::Event::eflowneutralhadron,
     &pb::Event::mutable_eflowneutralhadron}};

// event.proto's Collection: its members by Delphes name.
template <typename T>
struct ProtoMember {
  const char* name;
  const List<T>& (pb::Collection::*get)() const;
  List<T>* (pb::Collection::*mutable_get)();
};
const ProtoMember<float> kFloatLists[] = {{"PT", &pb::Collection::pt, &pb::Collection::mutable_pt},
                                          {"Eta", &pb::Collection::eta, &pb::Collection::mutable_eta},
                                          {"Phi", &pb::Collection::phi, &pb::Collection::mutable_phi},
                                          {"BTag", &pb::Collection::btag, &pb::Collection::mutable_btag},
                                          {"X", &pb::Collection::x, &pb::Collection::mutable_x},
                                          {"Y", &pb::Collection::y, &pb::Collection::mutable_y},
                                          {"Z", &pb::Collection::z, &pb::Collection::mutable_z},
                                          {"ET", &pb::Collection::et, &pb::Collection::mutable_et}};
const ProtoMember<int32_t> kIntLists[] = {
    {"Charge", &pb::Collection::charge, &pb::Collection::mutable_charge}};

template <typename Table>
const auto& find(const Table& table, std::string_view name) {
  for (const auto& entry : table)
    if (name == entry.name) return entry;
  throw std::logic_error(fmt::format("event.proto has no '{}'", name));  // the tables disagree
}

// MissingET's two numbers: event.proto's optional fields, by Delphes member name.
struct ProtoScalar {
  const char* name;
  bool (pb::MissingEnergy::*has)() const;
  float (pb::MissingEnergy::*get)() const;
  void (pb::MissingEnergy::*set)(float);
};
const ProtoScalar kScalars[] = {
    {"MET", &pb::MissingEnergy::has_met, &pb::MissingEnergy::met, &pb::MissingEnergy::set_met},
    {"Phi", &pb::MissingEnergy::has_phi, &pb::MissingEnergy::phi, &pb::MissingEnergy::set_phi}};

float finite(float x, const char* collection, const char* member, std::string_view index = {}) {
  if (!std::isfinite(x))
    throw Failure{BadMessage::NotANumber,
                  fmt::format("'{}.{}{}' is {}, not a finite float", collection, member, index, x)};
  return x;
}

}  // namespace

std::string encode_event_protobuf(const std::string& event_id, const physics::Event& event) {
  pb::Event message;
  message.set_version(kEventVersion);
  message.set_event_id(event_id);
  for (const auto& c : kCollections) (message.*c.mutable_get)();  // present even when empty
  for (const auto& m : kFloatMembers) {
    const auto& values = event.*m.values;
    pb::Collection* collection = (message.*find(kCollections, m.collection).mutable_get)();
    (collection->*find(kFloatLists, m.member).mutable_get)()->Assign(values.begin(), values.end());
  }
  for (const auto& m : kIntMembers) {
    const auto& values = event.*m.values;
    pb::Collection* collection = (message.*find(kCollections, m.collection).mutable_get)();
    (collection->*find(kIntLists, m.member).mutable_get)()->Assign(values.begin(), values.end());
  }
  for (const auto& m : kScalarMembers)
    (message.mutable_missinget()->*find(kScalars, m.member).set)(event.*m.value);
  return message.SerializeAsString();
}

DecodeResult decode_event_protobuf(std::string_view bytes, physics::Event& event) {
  // Reused: its lists keep their capacity from one message to the next.
  thread_local pb::Event message;
  DecodeResult result;
  try {
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
      throw Failure{BadMessage::InvalidProtobuf,
                    fmt::format("not a protobuf trigml.serve.v1.Event ({} bytes)", bytes.size())};
    result.event_id = message.event_id();
    if (result.event_id.empty())
      throw Failure{BadMessage::MissingField, "missing field 'event_id' (a string)"};
    if (message.version() != static_cast<uint32_t>(kEventVersion))
      throw Failure{BadMessage::MissingField,
                    fmt::format("expected version {}, not {}", kEventVersion, message.version())};
    for (const auto& c : kCollections)
      if (!(message.*c.has)())
        throw Failure{BadMessage::MissingField, fmt::format("missing field '{}'", c.name)};
    for (const auto& m : kFloatMembers) {
      const List<float>& values =
          ((message.*find(kCollections, m.collection).get)().*find(kFloatLists, m.member).get)();
      auto& out = event.*m.values;
      out.assign(values.begin(), values.end());
      for (size_t i = 0; i < out.size(); ++i) finite(out[i], m.collection, m.member, fmt::format("[{}]", i));
    }
    for (const auto& m : kIntMembers) {
      const List<int32_t>& values =
          ((message.*find(kCollections, m.collection).get)().*find(kIntLists, m.member).get)();
      (event.*m.values).assign(values.begin(), values.end());
    }
    if (!message.has_missinget()) throw Failure{BadMessage::MissingField, "missing field 'MissingET'"};
    for (const auto& m : kScalarMembers) {
      const auto& scalar = find(kScalars, m.member);
      if (!(message.missinget().*scalar.has)())
        throw Failure{BadMessage::MissingField, fmt::format("missing field '{}.{}'", m.collection, m.member)};
      event.*m.value = finite((message.missinget().*scalar.get)(), m.collection, m.member);
    }
    check_lengths(event);
  } catch (const Failure& f) {
    result.bad = f.kind;
    result.reason = f.reason;
  }
  return result;
}

}  // namespace trigml::serve

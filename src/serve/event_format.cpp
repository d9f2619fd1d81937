#include "serve/event_format.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

namespace trigml::serve {

namespace {

using physics::Event;

// Every list the features read: collection, member, and where it goes. One table for encoding and
// decoding.
struct FloatMember {
  const char* collection;
  const char* member;
  std::vector<float> Event::*values;
};
struct IntMember {
  const char* collection;
  const char* member;
  std::vector<int32_t> Event::*values;
};
const FloatMember kFloatMembers[] = {{"Electron", "PT", &Event::electron_pt},
                                     {"Electron", "Eta", &Event::electron_eta},
                                     {"Electron", "Phi", &Event::electron_phi},
                                     {"MuonTight", "PT", &Event::muon_pt},
                                     {"MuonTight", "Eta", &Event::muon_eta},
                                     {"MuonTight", "Phi", &Event::muon_phi},
                                     {"Jet", "PT", &Event::jet_pt},
                                     {"Jet", "Eta", &Event::jet_eta},
                                     {"Jet", "BTag", &Event::jet_btag},
                                     {"EFlowTrack", "PT", &Event::track_pt},
                                     {"EFlowTrack", "Eta", &Event::track_eta},
                                     {"EFlowTrack", "Phi", &Event::track_phi},
                                     {"EFlowTrack", "X", &Event::track_x},
                                     {"EFlowTrack", "Y", &Event::track_y},
                                     {"EFlowTrack", "Z", &Event::track_z},
                                     {"EFlowPhoton", "ET", &Event::photon_et},
                                     {"EFlowPhoton", "Eta", &Event::photon_eta},
                                     {"EFlowPhoton", "Phi", &Event::photon_phi},
                                     {"EFlowNeutralHadron", "ET", &Event::neutral_et},
                                     {"EFlowNeutralHadron", "Eta", &Event::neutral_eta},
                                     {"EFlowNeutralHadron", "Phi", &Event::neutral_phi}};
const IntMember kIntMembers[] = {{"Electron", "Charge", &Event::electron_charge},
                                 {"MuonTight", "Charge", &Event::muon_charge},
                                 {"EFlowTrack", "Charge", &Event::track_charge}};
// MissingET: one number each.
struct ScalarMember {
  const char* collection;
  const char* member;
  float Event::*value;
};
const ScalarMember kScalarMembers[] = {{"MissingET", "MET", &Event::met},
                                       {"MissingET", "Phi", &Event::met_phi}};

struct Failure {
  BadMessage kind;
  std::string reason;
};

const nlohmann::json& member_of(const nlohmann::json& message, const char* collection, const char* member) {
  auto c = message.find(collection);
  if (c == message.end() || !c->is_object())
    throw Failure{BadMessage::MissingField, fmt::format("missing collection '{}' (an object)", collection)};
  auto m = c->find(member);
  if (m == c->end())
    throw Failure{BadMessage::MissingField, fmt::format("missing field '{}.{}'", collection, member)};
  return *m;
}

float number_at(const nlohmann::json& value, const char* collection, const char* member, size_t index,
                bool list) {
  const std::string where =
      list ? fmt::format("{}.{}[{}]", collection, member, index) : fmt::format("{}.{}", collection, member);
  if (!value.is_number())
    throw Failure{BadMessage::NotANumber, fmt::format("'{}' is {}, not a number", where, value.type_name())};
  const double x = value.get<double>();
  if (!std::isfinite(x) || std::fabs(x) > std::numeric_limits<float>::max())
    throw Failure{BadMessage::NotANumber, fmt::format("'{}' is {}, not a finite float", where, x)};
  return static_cast<float>(x);
}

template <typename T>
void read_list(const nlohmann::json& message, const char* collection, const char* member,
               std::vector<T>& out) {
  const nlohmann::json& list = member_of(message, collection, member);
  if (!list.is_array())
    throw Failure{BadMessage::MissingField,
                  fmt::format("'{}.{}' is {}, not a list", collection, member, list.type_name())};
  out.clear();
  for (size_t i = 0; i < list.size(); ++i) {
    const float x = number_at(list[i], collection, member, i, true);
    if constexpr (std::is_integral_v<T>) {
      if (x != std::nearbyint(x))
        throw Failure{BadMessage::NotANumber,
                      fmt::format("'{}.{}[{}]' is {}, not an integer", collection, member, i, x)};
    }
    out.push_back(static_cast<T>(x));
  }
}

}  // namespace

const char* to_string(BadMessage kind) {
  switch (kind) {
    case BadMessage::InvalidJson: return "invalid_json";
    case BadMessage::MissingField: return "missing_field";
    case BadMessage::NotANumber: return "not_a_number";
  }
  return "?";
}

namespace {

// The shortest text that reads back (as a JSON parser reads it: a double, then rounded to float) as
// the same float; in the rare case the double's rounding lands elsewhere, the double's own digits.
void append_float(std::string& out, float x) {
  char text[40];
  auto end = std::to_chars(text, text + sizeof text, x).ptr;
  double back = 0;
  std::from_chars(text, end, back);
  if (static_cast<float>(back) != x)
    end = std::to_chars(text, text + sizeof text, static_cast<double>(x)).ptr;
  out.append(text, end);
}

void append_key(std::string& out, const char* name) {
  out += '"';
  out += name;
  out += "\":";
}

}  // namespace

std::string encode_event(const std::string& event_id, const physics::Event& event) {
  // Written directly rather than through a JSON tree: the floats in their shortest form keep the
  // messages half as long (the embedded broker keeps a few MB per partition).
  std::string out = fmt::format(R"({{"format":"{}","version":{},"event_id":{})", kEventFormat, kEventVersion,
                                nlohmann::json(event_id).dump());
  const char* open = nullptr;
  auto member = [&](const char* collection, const char* name) {
    if (!open || std::string_view(open) != collection) {
      if (open) out += '}';
      out += ',';
      append_key(out, collection);
      out += '{';
      open = collection;
    } else {
      out += ',';
    }
    append_key(out, name);
  };
  auto list = [&](const auto& values) {
    out += '[';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out += ',';
      if constexpr (std::is_same_v<std::decay_t<decltype(values[i])>, float>)
        append_float(out, values[i]);
      else
        out += std::to_string(values[i]);
    }
    out += ']';
  };
  // Collection by collection, in the table's order (each collection's members are adjacent).
  for (const char* collection :
       {"Electron", "MuonTight", "Jet", "EFlowTrack", "EFlowPhoton", "EFlowNeutralHadron"}) {
    for (const auto& m : kFloatMembers)
      if (std::string_view(m.collection) == collection) member(m.collection, m.member), list(event.*m.values);
    for (const auto& m : kIntMembers)
      if (std::string_view(m.collection) == collection) member(m.collection, m.member), list(event.*m.values);
  }
  for (const auto& m : kScalarMembers) member(m.collection, m.member), append_float(out, event.*m.value);
  out += "}}";
  return out;
}

DecodeResult decode_event(std::string_view text, physics::Event& event) {
  DecodeResult result;
  try {
    const nlohmann::json message = nlohmann::json::parse(text, nullptr, true);
    if (!message.is_object()) throw Failure{BadMessage::InvalidJson, "the message is not a JSON object"};
    auto id = message.find("event_id");
    if (id == message.end() || !id->is_string())
      throw Failure{BadMessage::MissingField, "missing field 'event_id' (a string)"};
    result.event_id = id->get<std::string>();
    if (message.value("format", "") != kEventFormat || !message.contains("version") ||
        message["version"] != kEventVersion)
      throw Failure{BadMessage::MissingField, fmt::format("expected \"format\": \"{}\" and \"version\": {}",
                                                          kEventFormat, kEventVersion)};
    for (const auto& m : kFloatMembers) read_list(message, m.collection, m.member, event.*m.values);
    for (const auto& m : kIntMembers) read_list(message, m.collection, m.member, event.*m.values);
    for (const auto& m : kScalarMembers)
      event.*m.value =
          number_at(member_of(message, m.collection, m.member), m.collection, m.member, 0, false);
    // The members of a collection describe the same objects: as many values as its first member.
    std::array<std::pair<const char*, size_t>, 8> lengths{};
    auto same_length = [&](const char* collection, const char* member, size_t n) {
      for (auto& [name, length] : lengths) {
        if (!name) {
          name = collection, length = n;
          return;
        }
        if (std::string_view(name) != collection) continue;
        if (length != n)
          throw Failure{BadMessage::MissingField,
                        fmt::format("'{}.{}' has {} values, the collection's first member {}", collection,
                                    member, n, length)};
        return;
      }
    };
    for (const auto& m : kFloatMembers) same_length(m.collection, m.member, (event.*m.values).size());
    for (const auto& m : kIntMembers) same_length(m.collection, m.member, (event.*m.values).size());
  } catch (const nlohmann::json::parse_error& e) {
    result.bad = BadMessage::InvalidJson;
    result.reason = std::string("invalid JSON: ") + e.what();
  } catch (const Failure& f) {
    result.bad = f.kind;
    result.reason = f.reason;
  }
  return result;
}

std::string encode_decision(const std::string& event_id, const score::Decision& d,
                            const std::string& model_id) {
  nlohmann::ordered_json j;
  j["event_id"] = event_id;
  j["selected"] = d.selected();
  if (d.selected()) {
    for (size_t k = 0; k < score::kClasses.size(); ++k)
      j["probabilities"][std::string(score::kClasses[k])] = static_cast<double>(d.probabilities[k]);
  } else {
    j["probabilities"] = nullptr;
  }
  j["accept"] = d.accept;
  j["model"] = model_id;
  return j.dump();
}

}  // namespace trigml::serve

// Internal to src/serve: the members of an event message, one table for both forms (JSON in
// event_format.cpp, protobuf in event_protobuf.cpp), and how decoding fails.
#pragma once

#include <iterator>
#include <string>
#include <vector>

#include "physics/event.hpp"
#include "serve/event_format.hpp"

namespace trigml::serve::event_members {

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
inline const FloatMember kFloatMembers[] = {{"Electron", "PT", &Event::electron_pt},
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
inline const IntMember kIntMembers[] = {{"Electron", "Charge", &Event::electron_charge},
                                        {"MuonTight", "Charge", &Event::muon_charge},
                                        {"EFlowTrack", "Charge", &Event::track_charge}};
// MissingET: one number each.
struct ScalarMember {
  const char* collection;
  const char* member;
  float Event::*value;
};
inline const ScalarMember kScalarMembers[] = {{"MissingET", "MET", &Event::met},
                                              {"MissingET", "Phi", &Event::met_phi}};

struct Failure {
  BadMessage kind;
  std::string reason;
};

// The members of a collection describe the same objects: Failure (MissingField) unless each has as
// many values as the collection's first member.
void check_lengths(const Event& event);

inline constexpr size_t kMembers =
    std::size(kFloatMembers) + std::size(kIntMembers) + std::size(kScalarMembers);

}  // namespace trigml::serve::event_members

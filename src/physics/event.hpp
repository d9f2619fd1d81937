// One event held in memory (decoded from a message, say): the collections the selection and the
// features read, owning their values. view() gives the EventInput that FeatureBuilder works on, so
// an in-memory event and an event read from ROOT columns go through the same code.
#pragma once

#include <cstdint>
#include <vector>

#include "physics/features.hpp"

namespace trigml::physics {

struct Event {
  std::vector<float> electron_pt, electron_eta, electron_phi;
  std::vector<int32_t> electron_charge;
  std::vector<float> muon_pt, muon_eta, muon_phi;
  std::vector<int32_t> muon_charge;
  std::vector<float> jet_pt, jet_eta, jet_btag;
  float met = 0, met_phi = 0;
  std::vector<float> track_pt, track_eta, track_phi, track_x, track_y, track_z;
  std::vector<int32_t> track_charge;
  std::vector<float> photon_et, photon_eta, photon_phi;
  std::vector<float> neutral_et, neutral_eta, neutral_phi;

  EventInput view() const {
    EventInput in;
    in.electron_pt = electron_pt, in.electron_eta = electron_eta, in.electron_phi = electron_phi;
    in.electron_charge = electron_charge;
    in.muon_pt = muon_pt, in.muon_eta = muon_eta, in.muon_phi = muon_phi, in.muon_charge = muon_charge;
    in.jet_pt = jet_pt, in.jet_eta = jet_eta, in.jet_btag = jet_btag;
    in.met = met, in.met_phi = met_phi;
    in.track_pt = track_pt, in.track_eta = track_eta, in.track_phi = track_phi;
    in.track_x = track_x, in.track_y = track_y, in.track_z = track_z, in.track_charge = track_charge;
    in.photon_et = photon_et, in.photon_eta = photon_eta, in.photon_phi = photon_phi;
    in.neutral_et = neutral_et, in.neutral_eta = neutral_eta, in.neutral_phi = neutral_phi;
    return in;
  }
  // A copy of an event read from columns (its particle-flow collections, as Delphes has them).
  void assign(const EventInput& in) {
    auto copy = [](auto& to, auto from) { to.assign(from.begin(), from.end()); };
    copy(electron_pt, in.electron_pt), copy(electron_eta, in.electron_eta),
        copy(electron_phi, in.electron_phi);
    copy(electron_charge, in.electron_charge);
    copy(muon_pt, in.muon_pt), copy(muon_eta, in.muon_eta), copy(muon_phi, in.muon_phi);
    copy(muon_charge, in.muon_charge);
    copy(jet_pt, in.jet_pt), copy(jet_eta, in.jet_eta), copy(jet_btag, in.jet_btag);
    met = in.met, met_phi = in.met_phi;
    copy(track_pt, in.track_pt), copy(track_eta, in.track_eta), copy(track_phi, in.track_phi);
    copy(track_x, in.track_x), copy(track_y, in.track_y), copy(track_z, in.track_z);
    copy(track_charge, in.track_charge);
    copy(photon_et, in.photon_et), copy(photon_eta, in.photon_eta), copy(photon_phi, in.photon_phi);
    copy(neutral_et, in.neutral_et), copy(neutral_eta, in.neutral_eta), copy(neutral_phi, in.neutral_phi);
  }
};

}  // namespace trigml::physics

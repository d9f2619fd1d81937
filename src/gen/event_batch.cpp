#include "gen/event_batch.hpp"

namespace trigml::gen {

void LeptonColumns::clear() {
  size.clear();
  pt.clear();
  eta.clear();
  phi.clear();
  charge.clear();
}

void JetColumns::clear() {
  size.clear();
  pt.clear();
  eta.clear();
  phi.clear();
  mass.clear();
  btag.clear();
}

void MissingEtColumns::clear() {
  size.clear();
  met.clear();
  phi.clear();
}

void TrackColumns::clear() {
  size.clear();
  pt.clear();
  eta.clear();
  phi.clear();
  pid.clear();
  charge.clear();
  x.clear();
  y.clear();
  z.clear();
}

void TowerColumns::clear() {
  size.clear();
  et.clear();
  eta.clear();
  phi.clear();
}

void EventBatch::clear() {
  events = 0;
  electrons.clear();
  muons.clear();
  jets.clear();
  missing_et.clear();
  tracks.clear();
  photons.clear();
  neutral_hadrons.clear();
}

}  // namespace trigml::gen

// What `prepare` does to one selected event, with the parameters a preprocessing.json records: the
// high-level features min-max scaled, the particles sorted by ΔR to the lepton (on their unscaled
// η and φ) and then standardised. The same steps (steps.hpp) in the same order as prepare, so a
// raw event scored later gets the values its prepared row has.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "physics/features.hpp"
#include "prepare/steps.hpp"

namespace trigml::prepare {

class EventTransform {
 public:
  // FormatError naming `where` when the record is incomplete or its features are not trigml's
  // (names and order of the 14 high-level and 19 particle features, which are standardised).
  static EventTransform from_preprocessing(const nlohmann::json& preprocessing, const std::string& where);

  // Appends the event's 14 scaled high-level features to `hlf` and its sorted, scaled particle rows
  // to `particles`. Nothing is allocated once the vectors have grown.
  void apply(const physics::EventFeatures& event, std::vector<float>& hlf, std::vector<float>& particles);

 private:
  MinMaxScaler hlf_scaler_;
  ParticleScaler particle_scaler_;
  std::vector<uint64_t> order_;
};

}  // namespace trigml::prepare

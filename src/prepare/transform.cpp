#include "prepare/transform.hpp"

#include "common/error.hpp"

namespace trigml::prepare {

EventTransform EventTransform::from_preprocessing(const nlohmann::json& pre, const std::string& where) {
  EventTransform t;
  try {
    const auto& hlf = pre.at("high_level_features");
    if (hlf.size() != physics::kHighLevelFeatures)
      throw FormatError(fmt::format("preprocessing: {} high-level features, expected {}", hlf.size(),
                                    physics::kHighLevelFeatures),
                        {where});
    for (size_t k = 0; k < physics::kHighLevelFeatures; ++k) {
      if (hlf[k].at("name").get<std::string>() != physics::kHighLevelNames[k])
        throw FormatError(fmt::format("preprocessing: high-level feature {} is '{}', expected '{}'", k,
                                      hlf[k].at("name").get<std::string>(), physics::kHighLevelNames[k]),
                          {where});
      t.hlf_scaler_.min[k] = hlf[k].at("min").get<double>();
      t.hlf_scaler_.max[k] = hlf[k].at("max").get<double>();
    }
    const auto& particles = pre.at("particle_features");
    if (particles.size() != physics::kParticleFeatures)
      throw FormatError(fmt::format("preprocessing: {} particle features, expected {}", particles.size(),
                                    physics::kParticleFeatures),
                        {where});
    std::array<double, physics::kParticleFeatures> mean{}, stddev{};
    const ParticleScaler reference;
    for (size_t k = 0; k < physics::kParticleFeatures; ++k) {
      const auto& f = particles[k];
      if (f.at("name").get<std::string>() != physics::kParticleNames[k] ||
          f.at("scaled").get<bool>() != reference.scaled[k])
        throw FormatError(
            fmt::format("preprocessing: particle feature {} is '{}' (scaled: {}), expected '{}' "
                        "(scaled: {})",
                        k, f.at("name").get<std::string>(), f.at("scaled").get<bool>(),
                        physics::kParticleNames[k], reference.scaled[k]),
            {where});
      mean[k] = f.at("mean").get<double>();
      stddev[k] = f.at("std").get<double>();
      if (!(stddev[k] > 0))
        throw FormatError(fmt::format("preprocessing: particle feature '{}' has deviation {}, not positive",
                                      physics::kParticleNames[k], stddev[k]),
                          {where});
    }
    t.particle_scaler_ = ParticleScaler::with_parameters(mean, stddev);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(std::string("incomplete preprocessing record: ") + e.what(), {where});
  }
  return t;
}

void EventTransform::apply(const physics::EventFeatures& event, std::vector<float>& hlf,
                           std::vector<float>& particles) {
  for (size_t k = 0; k < physics::kHighLevelFeatures; ++k)
    hlf.push_back(hlf_scaler_.transform(k, event.high_level[k]));
  const size_t at = particles.size();
  particles.resize(at + event.particles.size());
  const auto rows = std::span(particles).subspan(at);
  sort_by_delta_r(event.particles, rows, order_);
  particle_scaler_.transform(rows);
}

}  // namespace trigml::prepare

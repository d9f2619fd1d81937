// The steps of `trigml prepare` as pure functions on columns, each seeded and deterministic
// (sparkdltrigger.md section 3 with choices.md #5–#8): class balancing, a stratified split,
// scalers fitted on the training split only, particles sorted by ΔR to the lepton, and a global
// shuffle defined by per-event random keys (so its order does not depend on how the work is cut).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "physics/features.hpp"

namespace trigml::prepare {

// A counter-based random number: the same (seed, stream, index) always gives the same value.
uint64_t random_key(uint64_t seed, uint64_t stream, uint64_t index);

// Undersamples every class to the size of the smallest one (or to `ratio` × that size, capped at
// the class size): for each class, which of its events are kept, chosen uniformly without
// replacement by their random keys. Classes are indexed by label.
std::vector<std::vector<bool>> balance(const std::vector<uint64_t>& class_sizes, uint64_t seed,
                                       const std::vector<double>& ratio = {});

// Splits the kept events of one class: true = test. Exactly round(n × fraction) events go to the
// test split, chosen by random keys (a different stream from balancing).
std::vector<bool> split_test(uint64_t kept_events, double test_fraction, uint64_t seed, int32_t label);

// Min-max scaling of the 14 high-level features to [0, 1], fitted on the training split only.
struct MinMaxScaler {
  std::array<double, physics::kHighLevelFeatures> min{}, max{};
  std::vector<std::string> constant_features;  // max == min: scaled to 0.5, as Spark does
  uint64_t events = 0;
  void fit(const std::array<std::vector<float>, physics::kHighLevelFeatures>& columns);
  // The same, streaming: update() per training event, then finish().
  void update(const std::array<float, physics::kHighLevelFeatures>& event);
  void finish();
  float transform(size_t feature, float x) const;
  // Fits of disjoint events combine exactly (minima, maxima and counts): state() of one, merge()d into
  // another before finish().
  std::vector<double> state() const;
  void merge(std::span<const double> state);
};

// Per-feature standardisation of particle rows over real particles only (padding is never
// stored, so it never enters). The five type flags and the charge are categorical and left
// unscaled (see docs/physics.md).
struct ParticleScaler {
  std::array<double, physics::kParticleFeatures> mean{}, stddev{};
  std::array<bool, physics::kParticleFeatures> scaled{};
  uint64_t rows = 0;
  ParticleScaler();
  // A scaler with recorded parameters (preprocessing.json's): transform() gives the fitted scaler's
  // values bit for bit, since it uses the same means and the same inverse deviations.
  static ParticleScaler with_parameters(const std::array<double, physics::kParticleFeatures>& mean,
                                        const std::array<double, physics::kParticleFeatures>& stddev);
  // Accumulates rows (row-major, 19 floats each); call finish() after the last.
  void accumulate(std::span<const float> rows);
  void finish();
  // Partial fits of disjoint rows combine by adding their sums: state() of one, merge()d into another
  // before finish(). Floating-point sums depend on their order, so callers merge in a fixed order.
  std::vector<double> state() const;
  void merge(std::span<const double> state);
  // Writes the scaled values to `out` (the same size; may be `values` itself).
  void transform(std::span<const float> values, std::span<float> out) const;
  void transform(std::span<float> values) const { transform(values, values); }

 private:
  // Eight rows at a time: a block of 8 × 19 values is a whole number of SIMD vectors, so the
  // loops over it vectorise; the per-feature values are repeated over the block.
  static constexpr size_t kBlock = 8 * physics::kParticleFeatures;
  void repeat_parameters();  // mean and stddev over the block
  std::array<double, kBlock> block_sum_{}, block_sum_squares_{};
  std::array<double, kBlock> block_mean_{}, block_inverse_stddev_{};
};

// Writes one event's rows to `sorted` (the same size, not overlapping) ordered by ΔR to the lepton
// (row 0), descending and stable, so the lepton ends last. Rows are row-major with 19 floats
// each; `order` is reused from event to event.
void sort_by_delta_r(std::span<const float> rows, std::span<float> sorted, std::vector<uint64_t>& order);

}  // namespace trigml::prepare

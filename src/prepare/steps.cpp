#include "prepare/steps.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>

#include "common/error.hpp"
#include "common/random.hpp"
#include "physics/kinematics.hpp"

namespace trigml::prepare {

uint64_t random_key(uint64_t seed, uint64_t stream, uint64_t index) {
  // SplitMix64 finaliser over a combination of the three: a bijection of its input, so distinct
  // indices in one stream never collide.
  return mix64(seed * 0x9E3779B97F4A7C15ull + stream * 0xD1B54A32D192ED03ull + index);
}

namespace {

// The `take` events of `n` with the smallest random keys.
std::vector<bool> choose(uint64_t n, uint64_t take, uint64_t seed, uint64_t stream) {
  std::vector<bool> chosen(n, false);
  if (take >= n) {
    chosen.assign(n, true);
    return chosen;
  }
  std::vector<std::pair<uint64_t, uint64_t>> keys(n);
  for (uint64_t i = 0; i < n; ++i) keys[i] = {random_key(seed, stream, i), i};
  std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(take), keys.end());
  for (uint64_t i = 0; i < take; ++i) chosen[keys[i].second] = true;
  return chosen;
}

constexpr uint64_t kBalanceStream = 1;
constexpr uint64_t kSplitStream = 16;

}  // namespace

std::vector<std::vector<bool>> balance(const std::vector<uint64_t>& class_sizes, uint64_t seed,
                                       const std::vector<double>& ratio) {
  if (class_sizes.empty()) throw UsageError("no classes to balance");
  uint64_t smallest = *std::min_element(class_sizes.begin(), class_sizes.end());
  for (size_t c = 0; c < class_sizes.size(); ++c)
    if (class_sizes[c] == 0) throw UsageError(fmt::format("class with label {} has no events", c));
  if (!ratio.empty() && ratio.size() != class_sizes.size())
    throw UsageError(fmt::format("a ratio per class is needed ({} given for {} classes)", ratio.size(),
                                 class_sizes.size()));
  std::vector<std::vector<bool>> kept;
  for (size_t c = 0; c < class_sizes.size(); ++c) {
    double r = ratio.empty() ? 1.0 : ratio[c];
    if (!(r > 0)) throw UsageError(fmt::format("balance ratio {} must be positive", r));
    auto take = static_cast<uint64_t>(std::llround(r * static_cast<double>(smallest)));
    kept.push_back(choose(class_sizes[c], std::min(take, class_sizes[c]), seed, kBalanceStream + c));
  }
  return kept;
}

std::vector<bool> split_test(uint64_t kept_events, double test_fraction, uint64_t seed, int32_t label) {
  if (!(test_fraction >= 0 && test_fraction < 1))
    throw UsageError(fmt::format("test fraction {} must be in [0, 1)", test_fraction));
  auto take = static_cast<uint64_t>(std::llround(test_fraction * static_cast<double>(kept_events)));
  return choose(kept_events, take, seed, kSplitStream + static_cast<uint64_t>(label));
}

void MinMaxScaler::fit(const std::array<std::vector<float>, physics::kHighLevelFeatures>& columns) {
  events = 0;
  std::array<float, physics::kHighLevelFeatures> event{};
  for (size_t i = 0; i < columns[0].size(); ++i) {
    for (size_t k = 0; k < physics::kHighLevelFeatures; ++k) event[k] = columns[k].at(i);
    update(event);
  }
  finish();
}

void MinMaxScaler::update(const std::array<float, physics::kHighLevelFeatures>& event) {
  for (size_t k = 0; k < physics::kHighLevelFeatures; ++k) {
    if (events == 0 || event[k] < min[k]) min[k] = event[k];
    if (events == 0 || event[k] > max[k]) max[k] = event[k];
  }
  ++events;
}

void MinMaxScaler::finish() {
  if (events == 0) throw UsageError("cannot fit a scaler on an empty training split");
  constant_features.clear();
  for (size_t k = 0; k < physics::kHighLevelFeatures; ++k)
    if (max[k] == min[k]) constant_features.emplace_back(physics::kHighLevelNames[k]);
}

std::vector<double> MinMaxScaler::state() const {
  std::vector<double> out = {static_cast<double>(events)};
  out.insert(out.end(), min.begin(), min.end());
  out.insert(out.end(), max.begin(), max.end());
  return out;
}

void MinMaxScaler::merge(std::span<const double> state) {
  constexpr size_t n = physics::kHighLevelFeatures;
  if (state.size() != 1 + 2 * n) throw InternalError("min-max scaler: a merged state has the wrong size");
  const auto other_events = static_cast<uint64_t>(state[0]);
  if (other_events == 0) return;
  for (size_t k = 0; k < n; ++k) {
    if (events == 0 || state[1 + k] < min[k]) min[k] = state[1 + k];
    if (events == 0 || state[1 + n + k] > max[k]) max[k] = state[1 + n + k];
  }
  events += other_events;
}

float MinMaxScaler::transform(size_t k, float x) const {
  if (max[k] == min[k]) return 0.5f;
  return static_cast<float>((static_cast<double>(x) - min[k]) / (max[k] - min[k]));
}

ParticleScaler::ParticleScaler() {
  using F = physics::ParticleFeature;
  scaled.fill(true);
  for (F f : {F::IsChHad, F::IsNeuHad, F::IsGamma, F::IsEle, F::IsMu, F::Charge})
    scaled[physics::index(f)] = false;
}

void ParticleScaler::accumulate(std::span<const float> values) {
  constexpr size_t width = physics::kParticleFeatures;
  const size_t n = values.size() / width * width;
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (size_t j = 0; j < kBlock; ++j) {
      double x = values[i + j];
      block_sum_[j] += x;
      block_sum_squares_[j] += x * x;
    }
  for (size_t j = 0; i + j < n; ++j) {  // the last rows, into the first rows of the block
    double x = values[i + j];
    block_sum_[j] += x;
    block_sum_squares_[j] += x * x;
  }
  rows += n / width;
}

std::vector<double> ParticleScaler::state() const {
  std::vector<double> out = {static_cast<double>(rows)};
  out.insert(out.end(), block_sum_.begin(), block_sum_.end());
  out.insert(out.end(), block_sum_squares_.begin(), block_sum_squares_.end());
  return out;
}

void ParticleScaler::merge(std::span<const double> state) {
  if (state.size() != 1 + 2 * kBlock)
    throw InternalError("particle scaler: a merged state has the wrong size");
  rows += static_cast<uint64_t>(state[0]);
  for (size_t j = 0; j < kBlock; ++j) {
    block_sum_[j] += state[1 + j];
    block_sum_squares_[j] += state[1 + kBlock + j];
  }
}

void ParticleScaler::finish() {
  if (rows == 0) throw UsageError("cannot fit the particle scaler: the training split has no particles");
  constexpr size_t width = physics::kParticleFeatures;
  for (size_t k = 0; k < width; ++k) {
    double sum = 0, sum_squares = 0;
    for (size_t j = k; j < kBlock; j += width) sum += block_sum_[j], sum_squares += block_sum_squares_[j];
    double n = static_cast<double>(rows);
    mean[k] = sum / n;
    double variance = std::max(0.0, sum_squares / n - mean[k] * mean[k]);
    stddev[k] = std::sqrt(variance);
    if (!scaled[k]) {
      mean[k] = 0;
      stddev[k] = 1;
    } else if (stddev[k] == 0) {
      stddev[k] = 1;  // a constant feature: centred, not divided
    }
  }
  repeat_parameters();
}

void ParticleScaler::repeat_parameters() {
  constexpr size_t width = physics::kParticleFeatures;
  for (size_t j = 0; j < kBlock; ++j)
    block_mean_[j] = mean[j % width], block_inverse_stddev_[j] = 1 / stddev[j % width];
}

ParticleScaler ParticleScaler::with_parameters(const std::array<double, physics::kParticleFeatures>& mean,
                                               const std::array<double, physics::kParticleFeatures>& stddev) {
  ParticleScaler scaler;
  scaler.mean = mean;
  scaler.stddev = stddev;
  scaler.repeat_parameters();
  return scaler;
}

void ParticleScaler::transform(std::span<const float> values, std::span<float> out) const {
  // Unscaled features have mean 0 and deviation 1, which leaves them exactly as they are: no
  // branch in the loop. A product with the inverse deviation, not a division (several times
  // slower): in double precision the two differ by an ulp at most, which changes the float
  // result only when it straddles a float's rounding point.
  constexpr size_t width = physics::kParticleFeatures;
  const size_t n = values.size() / width * width;
  size_t i = 0;
  for (; i + kBlock <= n; i += kBlock)
    for (size_t j = 0; j < kBlock; ++j)
      out[i + j] = static_cast<float>((values[i + j] - block_mean_[j]) * block_inverse_stddev_[j]);
  for (size_t j = 0; i + j < n; ++j)
    out[i + j] = static_cast<float>((values[i + j] - block_mean_[j]) * block_inverse_stddev_[j]);
}

namespace {

// Sorts keys by their upper 32 bits, stably: least significant byte first, one counting pass per
// byte, skipping bytes every key shares (the exponent of ΔR mostly). `scratch` is as long as
// `keys`.
void radix_sort_upper_half(std::span<uint64_t> keys, std::span<uint64_t> scratch) {
  uint32_t counts[4][256] = {};
  for (uint64_t key : keys)
    for (int b = 0; b < 4; ++b) ++counts[b][(key >> (32 + 8 * b)) & 0xff];
  std::span<uint64_t> from = keys, to = scratch;
  for (int b = 0; b < 4; ++b) {
    uint32_t* count = counts[b];
    if (count[(keys[0] >> (32 + 8 * b)) & 0xff] == keys.size()) continue;
    uint32_t position = 0;
    for (int v = 0; v < 256; ++v) {
      uint32_t c = count[v];
      count[v] = position;
      position += c;
    }
    for (uint64_t key : from) to[count[(key >> (32 + 8 * b)) & 0xff]++] = key;
    std::swap(from, to);
  }
  if (from.data() != keys.data()) std::copy(from.begin(), from.end(), keys.begin());
}

}  // namespace

void sort_by_delta_r(std::span<const float> rows, std::span<float> sorted, std::vector<uint64_t>& order) {
  constexpr size_t width = physics::kParticleFeatures;
  const size_t n = rows.size() / width;
  if (n < 2) {
    std::copy(rows.begin(), rows.end(), sorted.begin());
    return;
  }
  const size_t eta = physics::index(physics::ParticleFeature::Eta);
  const size_t phi = physics::index(physics::ParticleFeature::Phi);
  const double lepton_eta = rows[eta], lepton_phi = rows[phi];
  // Every particle but the lepton, by ΔR descending, ties in stored order: one integer key per
  // particle, the complemented bits of ΔR as a float (ordered like the values, since ΔR ≥ 0)
  // above the row index, sorted stably by the upper half. The lepton is placed last
  // explicitly, even if another particle sits exactly on it.
  order.resize(2 * (n - 1));
  auto keys = std::span(order).first(n - 1);
  for (size_t i = 1; i < n; ++i) {
    auto delta_r = static_cast<float>(
        physics::delta_r(rows[i * width + eta], rows[i * width + phi], lepton_eta, lepton_phi));
    keys[i - 1] = static_cast<uint64_t>(~std::bit_cast<uint32_t>(delta_r)) << 32 | i;
  }
  radix_sort_upper_half(keys, std::span(order).subspan(n - 1));
  // Rows copied with a size known at compile time: a few vector moves, not a call to memmove.
  constexpr size_t row_bytes = width * sizeof(float);
  for (size_t i = 0; i + 1 < n; ++i)
    std::memcpy(&sorted[i * width], &rows[(keys[i] & 0xffffffffu) * width], row_bytes);
  std::memcpy(&sorted[(n - 1) * width], rows.data(), row_bytes);
}

}  // namespace trigml::prepare

// Random numbers for the whole library (the generator, prepare's keys, training's shuffles): a
// xoshiro256** engine seeded through SplitMix64, so that any (seed, stream, chunk) triple gives an
// independent, reproducible stream whatever the thread or process that runs it. Both algorithms are public
// domain (Blackman & Vigna, https://prng.di.unimi.it/).
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace trigml {

// SplitMix64's finaliser: a bijective 64-bit mixer.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// One step of SplitMix64, used to derive seeds and fill xoshiro's state.
constexpr uint64_t splitmix64(uint64_t& state) {
  return mix64(state += 0x9e3779b97f4a7c15ULL);
}

// Derives the seed of one chunk of events from the user seed, the process and the chunk index.
constexpr uint64_t chunk_seed(uint64_t seed, uint64_t process_index, uint64_t chunk_index) {
  uint64_t state = seed;
  uint64_t mixed = splitmix64(state) ^ (process_index * 0xd1b54a32d192ed03ULL);
  state = mixed;
  mixed = splitmix64(state) ^ (chunk_index * 0x8cb92ba72f3d8dd7ULL);
  state = mixed;
  return splitmix64(state);
}

class Random {
 public:
  explicit Random(uint64_t seed) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t state = seed;
    for (auto& word : state_) word = splitmix64(state);
    has_spare_ = false;
  }

  uint64_t next() {
    const uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  double uniform_open() { return 1.0 - uniform(); }
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  bool chance(double probability) { return uniform() < probability; }
  double phi() { return uniform(-std::numbers::pi, std::numbers::pi); }

  double exponential(double mean) { return -mean * std::log(uniform_open()); }

  // Gamma distribution with integer shape k (sum of k exponentials): mean k * scale.
  double gamma_integer(int shape, double scale) {
    double product = 1.0;
    for (int i = 0; i < shape; ++i) product *= uniform_open();
    return -scale * std::log(product);
  }

  // Standard normal by the Marsaglia polar method; the second value is kept for the next call.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = uniform(-1.0, 1.0);
      v = uniform(-1.0, 1.0);
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return u * factor;
  }
  double normal(double mean, double sigma) { return mean + sigma * normal(); }

  // Poisson by inversion for small means, normal approximation beyond (means here are < 100).
  int poisson(double mean) {
    if (mean <= 0.0) return 0;
    if (mean > 60.0) {
      const double value = std::round(normal(mean, std::sqrt(mean)));
      return value < 0.0 ? 0 : static_cast<int>(value);
    }
    const double limit = std::exp(-mean);
    int count = 0;
    double product = uniform_open();
    while (product > limit) {
      ++count;
      product *= uniform_open();
    }
    return count;
  }

  // Pareto (power law) above `minimum`: density proportional to x^-(index + 1).
  double power_law(double minimum, double index) { return minimum * std::pow(uniform_open(), -1.0 / index); }

  // Relativistic Breit-Wigner approximated by a Cauchy distribution, truncated to [low, high].
  double breit_wigner(double mass, double width, double low, double high) {
    const double a = std::atan((low - mass) / (0.5 * width));
    const double b = std::atan((high - mass) / (0.5 * width));
    return mass + 0.5 * width * std::tan(uniform(a, b));
  }

 private:
  uint64_t state_[4] = {};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace trigml

// The core's fp32 multiply-add peak, the yardstick for the GFLOP/s of model_bench's training step
// (docs/performance.md, "Model"): independent chains of fused multiply-adds on registers, enough of
// them to cover the FMA latency, in 512-bit (AVX-512) and 256-bit (AVX2 + FMA) vectors. One thread;
// "FLOP/s" counts a multiply-add as two.
#include <benchmark/benchmark.h>

#include <cstdint>

namespace {

constexpr int kChains = 12;           // ≥ latency (4 cycles) × FMA units (2) on current x86 cores
constexpr int64_t kRounds = 1 << 16;  // per benchmark iteration

// GCC ignores vector_size on an alias template, not on a member typedef.
template <int Lanes>
struct VecOf {
  typedef float type __attribute__((vector_size(Lanes * sizeof(float))));  // NOLINT(modernize-use-using)
};
template <int Lanes>
using Vec = typename VecOf<Lanes>::type;

// kChains independent a = a·m + c chains for kRounds rounds; returns their sum (so none is dropped).
// Inlined into the callers below, which carry the instruction set.
template <int Lanes>
__attribute__((always_inline)) inline float chains(float seed) {
  Vec<Lanes> acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = Vec<Lanes>{} + seed * static_cast<float>(i + 1);
  const Vec<Lanes> m = Vec<Lanes>{} + 0.999999F, c = Vec<Lanes>{} + 1e-7F;
  for (int64_t r = 0; r < kRounds; ++r) {
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * m + c;
    benchmark::ClobberMemory();  // keeps the rounds from being folded into fewer
  }
  Vec<Lanes> total = acc[0];
  for (int i = 1; i < kChains; ++i) total += acc[i];
  float lanes[Lanes];
  __builtin_memcpy(lanes, &total, sizeof(lanes));
  float sum = 0;
  for (float v : lanes) sum += v;
  return sum;
}

__attribute__((target("avx512f,fma"))) float chains512(float seed) {
  return chains<16>(seed);
}
__attribute__((target("avx2,fma"))) float chains256(float seed) {
  return chains<8>(seed);
}

void BM_FmaPeak(benchmark::State& state, float (*run)(float), int lanes, bool supported) {
  if (!supported) {
    state.SkipWithError("the CPU lacks this instruction set");
    return;
  }
  float seed = 1.0F;
  for (auto _ : state) benchmark::DoNotOptimize(seed = run(seed) * 1e-9F + 1.0F);
  state.counters["FLOP/s"] = benchmark::Counter(2.0 * lanes * kChains * static_cast<double>(kRounds),
                                                benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_FmaPeak, avx512, chains512, 16, __builtin_cpu_supports("avx512f"))
    ->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(BM_FmaPeak, avx2, chains256, 8,
                  __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    ->MeasureProcessCPUTime();

BENCHMARK_MAIN();

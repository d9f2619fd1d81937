#include "model/gru.hpp"

#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "model/buffer_pool.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

// The gate loops are compiled for AVX-512 and AVX2 besides the baseline x86-64 and picked at load
// time (GCC's and Clang's function multi-versioning): the gates are a third of the arithmetic and
// the baseline's 4-wide SSE2 would make them the larger part of the time.
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define TRIGML_GATE_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
#endif
#ifndef TRIGML_GATE_CLONES
#define TRIGML_GATE_CLONES
#endif

namespace trigml::model::detail {
namespace {

struct Buffers {
  BufferPool projection;      // x·W of all steps [T, N, 3H], forward only
  BufferPool states;          // [T, N, H], the output
  BufferPool gates;           // z, r, n and U_h h + c_h of every step [T, N, 4H], forward to backward
  BufferPool input_grad;      // gradient of the gates' input parts [T, N, 3H]
  BufferPool recurrent_grad;  // gradient of the gates' recurrent parts [T, N, 3H]
};

Buffers& buffers() {
  thread_local Buffers b;
  return b;
}

// Row-major c = op(a)·op(b) + beta·c with oneDNN's sgemm ('N' or 'T' for op).
void gemm(char trans_a, char trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const auto status = dnnl_sgemm(trans_a, trans_b, m, n, k, 1.0F, a, lda, b, ldb, beta, c, ldc);
  TORCH_CHECK(status == dnnl_success, "gru: oneDNN's sgemm failed with status ", static_cast<int>(status));
}

// eˣ, Cephes's expf without branches (so that the gate loops vectorise): x is clamped to
// [−87, 88], where the result is a normal float, and split as x = k ln 2 + r with |r| ≤ ln 2 / 2;
// eʳ is a degree-7 polynomial and 2ᵏ goes straight into the exponent bits. About 1 ulp.
inline float exp_clamped(float x) {
  x = std::min(std::max(x, -87.0F), 88.0F);
  constexpr float kRound = 12582912.0F;  // 1.5 · 2²³: adding and subtracting it rounds to an integer
  const float k = (x * 1.44269504088896341F + kRound) - kRound;
  float r = x - k * 0.693359375F;
  r = r + k * 2.12194440e-4F;
  float p = 1.9875691500e-4F;
  p = p * r + 1.3981999507e-3F;
  p = p * r + 8.3334519073e-3F;
  p = p * r + 4.1665795894e-2F;
  p = p * r + 1.6666665459e-1F;
  p = p * r + 5.0000001201e-1F;
  const float er = p * r * r + r + 1.0F;
  return er * std::bit_cast<float>((static_cast<int32_t>(k) + 127) << 23);
}

inline float sigmoid(float x) {
  return 1.0F / (1.0F + exp_clamped(-x));
}

inline float tanh_of(float x) {
  return 2.0F / (1.0F + exp_clamped(-2.0F * x)) - 1.0F;
}

// One step of `rows` events: gx = x·W and gh = h·U of the step ([rows, 3H] each), h_prev [rows, H].
// Writes the new state h [rows, H] and, per event, (z, r, n, U_h h + c_h) [rows, 4H] for backward.
TRIGML_GATE_CLONES
void forward_gates(int64_t rows, int64_t hidden, const float* __restrict gx, const float* __restrict gh,
                   const float* __restrict b_in, const float* __restrict b_rec,
                   const float* __restrict h_prev, float* __restrict h, float* __restrict gates) {
  const int64_t hh = 2 * hidden;
  for (int64_t i = 0; i < rows; ++i) {
    const float* xi = gx + i * 3 * hidden;
    const float* hi = gh + i * 3 * hidden;
    const float* pi = h_prev + i * hidden;
    float* out = h + i * hidden;
    float* g = gates + i * 4 * hidden;
    for (int64_t j = 0; j < hidden; ++j) {
      const float z = sigmoid(xi[j] + b_in[j] + (hi[j] + b_rec[j]));
      const float r = sigmoid(xi[hidden + j] + b_in[hidden + j] + (hi[hidden + j] + b_rec[hidden + j]));
      const float recurrent = hi[hh + j] + b_rec[hh + j];
      const float n = tanh_of(xi[hh + j] + b_in[hh + j] + r * recurrent);
      out[j] = z * pi[j] + (1.0F - z) * n;
      g[j] = z;
      g[hidden + j] = r;
      g[hh + j] = n;
      g[3 * hidden + j] = recurrent;
    }
  }
}

// Backward through one step of `rows` events. dh [rows, H] holds the gradient reaching h from later
// steps; dy that from outside. Writes the gradients of the gates' input parts dgx and recurrent
// parts dgh ([rows, 3H]; they differ in the candidate, where the recurrent part is scaled by r)
// and leaves in dh the part of h_prev's gradient that bypasses U (dh ⊙ z); the caller adds dgh·Uᵀ.
TRIGML_GATE_CLONES
void backward_gates(int64_t rows, int64_t hidden, const float* __restrict dy, const float* __restrict gates,
                    const float* __restrict h_prev, float* __restrict dh, float* __restrict dgx,
                    float* __restrict dgh) {
  const int64_t hh = 2 * hidden;
  for (int64_t i = 0; i < rows; ++i) {
    const float* g = gates + i * 4 * hidden;
    const float* pi = h_prev + i * hidden;
    const float* yi = dy + i * hidden;
    float* di = dh + i * hidden;
    float* gxi = dgx + i * 3 * hidden;
    float* ghi = dgh + i * 3 * hidden;
    for (int64_t j = 0; j < hidden; ++j) {
      const float z = g[j], r = g[hidden + j], n = g[hh + j], recurrent = g[3 * hidden + j];
      const float d = di[j] + yi[j];
      const float dn = d * (1.0F - z) * (1.0F - n * n);
      const float dz = d * (pi[j] - n) * z * (1.0F - z);
      const float dr = dn * recurrent * r * (1.0F - r);
      gxi[j] = dz;
      gxi[hidden + j] = dr;
      gxi[hh + j] = dn;
      ghi[j] = dz;
      ghi[hidden + j] = dr;
      ghi[hh + j] = dn * r;
      di[j] = d * z;
    }
  }
}

// Shapes and data of one call; every pointer is to a contiguous f32 tensor.
struct Problem {
  int64_t steps, events, inputs, hidden;
  const float* u;
  const float* b_in;
  const float* b_rec;
};

// Events are independent: a share of them runs through all steps without waiting for the others.
constexpr int64_t kMinEventsPerShare = 16;

// A share running on a thread of its own (inside at::parallel_for's OpenMP region) keeps oneDNN's
// GEMMs on that thread: libgomp here allows nested regions, and GEMMs that fork a team per step
// oversubscribe the cores (on 2 cores, 2 threads took 2.6 times as long as 1). The thread count is
// a setting of the region's task, so it ends with the region.
void gemms_on_this_thread() {
#ifdef _OPENMP
  if (omp_in_parallel() != 0) omp_set_num_threads(1);
#endif
}

// Forward of events [e0, e1) through all steps. projection [T, N, 3H] = x·W; writes states
// [T, N, H] and, if gates is not null, the gates [T, N, 4H].
void forward_share(const Problem& p, int64_t e0, int64_t e1, const float* projection, float* states,
                   float* gates) {
  gemms_on_this_thread();
  const int64_t rows = e1 - e0, g3 = 3 * p.hidden, n = p.events;
  std::vector<float> gh(static_cast<size_t>(rows * g3), 0.0F);
  const std::vector<float> zero_state(static_cast<size_t>(rows * p.hidden), 0.0F);
  std::vector<float> step_gates(gates == nullptr ? static_cast<size_t>(rows * 4 * p.hidden) : 0);
  for (int64_t t = 0; t < p.steps; ++t) {
    const float* h_prev = t == 0 ? zero_state.data() : states + ((t - 1) * n + e0) * p.hidden;
    if (t > 0) gemm('N', 'N', rows, g3, p.hidden, h_prev, p.hidden, p.u, g3, 0.0F, gh.data(), g3);
    float* step_gate_out = gates == nullptr ? step_gates.data() : gates + (t * n + e0) * 4 * p.hidden;
    forward_gates(rows, p.hidden, projection + (t * n + e0) * g3, gh.data(), p.b_in, p.b_rec, h_prev,
                  states + (t * n + e0) * p.hidden, step_gate_out);
  }
}

// Backward of events [e0, e1) through all steps, last to first: dy [T, N, H] the states' gradient.
void backward_share(const Problem& p, int64_t e0, int64_t e1, const float* dy, const float* states,
                    const float* gates, float* dgx, float* dgh) {
  gemms_on_this_thread();
  const int64_t rows = e1 - e0, g3 = 3 * p.hidden, n = p.events;
  std::vector<float> dh(static_cast<size_t>(rows * p.hidden), 0.0F);
  const std::vector<float> zero_state(static_cast<size_t>(rows * p.hidden), 0.0F);
  for (int64_t t = p.steps - 1; t >= 0; --t) {
    const int64_t at = t * n + e0;
    const float* h_prev = t == 0 ? zero_state.data() : states + (at - n) * p.hidden;
    backward_gates(rows, p.hidden, dy + at * p.hidden, gates + at * 4 * p.hidden, h_prev, dh.data(),
                   dgx + at * g3, dgh + at * g3);
    if (t > 0) gemm('N', 'T', rows, p.hidden, g3, dgh + at * g3, g3, p.u, g3, 1.0F, dh.data(), p.hidden);
  }
}

// All states [T, N, H] of x [T, N, C]; with `gates` defined-on-return, the gates kept for backward.
torch::Tensor run_forward(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                          const torch::Tensor& b_in, const torch::Tensor& b_rec, torch::Tensor* gates) {
  const Problem p{x.size(0),
                  x.size(1),
                  x.size(2),
                  u.size(0),
                  u.data_ptr<float>(),
                  b_in.data_ptr<float>(),
                  b_rec.data_ptr<float>()};
  const int64_t g3 = 3 * p.hidden;
  auto projection = buffers().projection.take({p.steps, p.events, g3});
  gemm('N', 'N', p.steps * p.events, g3, p.inputs, x.data_ptr<float>(), p.inputs, w.data_ptr<float>(), g3,
       0.0F, projection.data_ptr<float>(), g3);
  auto states = buffers().states.take({p.steps, p.events, p.hidden});
  float* gates_out = nullptr;
  if (gates != nullptr) {
    *gates = buffers().gates.take({p.steps, p.events, 4 * p.hidden});
    gates_out = gates->data_ptr<float>();
  }
  const float* proj = projection.data_ptr<float>();
  float* out = states.data_ptr<float>();
  at::parallel_for(0, p.events, kMinEventsPerShare,
                   [&](int64_t e0, int64_t e1) { forward_share(p, e0, e1, proj, out, gates_out); });
  return states;
}

class GruFunction : public torch::autograd::Function<GruFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& w_in, const torch::Tensor& u_in,
                               const torch::Tensor& b_in_in, const torch::Tensor& b_rec_in) {
    const auto x = x_in.contiguous(), w = w_in.contiguous(), u = u_in.contiguous();
    const auto b_in = b_in_in.contiguous(), b_rec = b_rec_in.contiguous();
    torch::Tensor gates;
    auto states = run_forward(x, w, u, b_in, b_rec, &gates);
    ctx->save_for_backward({x, w, u, states, gates});
    return states;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &u = saved[2], &states = saved[3], &gates = saved[4];
    const auto dy = grads[0].defined() ? grads[0].contiguous() : torch::zeros_like(states);
    const Problem p{x.size(0), x.size(1), x.size(2), u.size(0), u.data_ptr<float>(), nullptr, nullptr};
    const int64_t g3 = 3 * p.hidden, rows = p.steps * p.events;
    auto dgx = buffers().input_grad.take({rows, g3});
    auto dgh = buffers().recurrent_grad.take({rows, g3});
    {
      const float *dy_p = dy.data_ptr<float>(), *states_p = states.data_ptr<float>();
      const float* gates_p = gates.data_ptr<float>();
      float *dgx_p = dgx.data_ptr<float>(), *dgh_p = dgh.data_ptr<float>();
      at::parallel_for(0, p.events, kMinEventsPerShare, [&](int64_t e0, int64_t e1) {
        backward_share(p, e0, e1, dy_p, states_p, gates_p, dgx_p, dgh_p);
      });
    }
    // The weights' gradients as one GEMM each over all steps: dW = Σₜ xₜᵀ dgxₜ, dU = Σₜ hₜ₋₁ᵀ dghₜ
    // (h₋₁ = 0, so step 0 adds nothing to dU).
    auto dw = torch::empty_like(w);
    gemm('T', 'N', p.inputs, g3, rows, x.data_ptr<float>(), p.inputs, dgx.data_ptr<float>(), g3, 0.0F,
         dw.data_ptr<float>(), g3);
    auto du = torch::zeros_like(u);
    if (p.steps > 1)
      gemm('T', 'N', p.hidden, g3, rows - p.events, states.data_ptr<float>(), p.hidden,
           dgh.data_ptr<float>() + p.events * g3, g3, 0.0F, du.data_ptr<float>(), g3);
    torch::Tensor dx;
    if (ctx->needs_input_grad(0)) {
      dx = torch::empty_like(x);
      gemm('N', 'T', rows, p.inputs, g3, dgx.data_ptr<float>(), g3, w.data_ptr<float>(), g3, 0.0F,
           dx.data_ptr<float>(), p.inputs);
    }
    return {dx, dw, du, dgx.sum(0), dgh.sum(0)};
  }
};

}  // namespace

torch::Tensor gru(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                  const torch::Tensor& b_in, const torch::Tensor& b_rec) {
  TORCH_CHECK(x.dim() == 3 && x.scalar_type() == torch::kFloat, "gru: x must be f32 [T, N, C]");
  TORCH_CHECK(u.dim() == 2 && u.size(1) == 3 * u.size(0) && u.scalar_type() == torch::kFloat,
              "gru: u must be f32 [H, 3H]");
  TORCH_CHECK(
      w.dim() == 2 && w.size(0) == x.size(2) && w.size(1) == u.size(1) && w.scalar_type() == torch::kFloat,
      "gru: w must be f32 [C, 3H]");
  TORCH_CHECK(b_in.numel() == u.size(1) && b_rec.numel() == u.size(1) &&
                  b_in.scalar_type() == torch::kFloat && b_rec.scalar_type() == torch::kFloat,
              "gru: b_in and b_rec must be f32 [3H]");
  const bool wants_grad =
      torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || u.requires_grad() ||
                                        b_in.requires_grad() || b_rec.requires_grad());
  if (wants_grad) return GruFunction::apply(x, w, u, b_in, b_rec);
  return run_forward(x.contiguous(), w.contiguous(), u.contiguous(), b_in.contiguous(), b_rec.contiguous(),
                     nullptr);
}

}  // namespace trigml::model::detail

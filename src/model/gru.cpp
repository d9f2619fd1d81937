#include "model/gru.hpp"

#include <ATen/Parallel.h>
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <numeric>
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
  BufferPool packed_input;    // the particles by step [R, C], forward to backward
  BufferPool projection;      // x·W of all particles [R, 3H], forward only
  BufferPool states;          // [R, H]
  BufferPool gates;           // z, r, n and U_h h + c_h of every particle [R, 4H], forward to backward
  BufferPool input_grad;      // gradient of the gates' input parts [R, 3H]
  BufferPool recurrent_grad;  // gradient of the gates' recurrent parts [R, 3H]
  BufferPool previous;        // each step's previous states, lined up with its rows [R − N, H]
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

// Unit j of one event's step: the gates z, r, the candidate n and the candidate's recurrent part
// U_h h + c_h, from the step's gx = x·W and gh = h·U rows ([3H] each).
struct Unit {
  float z, r, n, recurrent;
};
inline Unit gate_unit(int64_t hidden, int64_t j, const float* __restrict xi, const float* __restrict hi,
                      const float* __restrict b_in, const float* __restrict b_rec) {
  const int64_t hh = 2 * hidden;
  const float z = sigmoid(xi[j] + b_in[j] + (hi[j] + b_rec[j]));
  const float r = sigmoid(xi[hidden + j] + b_in[hidden + j] + (hi[hidden + j] + b_rec[hidden + j]));
  const float recurrent = hi[hh + j] + b_rec[hh + j];
  return {z, r, tanh_of(xi[hh + j] + b_in[hh + j] + r * recurrent), recurrent};
}

// One step of `rows` events for training: gx = x·W and gh = h·U of the step ([rows, 3H] each),
// h_prev [rows, H]. Writes the new state h [rows, H] and, per event, (z, r, n, U_h h + c_h)
// [rows, 4H] for backward.
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
      const Unit u = gate_unit(hidden, j, xi, hi, b_in, b_rec);
      out[j] = u.z * pi[j] + (1.0F - u.z) * u.n;
      g[j] = u.z;
      g[hidden + j] = u.r;
      g[hh + j] = u.n;
      g[3 * hidden + j] = u.recurrent;
    }
  }
}

// The same step for inference: the new state h only.
TRIGML_GATE_CLONES
void infer_gates(int64_t rows, int64_t hidden, const float* __restrict gx, const float* __restrict gh,
                 const float* __restrict b_in, const float* __restrict b_rec, const float* __restrict h_prev,
                 float* __restrict h) {
  for (int64_t i = 0; i < rows; ++i) {
    const float* xi = gx + i * 3 * hidden;
    const float* hi = gh + i * 3 * hidden;
    const float* pi = h_prev + i * hidden;
    float* out = h + i * hidden;
    for (int64_t j = 0; j < hidden; ++j) {
      const Unit u = gate_unit(hidden, j, xi, hi, b_in, b_rec);
      out[j] = u.z * pi[j] + (1.0F - u.z) * u.n;
    }
  }
}

// Backward through one step of `rows` events. dh [rows, H] holds the gradient reaching h (from
// later steps, and from outside at an event's last step). Writes the gradients of the gates' input
// parts dgx and recurrent parts dgh ([rows, 3H]; they differ in the candidate, where the recurrent
// part is scaled by r) and leaves in dh the part of h_prev's gradient that bypasses U (dh ⊙ z);
// the caller adds dgh·Uᵀ. Adds the rows' dgx to db_in [3H] and their dgh's candidate part to
// db_rec_n [H] (the biases' gradients; dgh's z and r parts equal dgx's), while they are in cache.
TRIGML_GATE_CLONES
void backward_gates(int64_t rows, int64_t hidden, const float* __restrict gates,
                    const float* __restrict h_prev, float* __restrict dh, float* __restrict dgx,
                    float* __restrict dgh, double* __restrict db_in, double* __restrict db_rec_n) {
  const int64_t hh = 2 * hidden;
  for (int64_t i = 0; i < rows; ++i) {
    const float* g = gates + i * 4 * hidden;
    const float* pi = h_prev + i * hidden;
    float* di = dh + i * hidden;
    float* gxi = dgx + i * 3 * hidden;
    float* ghi = dgh + i * 3 * hidden;
    for (int64_t j = 0; j < hidden; ++j) {
      const float z = g[j], r = g[hidden + j], n = g[hh + j], recurrent = g[3 * hidden + j];
      const float d = di[j];
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
      db_in[j] += dz;
      db_in[hidden + j] += dr;
      db_in[hh + j] += dn;
      db_rec_n[j] += dn * r;
    }
  }
}

// The batch as a packed sequence: the events by decreasing length, and the rows of each step
// (those of the events that have it, in that order) contiguous.
struct Packing {
  std::vector<int64_t> order;   // order[k]: the batch index of the k-th longest event (ties keep batch order)
  std::vector<int64_t> length;  // length[k] of event order[k] (non-increasing)
  std::vector<int64_t> active;  // active[t]: events with a step t, the first active[t] of the order
  std::vector<int64_t> offset;  // offset[t]: the packed row of step t's first event; offset[T] = R
  std::vector<int64_t> first;   // first[e]: the row in `rows` of batch event e's first particle

  explicit Packing(const std::vector<int64_t>& lengths) {
    const auto n = static_cast<int64_t>(lengths.size());
    int64_t steps = 0, rows = 0;
    for (auto l : lengths) {
      TORCH_CHECK(l >= 1, "gru_last: every event needs at least one row");
      first.push_back(rows);
      rows += l;
      steps = std::max(steps, l);
    }
    order.resize(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return lengths[a] > lengths[b]; });
    for (auto e : order) length.push_back(lengths[e]);
    active.assign(static_cast<size_t>(steps), 0);
    for (int64_t k = n; k-- > 0;)  // the events that have step t are a prefix of the order
      for (int64_t t = k == n - 1 ? 0 : length[k + 1]; t < length[k]; ++t) active[t] = k + 1;
    offset.assign(static_cast<size_t>(steps) + 1, 0);
    for (int64_t t = 0; t < steps; ++t) offset[t + 1] = offset[t] + active[t];
  }
  int64_t events() const { return static_cast<int64_t>(order.size()); }
  int64_t steps() const { return static_cast<int64_t>(active.size()); }
  int64_t rows() const { return offset.back(); }
  // Packed row of the k-th event's step t (t < length[k]).
  int64_t row(int64_t t, int64_t k) const { return offset[t] + k; }
};

// Shapes and data of one call; every pointer is to a contiguous f32 tensor.
struct Problem {
  const Packing& packing;
  int64_t inputs, hidden;
  const float* u;
  const float* b_in;
  const float* b_rec;
};

// Events are independent: a share of them runs through all steps without waiting for the others.
constexpr int64_t kMinEventsPerShare = 16;

// Contiguous shares [bounds[i], bounds[i + 1]) of the order with about equal particle counts (the
// longest events come first, so equal event counts would give the first share most of the work).
std::vector<int64_t> share_bounds(const Packing& packing) {
  const int64_t n = packing.events();
  const int64_t shares =
      std::clamp<int64_t>(at::get_num_threads(), 1, std::max<int64_t>(n / kMinEventsPerShare, 1));
  std::vector<int64_t> bounds{0};
  int64_t done = 0, k = 0;
  for (int64_t s = 1; s < shares; ++s) {
    const int64_t target = packing.rows() * s / shares;
    while (k < n && done + packing.length[k] <= target) done += packing.length[k++];
    bounds.push_back(std::max(k, bounds.back()));
  }
  bounds.push_back(n);
  return bounds;
}

// Runs share(s, bounds[s], bounds[s + 1]) for every share s, each on a thread of its own when there
// are several.
template <class Share>
void for_each_share(const std::vector<int64_t>& bounds, const Share& share) {
  const auto shares = static_cast<int64_t>(bounds.size()) - 1;
  if (shares == 1) {
    share(0, bounds[0], bounds[1]);
    return;
  }
  at::parallel_for(0, shares, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) share(s, bounds[s], bounds[s + 1]);
  });
}

// A share running on a thread of its own (inside at::parallel_for's OpenMP region) keeps oneDNN's
// GEMMs on that thread: libgomp here allows nested regions, and GEMMs that fork a team per step
// oversubscribe the cores (on 2 cores, 2 threads took 2.6 times as long as 1). The thread count is
// a setting of the region's task, so it ends with the region.
void gemms_on_this_thread() {
#ifdef _OPENMP
  if (omp_in_parallel() != 0) omp_set_num_threads(1);
#endif
}

// Events of the share that have step t: those of [k0, k1) before the step's end of the order.
int64_t active_in_share(const Packing& packing, int64_t t, int64_t k0, int64_t k1) {
  return std::max<int64_t>(std::min(k1, packing.active[t]) - k0, 0);
}

// Forward of events [k0, k1) of the order through their steps, for training. projection [R, 3H] =
// x·W; writes the states [R, H] and the gates [R, 4H] that backward reads.
void forward_share(const Problem& p, int64_t k0, int64_t k1, const float* projection, float* states,
                   float* gates) {
  gemms_on_this_thread();
  const Packing& packing = p.packing;
  const int64_t g3 = 3 * p.hidden;
  std::vector<float> gh(static_cast<size_t>((k1 - k0) * g3), 0.0F);
  const std::vector<float> zero_state(static_cast<size_t>((k1 - k0) * p.hidden), 0.0F);
  for (int64_t t = 0; t < packing.steps(); ++t) {
    const int64_t rows = active_in_share(packing, t, k0, k1);
    if (rows == 0) break;
    const int64_t at = packing.row(t, k0);
    // The same events' previous rows: a step's events are a prefix of the previous step's.
    const float* h_prev = t == 0 ? zero_state.data() : states + packing.row(t - 1, k0) * p.hidden;
    if (t > 0) gemm('N', 'N', rows, g3, p.hidden, h_prev, p.hidden, p.u, g3, 0.0F, gh.data(), g3);
    forward_gates(rows, p.hidden, projection + at * g3, gh.data(), p.b_in, p.b_rec, h_prev,
                  states + at * p.hidden, gates + at * 4 * p.hidden);
  }
}

// Forward of events [k0, k1) of the order for inference, where nothing is kept for backward: a
// step's projection x·W and states live in buffers of the share's size, which stay in cache,
// instead of [R, ·] arrays that go through memory (23 MB of projection alone for 128 events of 300
// particles). Each event's state is copied to last [N, H] (batch order) at its last step.
void infer_share(const Problem& p, const float* x, const float* w, int64_t k0, int64_t k1, float* last) {
  gemms_on_this_thread();
  const Packing& packing = p.packing;
  const int64_t g3 = 3 * p.hidden, events = k1 - k0;
  std::vector<float> gx(static_cast<size_t>(events * g3)), gh(static_cast<size_t>(events * g3), 0.0F);
  std::vector<float> h_prev(static_cast<size_t>(events * p.hidden), 0.0F), h(h_prev.size());
  for (int64_t t = 0; t < packing.steps(); ++t) {
    const int64_t rows = active_in_share(packing, t, k0, k1);
    if (rows == 0) break;
    gemm('N', 'N', rows, g3, p.inputs, x + packing.row(t, k0) * p.inputs, p.inputs, w, g3, 0.0F, gx.data(),
         g3);
    if (t > 0) gemm('N', 'N', rows, g3, p.hidden, h_prev.data(), p.hidden, p.u, g3, 0.0F, gh.data(), g3);
    infer_gates(rows, p.hidden, gx.data(), gh.data(), p.b_in, p.b_rec, h_prev.data(), h.data());
    // The events whose last step this is end the step's prefix of the order.
    const int64_t continuing = t + 1 < packing.steps() ? packing.active[t + 1] : 0;
    for (int64_t k = std::max(k0, continuing); k < k0 + rows; ++k)
      std::memcpy(last + packing.order[k] * p.hidden, h.data() + (k - k0) * p.hidden,
                  static_cast<size_t>(p.hidden) * sizeof(float));
    std::swap(h, h_prev);
  }
}

// Backward of events [k0, k1) of the order through their steps, last to first: d_last [N, H] the
// gradient of each event's last state (in batch order), entering at that event's last step.
// bias [4H]: the share's sums of dgx [3H] and of dgh's candidate part [H].
void backward_share(const Problem& p, int64_t k0, int64_t k1, const float* d_last, const float* states,
                    const float* gates, float* dgx, float* dgh, double* bias) {
  gemms_on_this_thread();
  const Packing& packing = p.packing;
  const int64_t g3 = 3 * p.hidden;
  std::vector<float> dh(static_cast<size_t>((k1 - k0) * p.hidden), 0.0F);
  const std::vector<float> zero_state(static_cast<size_t>((k1 - k0) * p.hidden), 0.0F);
  int64_t running = 0;  // events of the share whose last step has been reached, going backwards
  for (int64_t t = packing.steps() - 1; t >= 0; --t) {
    const int64_t rows = active_in_share(packing, t, k0, k1);
    if (rows == 0) continue;
    for (; running < rows; ++running)  // step t is the last one of these events
      std::memcpy(dh.data() + running * p.hidden, d_last + packing.order[k0 + running] * p.hidden,
                  static_cast<size_t>(p.hidden) * sizeof(float));
    const int64_t at = packing.row(t, k0);
    const float* h_prev = t == 0 ? zero_state.data() : states + packing.row(t - 1, k0) * p.hidden;
    backward_gates(rows, p.hidden, gates + at * 4 * p.hidden, h_prev, dh.data(), dgx + at * g3, dgh + at * g3,
                   bias, bias + g3);
    if (t > 0) gemm('N', 'T', rows, p.hidden, g3, dgh + at * g3, g3, p.u, g3, 1.0F, dh.data(), p.hidden);
  }
}

// Copies rows of c floats between the input's order (event after event) and the packed order, in
// the direction `to`.
enum class RowOrder { Packed, EventAfterEvent };
void reorder_rows(const Packing& packing, int64_t c, const float* src, float* dst, RowOrder to) {
  const auto bytes = static_cast<size_t>(c) * sizeof(float);
  for (int64_t k = 0; k < packing.events(); ++k) {
    const int64_t first = packing.first[packing.order[k]];
    for (int64_t t = 0; t < packing.length[k]; ++t) {
      const int64_t event_row = first + t, packed_row = packing.row(t, k);
      if (to == RowOrder::Packed)
        std::memcpy(dst + packed_row * c, src + event_row * c, bytes);
      else
        std::memcpy(dst + event_row * c, src + packed_row * c, bytes);
    }
  }
}

// The rows [R, C] (event after event) in packed order, into a pooled buffer.
torch::Tensor pack_rows(const torch::Tensor& rows, const Packing& packing) {
  const int64_t c = rows.size(1);
  auto x = buffers().packed_input.take({packing.rows(), c});
  reorder_rows(packing, c, rows.data_ptr<float>(), x.data_ptr<float>(), RowOrder::Packed);
  return x;
}

// Forward over the packed input x [R, C] for training: the states [R, H] and the gates [R, 4H].
torch::Tensor run_forward(const Packing& packing, const torch::Tensor& x, const torch::Tensor& w,
                          const torch::Tensor& u, const torch::Tensor& b_in, const torch::Tensor& b_rec,
                          torch::Tensor& gates) {
  const Problem p{
      packing, x.size(1), u.size(0), u.data_ptr<float>(), b_in.data_ptr<float>(), b_rec.data_ptr<float>()};
  const int64_t g3 = 3 * p.hidden, rows = packing.rows();
  auto projection = buffers().projection.take({rows, g3});
  gemm('N', 'N', rows, g3, p.inputs, x.data_ptr<float>(), p.inputs, w.data_ptr<float>(), g3, 0.0F,
       projection.data_ptr<float>(), g3);
  auto states = buffers().states.take({rows, p.hidden});
  gates = buffers().gates.take({rows, 4 * p.hidden});
  const float* proj = projection.data_ptr<float>();
  float *out = states.data_ptr<float>(), *gates_out = gates.data_ptr<float>();
  for_each_share(share_bounds(packing),
                 [&](int64_t, int64_t k0, int64_t k1) { forward_share(p, k0, k1, proj, out, gates_out); });
  return states;
}

// Each event's last state [N, H] (batch order) for inference, from the packed input x [R, C].
torch::Tensor infer_last(const Packing& packing, const torch::Tensor& x, const torch::Tensor& w,
                         const torch::Tensor& u, const torch::Tensor& b_in, const torch::Tensor& b_rec) {
  const Problem p{
      packing, x.size(1), u.size(0), u.data_ptr<float>(), b_in.data_ptr<float>(), b_rec.data_ptr<float>()};
  auto last = torch::empty({packing.events(), p.hidden});
  const float *x_p = x.data_ptr<float>(), *w_p = w.data_ptr<float>();
  float* last_p = last.data_ptr<float>();
  for_each_share(share_bounds(packing),
                 [&](int64_t, int64_t k0, int64_t k1) { infer_share(p, x_p, w_p, k0, k1, last_p); });
  return last;
}

// Each event's last state [N, H] in batch order from the packed states [R, H].
torch::Tensor last_states(const torch::Tensor& states, const Packing& packing) {
  const int64_t h = states.size(1);
  auto out = torch::empty({packing.events(), h}, states.options());
  const float* src = states.data_ptr<float>();
  float* dst = out.data_ptr<float>();
  for (int64_t k = 0; k < packing.events(); ++k)
    std::memcpy(dst + packing.order[k] * h, src + packing.row(packing.length[k] - 1, k) * h,
                static_cast<size_t>(h) * sizeof(float));
  return out;
}

class GruLastFunction : public torch::autograd::Function<GruLastFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& rows_in,
                               const std::vector<int64_t>& lengths, const torch::Tensor& w_in,
                               const torch::Tensor& u_in, const torch::Tensor& b_in_in,
                               const torch::Tensor& b_rec_in) {
    const auto rows = rows_in.contiguous(), w = w_in.contiguous(), u = u_in.contiguous();
    const auto b_in = b_in_in.contiguous(), b_rec = b_rec_in.contiguous();
    const Packing packing(lengths);
    const auto x = pack_rows(rows, packing);
    torch::Tensor gates;
    const auto states = run_forward(packing, x, w, u, b_in, b_rec, gates);
    ctx->save_for_backward({x, w, u, states, gates});
    ctx->saved_data["lengths"] = lengths;
    return last_states(states, packing);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &u = saved[2], &states = saved[3], &gates = saved[4];
    const Packing packing(ctx->saved_data["lengths"].toIntVector());
    const int64_t n = packing.events(), rows = packing.rows(), hidden = u.size(0), g3 = 3 * hidden;
    const auto d_last = grads[0].defined() ? grads[0].contiguous() : torch::zeros({n, hidden});
    const Problem p{packing, x.size(1), hidden, u.data_ptr<float>(), nullptr, nullptr};
    auto dgx = buffers().input_grad.take({rows, g3});
    auto dgh = buffers().recurrent_grad.take({rows, g3});
    // Each share sums its own bias gradients (in double, over up to R rows); the shares' sums are
    // added in share order, so the result does not depend on which thread finished first.
    const auto bounds = share_bounds(packing);
    const auto shares = static_cast<int64_t>(bounds.size()) - 1;
    const int64_t g4 = 4 * hidden;
    std::vector<double> bias_sums(static_cast<size_t>(shares * g4), 0.0);
    {
      const float *d_last_p = d_last.data_ptr<float>(), *states_p = states.data_ptr<float>();
      const float* gates_p = gates.data_ptr<float>();
      float *dgx_p = dgx.data_ptr<float>(), *dgh_p = dgh.data_ptr<float>();
      for_each_share(bounds, [&](int64_t s, int64_t k0, int64_t k1) {
        backward_share(p, k0, k1, d_last_p, states_p, gates_p, dgx_p, dgh_p, bias_sums.data() + s * g4);
      });
    }
    // The weights' gradients as one GEMM each over all particles: dW = Σ xᵀ dgx, and
    // dU = Σₜ hₜ₋₁ᵀ dghₜ over the steps t ≥ 1 (h₋₁ = 0), whose rows start at offset[1] = N; their
    // previous states are gathered into rows that line up with them.
    auto dw = torch::empty_like(w);
    gemm('T', 'N', p.inputs, g3, rows, x.data_ptr<float>(), p.inputs, dgx.data_ptr<float>(), g3, 0.0F,
         dw.data_ptr<float>(), g3);
    auto du = torch::zeros_like(u);
    if (rows > n) {
      auto previous = buffers().previous.take({rows - n, hidden});
      const float* src = states.data_ptr<float>();
      float* dst = previous.data_ptr<float>();
      for (int64_t t = 1; t < packing.steps(); ++t)
        std::memcpy(dst + (packing.offset[t] - n) * hidden, src + packing.offset[t - 1] * hidden,
                    static_cast<size_t>(packing.active[t] * hidden) * sizeof(float));
      gemm('T', 'N', hidden, g3, rows - n, dst, hidden, dgh.data_ptr<float>() + n * g3, g3, 0.0F,
           du.data_ptr<float>(), g3);
    }
    torch::Tensor d_rows;
    if (ctx->needs_input_grad(0)) {
      auto dx = torch::empty_like(x);
      gemm('N', 'T', rows, p.inputs, g3, dgx.data_ptr<float>(), g3, w.data_ptr<float>(), g3, 0.0F,
           dx.data_ptr<float>(), p.inputs);
      d_rows = torch::empty_like(x);
      reorder_rows(packing, p.inputs, dx.data_ptr<float>(), d_rows.data_ptr<float>(),
                   RowOrder::EventAfterEvent);
    }
    auto db_in = torch::empty({g3}), db_rec = torch::empty({g3});
    float *db_in_p = db_in.data_ptr<float>(), *db_rec_p = db_rec.data_ptr<float>();
    for (int64_t k = 0; k < g3; ++k) {
      double in = 0, rec_n = 0;
      for (int64_t s = 0; s < shares; ++s) {
        in += bias_sums[static_cast<size_t>(s * g4 + k)];
        if (k >= 2 * hidden) rec_n += bias_sums[static_cast<size_t>(s * g4 + hidden + k)];
      }
      db_in_p[k] = static_cast<float>(in);
      db_rec_p[k] = static_cast<float>(k >= 2 * hidden ? rec_n : in);
    }
    return {d_rows, torch::Tensor(), dw, du, db_in, db_rec};
  }
};

}  // namespace

torch::Tensor gru_last(const torch::Tensor& rows, const std::vector<int64_t>& lengths, const torch::Tensor& w,
                       const torch::Tensor& u, const torch::Tensor& b_in, const torch::Tensor& b_rec) {
  TORCH_CHECK(rows.dim() == 2 && rows.scalar_type() == torch::kFloat, "gru_last: rows must be f32 [R, C]");
  TORCH_CHECK(u.dim() == 2 && u.size(1) == 3 * u.size(0) && u.scalar_type() == torch::kFloat,
              "gru_last: u must be f32 [H, 3H]");
  TORCH_CHECK(
      w.dim() == 2 && w.size(0) == rows.size(1) && w.size(1) == u.size(1) && w.scalar_type() == torch::kFloat,
      "gru_last: w must be f32 [C, 3H]");
  TORCH_CHECK(b_in.numel() == u.size(1) && b_rec.numel() == u.size(1) &&
                  b_in.scalar_type() == torch::kFloat && b_rec.scalar_type() == torch::kFloat,
              "gru_last: b_in and b_rec must be f32 [3H]");
  int64_t total = 0;
  for (auto l : lengths) total += l;
  TORCH_CHECK(rows.size(0) == total, "gru_last: lengths do not sum to the rows");
  if (lengths.empty()) return torch::zeros({0, u.size(0)});
  const bool wants_grad =
      torch::GradMode::is_enabled() && (rows.requires_grad() || w.requires_grad() || u.requires_grad() ||
                                        b_in.requires_grad() || b_rec.requires_grad());
  if (wants_grad) return GruLastFunction::apply(rows, lengths, w, u, b_in, b_rec);
  const Packing packing(lengths);
  const auto x = pack_rows(rows.contiguous(), packing);
  return infer_last(packing, x, w.contiguous(), u.contiguous(), b_in.contiguous(), b_rec.contiguous());
}

}  // namespace trigml::model::detail

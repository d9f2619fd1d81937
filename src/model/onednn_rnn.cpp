#include "model/onednn_rnn.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <unordered_map>

#include "model/buffer_pool.hpp"

namespace trigml::model::detail {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

struct Buffers {
  BufferPool time_major;  // padded [T, N, C] input
  BufferPool states;      // [T, N, H] output
  BufferPool workspace;   // forward-training to backward
  BufferPool scratchpad;  // oneDNN's temporary memory during one execution
  BufferPool input_grad;  // [T, N, C]
  BufferPool state_grad;  // [T, N, H], zero but at each event's last step
};

Buffers& buffers() {
  thread_local Buffers b;
  return b;
}

// A pooled buffer of `pool` large enough for oneDNN memory `md` (a workspace or a scratchpad); the
// caller keeps it alive while oneDNN uses it.
torch::Tensor take_for(BufferPool& pool, const memory::desc& md) {
  const auto bytes = static_cast<int64_t>(md.get_size());
  return pool.take({(bytes + 3) / 4});
}

// oneDNN's LSTM: gates (i, f, c̃, o) = Keras (i, f, c, o); bias [4, H]. Its initial state and cell
// are passed as explicit zero tensors: with them left out (zero-md), oneDNN 2.6's LSTM backward
// returns a wrong recurrent-weight gradient (tests/model/recurrent_test.cpp catches it).
struct Traits {
  using Fwd = dnnl::lstm_forward;
  using Bwd = dnnl::lstm_backward;
  static constexpr int64_t gates = 4;
  static memory::desc state(const memory::desc& dst) {
    const auto d = dst.dims();  // [T, N, H]
    return memory::desc({1, 1, d[1], d[2]}, dt::f32, tag::ldnc);
  }
  static Fwd::desc fwd_desc(dnnl::prop_kind prop, const memory::desc& src, const memory::desc& wl,
                            const memory::desc& wi, const memory::desc& b, const memory::desc& dst) {
    const memory::desc none;
    const auto st = state(dst);
    return {prop, dnnl::rnn_direction::unidirectional_left2right, src, st, st, wl, wi, b, dst, none, none};
  }
  static Bwd::desc bwd_desc(const memory::desc& src, const memory::desc& wl, const memory::desc& wi,
                            const memory::desc& b, const memory::desc& dst) {
    const memory::desc none;
    const auto st = state(dst);
    return {dnnl::prop_kind::backward,
            dnnl::rnn_direction::unidirectional_left2right,
            src,
            st,
            st,
            wl,
            wi,
            b,
            dst,
            none,
            none,
            src,
            st,
            st,
            wl,
            wi,
            b,
            dst,
            none,
            none};
  }
};

// The primitives of one (T, N, C, H) shape: forward-training and backward for autograd, forward
// inference (no workspace) when no gradient is needed. Scratchpads are ours (BufferPool).
struct Primitives {
  Traits::Fwd::primitive_desc fwd_pd;
  Traits::Fwd fwd;
  Traits::Bwd::primitive_desc bwd_pd;
  Traits::Bwd bwd;
  Traits::Fwd::primitive_desc infer_pd;
  Traits::Fwd infer;
};

using Shape = std::tuple<int64_t, int64_t, int64_t, int64_t>;

const Primitives& primitives(int64_t t, int64_t n, int64_t c, int64_t h) {
  thread_local std::map<Shape, Primitives> cache;
  const Shape key{t, n, c, h};
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  constexpr int64_t g = Traits::gates;
  const memory::desc src_layer({t, n, c}, dt::f32, tag::tnc);
  const memory::desc dst_layer({t, n, h}, dt::f32, tag::tnc);
  const memory::desc w_layer_any({1, 1, c, g, h}, dt::f32, tag::any);
  const memory::desc w_iter_any({1, 1, h, g, h}, dt::f32, tag::any);
  const memory::desc bias({1, 1, 4, h}, dt::f32, tag::ldgo);
  auto& eng = cpu_engine();
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  using FwdPd = Traits::Fwd::primitive_desc;
  using BwdPd = Traits::Bwd::primitive_desc;
  Primitives p;
  p.fwd_pd = FwdPd(Traits::fwd_desc(dnnl::prop_kind::forward_training, src_layer, w_layer_any, w_iter_any,
                                    bias, dst_layer),
                   attr, eng);
  p.fwd = Traits::Fwd(p.fwd_pd);
  p.bwd_pd =
      BwdPd(Traits::bwd_desc(src_layer, w_layer_any, w_iter_any, bias, dst_layer), attr, eng, p.fwd_pd);
  p.bwd = Traits::Bwd(p.bwd_pd);
  p.infer_pd = FwdPd(Traits::fwd_desc(dnnl::prop_kind::forward_inference, src_layer, w_layer_any, w_iter_any,
                                      bias, dst_layer),
                     attr, eng);
  p.infer = Traits::Fwd(p.infer_pd);
  return cache.emplace(key, std::move(p)).first->second;
}

memory wrap(const memory::desc& md, const torch::Tensor& t) {
  return memory(md, cpu_engine(), t.data_ptr());
}

// `user` (plain layout) in the layout `want`, reordering only if they differ.
memory as_layout(memory user, const memory::desc& want, dnnl::stream& s) {
  if (user.get_desc() == want) return user;
  memory out(want, cpu_engine());
  dnnl::reorder(user, out).execute(s, user, out);
  return out;
}

// Keras's weights [C, G·H] and recurrent weights [H, G·H] as oneDNN's plain ldigo.
std::pair<memory, memory> user_weights(const torch::Tensor& w, const torch::Tensor& u) {
  constexpr int64_t g = Traits::gates;
  const int64_t c = w.size(0), h = u.size(0);
  return {wrap(memory::desc({1, 1, c, g, h}, dt::f32, tag::ldigo), w),
          wrap(memory::desc({1, 1, h, g, h}, dt::f32, tag::ldigo), u)};
}

// Runs the forward primitive `prim` (training or inference) of x [T, N, C] into a pooled
// [T, N, H]; `workspace` is the training workspace or undefined.
torch::Tensor run_forward(const Traits::Fwd::primitive_desc& pd, const Traits::Fwd& prim,
                          const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                          const torch::Tensor& b, const torch::Tensor& workspace) {
  const int64_t t = x.size(0), n = x.size(1), h = u.size(0);
  dnnl::stream s(cpu_engine());
  auto dst = buffers().states.take({t, n, h});
  const auto [w_user, u_user] = user_weights(w, u);
  const auto scratchpad = take_for(buffers().scratchpad, pd.scratchpad_desc());
  std::unordered_map<int, memory> args{
      {DNNL_ARG_SRC_LAYER, wrap(pd.src_layer_desc(), x)},
      {DNNL_ARG_WEIGHTS_LAYER, as_layout(w_user, pd.weights_layer_desc(), s)},
      {DNNL_ARG_WEIGHTS_ITER, as_layout(u_user, pd.weights_iter_desc(), s)},
      {DNNL_ARG_BIAS, wrap(pd.bias_desc(), b)},
      {DNNL_ARG_DST_LAYER, wrap(pd.dst_layer_desc(), dst)},
      {DNNL_ARG_SCRATCHPAD, wrap(pd.scratchpad_desc(), scratchpad)}};
  if (workspace.defined()) args[DNNL_ARG_WORKSPACE] = wrap(pd.workspace_desc(), workspace);
  const auto zero_state = torch::zeros({n, h}, x.options());
  args[DNNL_ARG_SRC_ITER] = wrap(pd.src_iter_desc(), zero_state);
  args[DNNL_ARG_SRC_ITER_C] = wrap(pd.src_iter_c_desc(), zero_state);
  prim.execute(s, args);
  s.wait();
  return dst;
}

class LstmFunction : public torch::autograd::Function<LstmFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& w_in, const torch::Tensor& u_in,
                               const torch::Tensor& b_in) {
    const auto x = x_in.contiguous(), w = w_in.contiguous(), u = u_in.contiguous(), b = b_in.contiguous();
    const auto& p = primitives(x.size(0), x.size(1), x.size(2), u.size(0));
    const auto ws = take_for(buffers().workspace, p.fwd_pd.workspace_desc());
    auto dst = run_forward(p.fwd_pd, p.fwd, x, w, u, b, ws);
    ctx->save_for_backward({x, w, u, b, dst, ws});
    return dst;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &u = saved[2], &b = saved[3], &dst = saved[4], &ws = saved[5];
    const auto diff_dst = grads[0].defined() ? grads[0].contiguous() : torch::zeros_like(dst);
    const int64_t t = x.size(0), n = x.size(1), c = x.size(2), h = u.size(0);
    const auto& p = primitives(t, n, c, h);
    const auto& pd = p.bwd_pd;
    dnnl::stream s(cpu_engine());
    const auto [w_user, u_user] = user_weights(w, u);
    const auto scratchpad = take_for(buffers().scratchpad, pd.scratchpad_desc());
    auto dx = buffers().input_grad.take({t, n, c});
    auto db = torch::zeros_like(b);  // oneDNN accumulates into the weight and bias gradients
    memory dw_mem(pd.diff_weights_layer_desc(), cpu_engine());
    memory du_mem(pd.diff_weights_iter_desc(), cpu_engine());
    std::memset(dw_mem.get_data_handle(), 0, dw_mem.get_desc().get_size());
    std::memset(du_mem.get_data_handle(), 0, du_mem.get_desc().get_size());
    std::unordered_map<int, memory> args{
        {DNNL_ARG_SRC_LAYER, wrap(pd.src_layer_desc(), x)},
        {DNNL_ARG_WEIGHTS_LAYER, as_layout(w_user, pd.weights_layer_desc(), s)},
        {DNNL_ARG_WEIGHTS_ITER, as_layout(u_user, pd.weights_iter_desc(), s)},
        {DNNL_ARG_BIAS, wrap(pd.bias_desc(), b)},
        {DNNL_ARG_DST_LAYER, wrap(pd.dst_layer_desc(), dst)},
        {DNNL_ARG_DIFF_SRC_LAYER, wrap(pd.diff_src_layer_desc(), dx)},
        {DNNL_ARG_DIFF_WEIGHTS_LAYER, dw_mem},
        {DNNL_ARG_DIFF_WEIGHTS_ITER, du_mem},
        {DNNL_ARG_DIFF_BIAS, wrap(pd.diff_bias_desc(), db)},
        {DNNL_ARG_DIFF_DST_LAYER, wrap(pd.diff_dst_layer_desc(), diff_dst)},
        {DNNL_ARG_WORKSPACE, wrap(pd.workspace_desc(), ws)},
        {DNNL_ARG_SCRATCHPAD, wrap(pd.scratchpad_desc(), scratchpad)}};
    const auto zero_state = torch::zeros({n, h}, x.options());
    const auto state_grads = torch::empty({2, n, h}, x.options());  // discarded: the initial state is fixed
    args[DNNL_ARG_SRC_ITER] = wrap(pd.src_iter_desc(), zero_state);
    args[DNNL_ARG_SRC_ITER_C] = wrap(pd.src_iter_c_desc(), zero_state);
    args[DNNL_ARG_DIFF_SRC_ITER] = wrap(pd.diff_src_iter_desc(), state_grads[0]);
    args[DNNL_ARG_DIFF_SRC_ITER_C] = wrap(pd.diff_src_iter_c_desc(), state_grads[1]);
    p.bwd.execute(s, args);
    auto dw = torch::empty_like(w);
    auto du = torch::empty_like(u);
    auto [dw_user, du_user] = user_weights(dw, du);
    dnnl::reorder(dw_mem, dw_user).execute(s, dw_mem, dw_user);
    dnnl::reorder(du_mem, du_user).execute(s, du_mem, du_user);
    s.wait();
    // dx lives in a pooled buffer: handed on only when the input wants its gradient.
    return {ctx->needs_input_grad(0) ? dx : torch::Tensor(), dw, du, db};
  }
};

// Training primitives inside autograd when a gradient is wanted, forward inference otherwise.
torch::Tensor run(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                  const torch::Tensor& bias) {
  const bool wants_grad = torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() ||
                                                            u.requires_grad() || bias.requires_grad());
  if (wants_grad) return LstmFunction::apply(x, w, u, bias);
  const auto xc = x.contiguous(), wc = w.contiguous(), uc = u.contiguous(), bc = bias.contiguous();
  const auto& p = primitives(xc.size(0), xc.size(1), xc.size(2), uc.size(0));
  return run_forward(p.infer_pd, p.infer, xc, wc, uc, bc, torch::Tensor());
}

}  // namespace

torch::Tensor lstm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                   const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() == 3 && x.scalar_type() == torch::kFloat, "lstm: x must be f32 [T, N, C]");
  TORCH_CHECK(u.dim() == 2 && u.size(1) == 4 * u.size(0), "lstm: u must be [H, 4H]");
  TORCH_CHECK(w.dim() == 2 && w.size(0) == x.size(2) && w.size(1) == u.size(1), "lstm: w must be [C, 4H]");
  TORCH_CHECK(bias.numel() == 4 * u.size(0), "lstm: bias must be [4H]");
  return run(x, w, u, bias);
}

namespace {

// Rows [R, C] (event after event) into a pooled zero-padded [T, N, C]; backward gathers the rows'
// gradient back.
class TimeMajorFunction : public torch::autograd::Function<TimeMajorFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& rows_in,
                               const std::vector<int64_t>& lengths, int64_t steps) {
    const auto rows = rows_in.contiguous();
    const int64_t n = static_cast<int64_t>(lengths.size()), c = rows.size(1);
    auto x = buffers().time_major.take({steps, n, c});
    const float* src = rows.data_ptr<float>();
    float* dst = x.data_ptr<float>();
    for (int64_t e = 0; e < n; ++e) {
      for (int64_t s = 0; s < steps; ++s) {
        float* out = dst + (s * n + e) * c;
        if (s < lengths[e]) {
          std::memcpy(out, src, static_cast<size_t>(c) * sizeof(float));
          src += c;
        } else {
          // Zeros, not garbage: padded steps are computed, and a NaN there would turn into NaN
          // gradients (0 · NaN) that flow back into the real steps.
          std::memset(out, 0, static_cast<size_t>(c) * sizeof(float));
        }
      }
    }
    ctx->saved_data["lengths"] = lengths;
    return x;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto lengths = ctx->saved_data["lengths"].toIntVector();
    const auto grad = grads[0].contiguous();
    const int64_t n = grad.size(1), c = grad.size(2);
    int64_t total = 0;
    for (auto l : lengths) total += l;
    auto rows_grad = torch::empty({total, c}, grad.options());
    const float* src = grad.data_ptr<float>();
    float* dst = rows_grad.data_ptr<float>();
    for (int64_t e = 0; e < n; ++e) {
      for (int64_t s = 0; s < lengths[e]; ++s, dst += c)
        std::memcpy(dst, src + (s * n + e) * c, static_cast<size_t>(c) * sizeof(float));
    }
    return {rows_grad, torch::Tensor(), torch::Tensor()};
  }
};

// seq [T, N, H] -> [N, H] at each event's last step; backward writes the gradient there into a
// pooled zero [T, N, H].
class LastStepFunction : public torch::autograd::Function<LastStepFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& seq_in,
                               const std::vector<int64_t>& lengths) {
    const auto seq = seq_in.contiguous();
    const int64_t t = seq.size(0), n = seq.size(1), h = seq.size(2);
    auto out = torch::empty({n, h}, seq.options());
    const float* src = seq.data_ptr<float>();
    float* dst = out.data_ptr<float>();
    for (int64_t e = 0; e < n; ++e)
      std::memcpy(dst + e * h, src + ((lengths[e] - 1) * n + e) * h, static_cast<size_t>(h) * sizeof(float));
    ctx->saved_data["lengths"] = lengths;
    ctx->saved_data["steps"] = t;
    return out;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto lengths = ctx->saved_data["lengths"].toIntVector();
    const int64_t t = ctx->saved_data["steps"].toInt();
    const auto grad = grads[0].contiguous();
    const int64_t n = grad.size(0), h = grad.size(1);
    auto seq_grad = buffers().state_grad.take({t, n, h});
    seq_grad.zero_();
    const float* src = grad.data_ptr<float>();
    float* dst = seq_grad.data_ptr<float>();
    for (int64_t e = 0; e < n; ++e)
      std::memcpy(dst + ((lengths[e] - 1) * n + e) * h, src + e * h, static_cast<size_t>(h) * sizeof(float));
    return {seq_grad, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor to_time_major(const torch::Tensor& rows, const std::vector<int64_t>& lengths) {
  TORCH_CHECK(rows.dim() == 2 && rows.scalar_type() == torch::kFloat,
              "to_time_major: rows must be f32 [R, C]");
  int64_t longest = 0, total = 0;
  for (auto l : lengths) {
    TORCH_CHECK(l >= 1, "to_time_major: every event needs at least one row");
    longest = std::max(longest, l);
    total += l;
  }
  TORCH_CHECK(rows.size(0) == total, "to_time_major: lengths do not sum to the rows");
  const int64_t steps = (longest + kStepMultiple - 1) / kStepMultiple * kStepMultiple;
  return TimeMajorFunction::apply(rows, lengths, steps);
}

torch::Tensor last_step(const torch::Tensor& seq, const std::vector<int64_t>& lengths) {
  TORCH_CHECK(seq.dim() == 3 && seq.scalar_type() == torch::kFloat &&
                  seq.size(1) == static_cast<int64_t>(lengths.size()),
              "last_step: seq must be f32 [T, N, H] with N lengths");
  for (auto l : lengths) TORCH_CHECK(l >= 1 && l <= seq.size(0), "last_step: a length is outside 1 … T");
  return LastStepFunction::apply(seq, lengths);
}

}  // namespace trigml::model::detail

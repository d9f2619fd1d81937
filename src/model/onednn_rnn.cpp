#include "model/onednn_rnn.hpp"

#include <oneapi/dnnl/dnnl.hpp>

#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>

namespace trigml::model::detail {
namespace {

enum class Cell { LbrGru, Lstm };

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

template <Cell K>
struct Traits;

// oneDNN's LBR GRU: gates (u, r, o) = Keras (z, r, h); bias [4, H].
template <>
struct Traits<Cell::LbrGru> {
  using Fwd = dnnl::lbr_gru_forward;
  using Bwd = dnnl::lbr_gru_backward;
  static constexpr int64_t gates = 3;
  static Fwd::desc fwd_desc(const memory::desc& src, const memory::desc& wl,
                            const memory::desc& wi, const memory::desc& b,
                            const memory::desc& dst) {
    const memory::desc none;  // zero initial state, final state not needed
    return {dnnl::prop_kind::forward_training, dnnl::rnn_direction::unidirectional_left2right,
            src, none, wl, wi, b, dst, none};
  }
  static Bwd::desc bwd_desc(const memory::desc& src, const memory::desc& wl,
                            const memory::desc& wi, const memory::desc& b,
                            const memory::desc& dst) {
    const memory::desc none;
    return {dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right,
            src, none, wl, wi, b, dst, none, src, none, wl, wi, b, dst, none};
  }
};

// oneDNN's LSTM: gates (i, f, c̃, o) = Keras (i, f, c, o); bias [4, H]. Its initial state and cell
// are passed as explicit zero tensors: with them left out (zero-md), oneDNN 2.6's LSTM backward
// returns a wrong recurrent-weight gradient (tests/model/onednn_rnn_test.cpp catches it).
template <>
struct Traits<Cell::Lstm> {
  using Fwd = dnnl::lstm_forward;
  using Bwd = dnnl::lstm_backward;
  static constexpr int64_t gates = 4;
  static memory::desc state(const memory::desc& dst) {
    const auto d = dst.dims();  // [T, N, H]
    return memory::desc({1, 1, d[1], d[2]}, dt::f32, tag::ldnc);
  }
  static Fwd::desc fwd_desc(const memory::desc& src, const memory::desc& wl,
                            const memory::desc& wi, const memory::desc& b,
                            const memory::desc& dst) {
    const memory::desc none;
    const auto st = state(dst);
    return {dnnl::prop_kind::forward_training, dnnl::rnn_direction::unidirectional_left2right,
            src, st, st, wl, wi, b, dst, none, none};
  }
  static Bwd::desc bwd_desc(const memory::desc& src, const memory::desc& wl,
                            const memory::desc& wi, const memory::desc& b,
                            const memory::desc& dst) {
    const memory::desc none;
    const auto st = state(dst);
    return {dnnl::prop_kind::backward, dnnl::rnn_direction::unidirectional_left2right,
            src, st, st, wl, wi, b, dst, none, none,
            src, st, st, wl, wi, b, dst, none, none};
  }
};

// Forward-training and backward primitives for one (T, N, C, H) shape.
template <Cell K>
struct Primitives {
  typename Traits<K>::Fwd::primitive_desc fwd_pd;
  typename Traits<K>::Fwd fwd;
  typename Traits<K>::Bwd::primitive_desc bwd_pd;
  typename Traits<K>::Bwd bwd;
};

using Shape = std::tuple<int64_t, int64_t, int64_t, int64_t>;

template <Cell K>
const Primitives<K>& primitives(int64_t t, int64_t n, int64_t c, int64_t h) {
  thread_local std::map<Shape, Primitives<K>> cache;
  const Shape key{t, n, c, h};
  if (auto it = cache.find(key); it != cache.end()) return it->second;
  constexpr int64_t g = Traits<K>::gates;
  const memory::desc src_layer({t, n, c}, dt::f32, tag::tnc);
  const memory::desc dst_layer({t, n, h}, dt::f32, tag::tnc);
  const memory::desc w_layer_any({1, 1, c, g, h}, dt::f32, tag::any);
  const memory::desc w_iter_any({1, 1, h, g, h}, dt::f32, tag::any);
  const memory::desc bias({1, 1, 4, h}, dt::f32, tag::ldgo);
  auto& eng = cpu_engine();
  Primitives<K> p;
  p.fwd_pd = typename Traits<K>::Fwd::primitive_desc(
      Traits<K>::fwd_desc(src_layer, w_layer_any, w_iter_any, bias, dst_layer), eng);
  p.fwd = typename Traits<K>::Fwd(p.fwd_pd);
  p.bwd_pd = typename Traits<K>::Bwd::primitive_desc(
      Traits<K>::bwd_desc(src_layer, w_layer_any, w_iter_any, bias, dst_layer), eng, p.fwd_pd);
  p.bwd = typename Traits<K>::Bwd(p.bwd_pd);
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

template <Cell K>
class RnnFunction : public torch::autograd::Function<RnnFunction<K>> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& w_in, const torch::Tensor& u_in,
                               const torch::Tensor& b_in) {
    const auto x = x_in.contiguous(), w = w_in.contiguous(), u = u_in.contiguous(),
               b = b_in.contiguous();
    const int64_t t = x.size(0), n = x.size(1), c = x.size(2), h = u.size(0);
    const auto& p = primitives<K>(t, n, c, h);
    constexpr int64_t g = Traits<K>::gates;
    dnnl::stream s(cpu_engine());
    auto dst = torch::empty({t, n, h}, x.options());
    auto ws = torch::empty({static_cast<int64_t>(p.fwd_pd.workspace_desc().get_size())},
                           x.options().dtype(torch::kUInt8));
    const memory w_user = wrap(memory::desc({1, 1, c, g, h}, dt::f32, tag::ldigo), w);
    const memory u_user = wrap(memory::desc({1, 1, h, g, h}, dt::f32, tag::ldigo), u);
    const memory w_mem = as_layout(w_user, p.fwd_pd.weights_layer_desc(), s);
    const memory u_mem = as_layout(u_user, p.fwd_pd.weights_iter_desc(), s);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, wrap(p.fwd_pd.src_layer_desc(), x)},
                      {DNNL_ARG_WEIGHTS_LAYER, w_mem},
                      {DNNL_ARG_WEIGHTS_ITER, u_mem},
                      {DNNL_ARG_BIAS, wrap(p.fwd_pd.bias_desc(), b)},
                      {DNNL_ARG_DST_LAYER, wrap(p.fwd_pd.dst_layer_desc(), dst)},
                      {DNNL_ARG_WORKSPACE, wrap(p.fwd_pd.workspace_desc(), ws)}};
    torch::Tensor zero_state;
    if constexpr (K == Cell::Lstm) {
      zero_state = torch::zeros({n, h}, x.options());
      args[DNNL_ARG_SRC_ITER] = wrap(p.fwd_pd.src_iter_desc(), zero_state);
      args[DNNL_ARG_SRC_ITER_C] = wrap(p.fwd_pd.src_iter_c_desc(), zero_state);
    }
    p.fwd.execute(s, args);
    s.wait();
    ctx->save_for_backward({x, w, u, b, dst});
    ctx->saved_data["workspace"] = ws;
    return dst;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &u = saved[2], &b = saved[3], &dst = saved[4];
    const auto ws = ctx->saved_data["workspace"].toTensor();
    const auto diff_dst = grads[0].defined() ? grads[0].contiguous() : torch::zeros_like(dst);
    const int64_t t = x.size(0), n = x.size(1), c = x.size(2), h = u.size(0);
    const auto& p = primitives<K>(t, n, c, h);
    constexpr int64_t g = Traits<K>::gates;
    dnnl::stream s(cpu_engine());
    const memory w_user = wrap(memory::desc({1, 1, c, g, h}, dt::f32, tag::ldigo), w);
    const memory u_user = wrap(memory::desc({1, 1, h, g, h}, dt::f32, tag::ldigo), u);
    const memory w_mem = as_layout(w_user, p.bwd_pd.weights_layer_desc(), s);
    const memory u_mem = as_layout(u_user, p.bwd_pd.weights_iter_desc(), s);
    auto dx = torch::empty_like(x);
    auto db = torch::zeros_like(b);  // oneDNN accumulates into the weight and bias gradients
    memory dw_mem(p.bwd_pd.diff_weights_layer_desc(), cpu_engine());
    memory du_mem(p.bwd_pd.diff_weights_iter_desc(), cpu_engine());
    std::memset(dw_mem.get_data_handle(), 0, dw_mem.get_desc().get_size());
    std::memset(du_mem.get_data_handle(), 0, du_mem.get_desc().get_size());
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC_LAYER, wrap(p.bwd_pd.src_layer_desc(), x)},
                      {DNNL_ARG_WEIGHTS_LAYER, w_mem},
                      {DNNL_ARG_WEIGHTS_ITER, u_mem},
                      {DNNL_ARG_BIAS, wrap(p.bwd_pd.bias_desc(), b)},
                      {DNNL_ARG_DST_LAYER, wrap(p.bwd_pd.dst_layer_desc(), dst)},
                      {DNNL_ARG_DIFF_SRC_LAYER, wrap(p.bwd_pd.diff_src_layer_desc(), dx)},
                      {DNNL_ARG_DIFF_WEIGHTS_LAYER, dw_mem},
                      {DNNL_ARG_DIFF_WEIGHTS_ITER, du_mem},
                      {DNNL_ARG_DIFF_BIAS, wrap(p.bwd_pd.diff_bias_desc(), db)},
                      {DNNL_ARG_DIFF_DST_LAYER, wrap(p.bwd_pd.diff_dst_layer_desc(), diff_dst)},
                      {DNNL_ARG_WORKSPACE, wrap(p.bwd_pd.workspace_desc(), ws)}};
    torch::Tensor zero_state, state_grads;
    if constexpr (K == Cell::Lstm) {
      zero_state = torch::zeros({n, h}, x.options());
      state_grads = torch::empty({2, n, h}, x.options());  // discarded: the initial state is fixed
      args[DNNL_ARG_SRC_ITER] = wrap(p.bwd_pd.src_iter_desc(), zero_state);
      args[DNNL_ARG_SRC_ITER_C] = wrap(p.bwd_pd.src_iter_c_desc(), zero_state);
      args[DNNL_ARG_DIFF_SRC_ITER] = wrap(p.bwd_pd.diff_src_iter_desc(), state_grads[0]);
      args[DNNL_ARG_DIFF_SRC_ITER_C] = wrap(p.bwd_pd.diff_src_iter_c_desc(), state_grads[1]);
    }
    p.bwd.execute(s, args);
    auto dw = torch::empty_like(w);
    auto du = torch::empty_like(u);
    memory dw_user = wrap(memory::desc({1, 1, c, g, h}, dt::f32, tag::ldigo), dw);
    memory du_user = wrap(memory::desc({1, 1, h, g, h}, dt::f32, tag::ldigo), du);
    dnnl::reorder(dw_mem, dw_user).execute(s, dw_mem, dw_user);
    dnnl::reorder(du_mem, du_user).execute(s, du_mem, du_user);
    s.wait();
    return {dx, dw, du, db};
  }
};

}  // namespace

torch::Tensor lbr_gru(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                      const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() == 3 && x.scalar_type() == torch::kFloat, "lbr_gru: x must be f32 [T, N, C]");
  TORCH_CHECK(u.dim() == 2 && u.size(1) == 3 * u.size(0), "lbr_gru: u must be [H, 3H]");
  TORCH_CHECK(w.dim() == 2 && w.size(0) == x.size(2) && w.size(1) == u.size(1),
              "lbr_gru: w must be [C, 3H]");
  TORCH_CHECK(bias.numel() == 4 * u.size(0), "lbr_gru: bias must be [4H]");
  return RnnFunction<Cell::LbrGru>::apply(x, w, u, bias);
}

torch::Tensor lstm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                   const torch::Tensor& bias) {
  TORCH_CHECK(x.dim() == 3 && x.scalar_type() == torch::kFloat, "lstm: x must be f32 [T, N, C]");
  TORCH_CHECK(u.dim() == 2 && u.size(1) == 4 * u.size(0), "lstm: u must be [H, 4H]");
  TORCH_CHECK(w.dim() == 2 && w.size(0) == x.size(2) && w.size(1) == u.size(1),
              "lstm: w must be [C, 4H]");
  TORCH_CHECK(bias.numel() == 4 * u.size(0), "lstm: bias must be [4H]");
  return RnnFunction<Cell::Lstm>::apply(x, w, u, bias);
}

torch::Tensor lbr_bias(const torch::Tensor& b_in, const torch::Tensor& b_rec) {
  const int64_t h = b_in.size(0) / 3;
  return torch::cat({b_in.slice(0, 0, 2 * h) + b_rec.slice(0, 0, 2 * h), b_in.slice(0, 2 * h),
                     b_rec.slice(0, 2 * h)});
}

namespace {
// (time index, event index) of each concatenated row.
std::pair<torch::Tensor, torch::Tensor> row_positions(const std::vector<int64_t>& lengths) {
  int64_t rows = 0;
  for (auto l : lengths) rows += l;
  auto t_idx = torch::empty({rows}, torch::kLong);
  auto n_idx = torch::empty({rows}, torch::kLong);
  auto* t_ptr = t_idx.data_ptr<int64_t>();
  auto* n_ptr = n_idx.data_ptr<int64_t>();
  int64_t r = 0;
  for (size_t e = 0; e < lengths.size(); ++e) {
    for (int64_t s = 0; s < lengths[e]; ++s, ++r) {
      t_ptr[r] = s;
      n_ptr[r] = static_cast<int64_t>(e);
    }
  }
  return {t_idx, n_idx};
}
}  // namespace

torch::Tensor to_time_major(const torch::Tensor& rows, const std::vector<int64_t>& lengths) {
  int64_t t_max = 0;
  for (auto l : lengths) {
    TORCH_CHECK(l >= 1, "to_time_major: every event needs at least one row");
    t_max = std::max(t_max, l);
  }
  const auto [t_idx, n_idx] = row_positions(lengths);
  TORCH_CHECK(rows.size(0) == t_idx.size(0), "to_time_major: lengths do not sum to the rows");
  const auto padded = torch::zeros({t_max, static_cast<int64_t>(lengths.size()), rows.size(1)},
                                   rows.options());
  return padded.index_put({t_idx, n_idx}, rows);
}

torch::Tensor last_step(const torch::Tensor& seq, const std::vector<int64_t>& lengths) {
  auto last = torch::tensor(lengths, torch::kLong) - 1;
  auto events = torch::arange(static_cast<int64_t>(lengths.size()), torch::kLong);
  return seq.index({last, events});
}

}  // namespace trigml::model::detail

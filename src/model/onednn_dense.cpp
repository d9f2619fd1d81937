#include "model/onednn_dense.hpp"

#include <compare>
#include <map>
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>

namespace trigml::model::detail {
namespace {

using dnnl::memory;
using dt = memory::data_type;

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

// c [m, n] = a [m, k] · b [k, n] (+ bias [n]), where a is stored row-major as [m, k] or, when
// a_transposed, as [k, m]; likewise b as [k, n] or [n, k]. Strides express the transposes, so no
// operand is copied.
struct MatmulShape {
  int64_t m, k, n;
  bool a_transposed, b_transposed, bias;
  auto operator<=>(const MatmulShape&) const = default;
};

struct Matmul {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul prim;
};

const Matmul& matmul_primitive(const MatmulShape& s) {
  thread_local std::map<MatmulShape, Matmul> cache;
  if (auto it = cache.find(s); it != cache.end()) return it->second;
  const memory::desc a({s.m, s.k}, dt::f32, s.a_transposed ? memory::dims{1, s.m} : memory::dims{s.k, 1});
  const memory::desc b({s.k, s.n}, dt::f32, s.b_transposed ? memory::dims{1, s.k} : memory::dims{s.n, 1});
  const memory::desc c({s.m, s.n}, dt::f32, memory::dims{s.n, 1});
  const memory::desc bias({1, s.n}, dt::f32, memory::dims{s.n, 1});
  Matmul mm;
  mm.pd = dnnl::matmul::primitive_desc(
      s.bias ? dnnl::matmul::desc(a, b, bias, c) : dnnl::matmul::desc(a, b, c), cpu_engine());
  mm.prim = dnnl::matmul(mm.pd);
  return cache.emplace(s, std::move(mm)).first->second;
}

memory wrap(const memory::desc& md, const torch::Tensor& t) {
  return memory(md, cpu_engine(), t.data_ptr());
}

// a and b contiguous; see MatmulShape for the layouts. bias undefined for none.
torch::Tensor matmul(const torch::Tensor& a, bool a_transposed, const torch::Tensor& b, bool b_transposed,
                     const torch::Tensor& bias) {
  const int64_t m = a.size(a_transposed ? 1 : 0), k = a.size(a_transposed ? 0 : 1);
  const int64_t n = b.size(b_transposed ? 0 : 1);
  const auto& mm = matmul_primitive({m, k, n, a_transposed, b_transposed, bias.defined()});
  auto c = torch::empty({m, n}, a.options());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, wrap(mm.pd.src_desc(), a)},
                                       {DNNL_ARG_WEIGHTS, wrap(mm.pd.weights_desc(), b)},
                                       {DNNL_ARG_DST, wrap(mm.pd.dst_desc(), c)}};
  if (bias.defined()) args[DNNL_ARG_BIAS] = wrap(mm.pd.bias_desc(), bias);
  dnnl::stream stream(cpu_engine());
  mm.prim.execute(stream, args);
  stream.wait();
  return c;
}

class LinearFunction : public torch::autograd::Function<LinearFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x_in,
                               const torch::Tensor& w_in, const torch::Tensor& b_in) {
    const auto x = x_in.contiguous(), w = w_in.contiguous();
    ctx->save_for_backward({x, w});
    return matmul(x, false, w, true, b_in.contiguous());  // w [out, in] is wᵀ transposed
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1];
    const auto dy = grads[0].contiguous();  // [N, out]
    torch::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) dx = matmul(dy, false, w, false, {});  // [N, out] · [out, in]
    if (ctx->needs_input_grad(1)) dw = matmul(dy, true, x, false, {});   // dyᵀ [out, N] · x
    if (ctx->needs_input_grad(2)) db = dy.sum(0);
    return {dx, dw, db};
  }
};

}  // namespace

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  TORCH_CHECK(
      x.dim() == 2 && w.dim() == 2 && b.dim() == 1 && x.size(1) == w.size(1) && b.size(0) == w.size(0),
      "linear: x must be [N, in], w [out, in], b [out]");
  TORCH_CHECK(x.scalar_type() == torch::kFloat && w.scalar_type() == torch::kFloat &&
                  b.scalar_type() == torch::kFloat,
              "linear: f32 only");
  if (x.size(0) == 0) return torch::linear(x, w, b);  // oneDNN has no use for an empty batch
  const bool wants_grad =
      torch::GradMode::is_enabled() && (x.requires_grad() || w.requires_grad() || b.requires_grad());
  if (wants_grad) return LinearFunction::apply(x, w, b);
  return matmul(x.contiguous(), false, w.contiguous(), true, b.contiguous());
}

}  // namespace trigml::model::detail

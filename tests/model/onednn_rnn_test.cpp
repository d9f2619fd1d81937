// oneDNN's LBR GRU and LSTM inside autograd against plain libtorch references of the Keras
// equations (GRU reset_after=True; LSTM): forward, gradients, and exactness with respect to padding.
#include "model/onednn_rnn.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace {

using trigml::model::detail::last_step;
using trigml::model::detail::lbr_bias;
using trigml::model::detail::lbr_gru;
using trigml::model::detail::lstm;
using trigml::model::detail::to_time_major;

// Keras GRU(reset_after=True), gates (z, r, h), step by step with torch ops: [T, N, C] -> [T, N, H].
torch::Tensor reference_gru(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                            const torch::Tensor& b_in, const torch::Tensor& b_rec) {
  auto h = torch::zeros({x.size(1), u.size(0)});
  std::vector<torch::Tensor> states;
  for (int64_t t = 0; t < x.size(0); ++t) {
    const auto xw = (x[t].mm(w) + b_in).chunk(3, 1);
    const auto hu = (h.mm(u) + b_rec).chunk(3, 1);
    const auto z = torch::sigmoid(xw[0] + hu[0]);
    const auto r = torch::sigmoid(xw[1] + hu[1]);
    const auto n = torch::tanh(xw[2] + r * hu[2]);
    h = z * h + (1 - z) * n;
    states.push_back(h);
  }
  return torch::stack(states);
}

// Keras LSTM, gates (i, f, c, o): [T, N, C] -> [T, N, H].
torch::Tensor reference_lstm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                             const torch::Tensor& b) {
  auto h = torch::zeros({x.size(1), u.size(0)});
  auto c = torch::zeros_like(h);
  std::vector<torch::Tensor> states;
  for (int64_t t = 0; t < x.size(0); ++t) {
    const auto g = (x[t].mm(w) + h.mm(u) + b).chunk(4, 1);
    c = torch::sigmoid(g[1]) * c + torch::sigmoid(g[0]) * torch::tanh(g[2]);
    h = torch::sigmoid(g[3]) * torch::tanh(c);
    states.push_back(h);
  }
  return torch::stack(states);
}

// GRU: w [C, 3H], u [H, 3H], b_in and b_rec [3H]. LSTM: w [C, 4H], u [H, 4H], bias b_in [4H]
// (b_rec unused but kept, with zero gradient expected from both sides).
struct Params {
  bool is_lstm;
  torch::Tensor w, u, b_in, b_rec;
  explicit Params(int64_t c, int64_t h, bool lstm_cell = false)
      : is_lstm(lstm_cell), w(torch::randn({c, (lstm_cell ? 4 : 3) * h}) * 0.5),
        u(torch::randn({h, (lstm_cell ? 4 : 3) * h}) * 0.5),
        b_in(torch::randn({(lstm_cell ? 4 : 3) * h}) * 0.3), b_rec(torch::randn({3 * h}) * 0.3) {
    for (auto* p : {&w, &u, &b_in, &b_rec}) p->set_requires_grad(true);
  }
  std::vector<torch::Tensor> all() const { return {w, u, b_in, b_rec}; }
  void zero_grad() {
    for (auto* p : {&w, &u, &b_in, &b_rec})
      if (p->grad().defined()) p->mutable_grad().zero_();
  }
};

torch::Tensor onednn_last(const torch::Tensor& rows, const std::vector<int64_t>& lengths,
                          const Params& p) {
  const auto x = to_time_major(rows, lengths);
  if (p.is_lstm) return last_step(lstm(x, p.w, p.u, p.b_in) + 0 * p.b_rec.sum(), lengths);
  return last_step(lbr_gru(x, p.w, p.u, lbr_bias(p.b_in, p.b_rec)), lengths);
}

torch::Tensor reference_last(const torch::Tensor& rows, const std::vector<int64_t>& lengths,
                             const Params& p) {
  const auto x = to_time_major(rows, lengths);
  if (p.is_lstm) return last_step(reference_lstm(x, p.w, p.u, p.b_in) + 0 * p.b_rec.sum(), lengths);
  return last_step(reference_gru(x, p.w, p.u, p.b_in, p.b_rec), lengths);
}

constexpr int64_t kC = 5, kH = 7;

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double tol, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LE((a - b).abs().max().item<double>(), tol) << what;
}

class OnednnRnn : public ::testing::TestWithParam<bool> {};  // false: GRU, true: LSTM

TEST_P(OnednnRnn, ForwardMatchesReferenceOnRaggedLengths) {
  torch::manual_seed(1);
  const std::vector<int64_t> lengths{6, 3, 1, 4, 6};
  const Params p(kC, kH, GetParam());
  const auto rows = torch::randn({20, kC});
  torch::NoGradGuard no_grad;
  expect_close(onednn_last(rows, lengths, p), reference_last(rows, lengths, p), 1e-5, "h_last");
}

TEST_P(OnednnRnn, GradientsMatchReference) {
  torch::manual_seed(2);
  const std::vector<int64_t> lengths{2, 5, 3, 1};
  Params p(kC, kH, GetParam());
  const auto rows = torch::randn({11, kC}).requires_grad_(true);
  const auto coef = torch::randn({4, kH});

  (onednn_last(rows, lengths, p) * coef).sum().backward();
  std::vector<torch::Tensor> got{rows.grad().clone()};
  for (const auto& t : p.all()) got.push_back(t.grad().clone());
  rows.mutable_grad().zero_();
  p.zero_grad();
  (reference_last(rows, lengths, p) * coef).sum().backward();
  std::vector<torch::Tensor> want{rows.grad().clone()};
  for (const auto& t : p.all()) want.push_back(t.grad().clone());

  const char* names[] = {"d rows", "d w", "d u", "d b_in", "d b_rec"};
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], 1e-4, names[i]);
}

TEST_P(OnednnRnn, PaddingDoesNotEnterResultsOrGradients) {
  torch::manual_seed(3);
  Params p(kC, kH, GetParam());
  const auto event = torch::randn({3, kC});
  const auto others = torch::randn({9 + 6, kC});
  const auto coef = torch::randn({1, kH});

  auto run = [&](bool batched) {
    p.zero_grad();
    auto ev = event.clone().requires_grad_(true);
    torch::Tensor h;
    if (batched) {  // the event between two longer ones: 6 padding steps after its end
      const std::vector<int64_t> lengths{9, 3, 6};
      const auto rows = torch::cat({others.slice(0, 0, 9), ev, others.slice(0, 9)});
      h = onednn_last(rows, lengths, p).slice(0, 1, 2);
    } else {
      h = onednn_last(ev, {3}, p);
    }
    (h * coef).sum().backward();
    std::vector<torch::Tensor> out{h.detach().clone(), ev.grad().clone()};
    for (const auto& t : p.all()) out.push_back(t.grad().clone());
    return out;
  };
  const auto alone = run(false);
  const auto batched = run(true);
  const char* names[] = {"h", "d rows", "d w", "d u", "d b_in", "d b_rec"};
  for (size_t i = 0; i < alone.size(); ++i) expect_close(alone[i], batched[i], 1e-6, names[i]);
}

INSTANTIATE_TEST_SUITE_P(Cells, OnednnRnn, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Lstm" : "Gru"; });

TEST(OnednnRnn, LbrBiasMapsKerasBiases) {
  const auto b_in = torch::tensor({1.F, 2.F, 3.F, 4.F, 5.F, 6.F});
  const auto b_rec = torch::tensor({10.F, 20.F, 30.F, 40.F, 50.F, 60.F});
  const auto b = lbr_bias(b_in, b_rec);
  const auto want = torch::tensor({11.F, 22.F, 33.F, 44.F, 5.F, 6.F, 50.F, 60.F});
  EXPECT_TRUE(torch::equal(b, want));
}

}  // namespace

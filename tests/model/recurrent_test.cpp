// The recurrent layers inside autograd (gru.hpp's packed GRU, oneDNN's LSTM) against plain libtorch
// references of the Keras equations (GRU reset_after=True; LSTM) run over zero-padded time-major
// batches: forward, gradients, exactness with respect to padding and batch order, and the GRU at the
// model's own sizes on one and two threads.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "model/gru.hpp"
#include "model/onednn_rnn.hpp"

namespace {

using trigml::model::detail::gru_last;
using trigml::model::detail::last_step;
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
      : is_lstm(lstm_cell),
        w(torch::randn({c, (lstm_cell ? 4 : 3) * h}) * 0.5),
        u(torch::randn({h, (lstm_cell ? 4 : 3) * h}) * 0.5),
        b_in(torch::randn({(lstm_cell ? 4 : 3) * h}) * 0.3),
        b_rec(torch::randn({3 * h}) * 0.3) {
    for (auto* p : {&w, &u, &b_in, &b_rec}) p->set_requires_grad(true);
  }
  std::vector<torch::Tensor> all() const { return {w, u, b_in, b_rec}; }
  void zero_grad() {
    for (auto* p : {&w, &u, &b_in, &b_rec})
      if (p->grad().defined()) p->mutable_grad().zero_();
  }
};

torch::Tensor layer_last(const torch::Tensor& rows, const std::vector<int64_t>& lengths, const Params& p) {
  if (p.is_lstm)
    return last_step(lstm(to_time_major(rows, lengths), p.w, p.u, p.b_in) + 0 * p.b_rec.sum(), lengths);
  return gru_last(rows, lengths, p.w, p.u, p.b_in, p.b_rec);
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

class Recurrent : public ::testing::TestWithParam<bool> {};  // false: GRU, true: LSTM

TEST_P(Recurrent, ForwardMatchesReferenceOnRaggedLengths) {
  torch::manual_seed(1);
  const std::vector<int64_t> lengths{6, 3, 1, 4, 6};
  const Params p(kC, kH, GetParam());
  const auto rows = torch::randn({20, kC});
  torch::NoGradGuard no_grad;
  expect_close(layer_last(rows, lengths, p), reference_last(rows, lengths, p), 1e-5, "h_last");
}

TEST_P(Recurrent, GradientsMatchReference) {
  torch::manual_seed(2);
  const std::vector<int64_t> lengths{2, 5, 3, 1};
  Params p(kC, kH, GetParam());
  const auto rows = torch::randn({11, kC}).requires_grad_(true);
  const auto coef = torch::randn({4, kH});

  const auto h = layer_last(rows, lengths, p);  // the training path (LSTM: forward-training primitive)
  (h * coef).sum().backward();
  std::vector<torch::Tensor> got{rows.grad().clone()};
  for (const auto& t : p.all()) got.push_back(t.grad().clone());
  rows.mutable_grad().zero_();
  p.zero_grad();
  const auto h_want = reference_last(rows, lengths, p);
  (h_want * coef).sum().backward();
  expect_close(h, h_want, 1e-5, "h_last");
  std::vector<torch::Tensor> want{rows.grad().clone()};
  for (const auto& t : p.all()) want.push_back(t.grad().clone());

  const char* names[] = {"d rows", "d w", "d u", "d b_in", "d b_rec"};
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], 1e-4, names[i]);
}

TEST_P(Recurrent, PaddingDoesNotEnterResultsOrGradients) {
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
      h = layer_last(rows, lengths, p).slice(0, 1, 2);
    } else {
      h = layer_last(ev, {3}, p);
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

// Buffers are reused between calls: results still held (a graph awaiting backward, an output kept
// by the caller) must not be overwritten by later calls.
TEST_P(Recurrent, HeldResultsSurviveLaterCalls) {
  torch::manual_seed(4);
  Params p(kC, kH, GetParam());
  const std::vector<int64_t> lengths_a{4, 7}, lengths_b{9, 2, 5};
  const auto rows_a = torch::randn({11, kC}), rows_b = torch::randn({16, kC});
  const auto coef_a = torch::randn({2, kH}), coef_b = torch::randn({3, kH});

  auto gradients = [&p](const torch::Tensor& loss) {
    p.zero_grad();
    loss.backward();
    std::vector<torch::Tensor> out;
    for (const auto& t : p.all()) out.push_back(t.grad().clone());
    return out;
  };
  // Both graphs alive at once, then backward through the first.
  const auto loss_a = (layer_last(rows_a, lengths_a, p) * coef_a).sum();
  const auto loss_b = (layer_last(rows_b, lengths_b, p) * coef_b).sum();
  const auto got_a = gradients(loss_a), got_b = gradients(loss_b);
  const auto want_a = gradients((reference_last(rows_a, lengths_a, p) * coef_a).sum());
  const auto want_b = gradients((reference_last(rows_b, lengths_b, p) * coef_b).sum());
  for (size_t i = 0; i < got_a.size(); ++i) {
    expect_close(got_a[i], want_a[i], 1e-4, "first graph");
    expect_close(got_b[i], want_b[i], 1e-4, "second graph");
  }

  torch::NoGradGuard no_grad;  // outputs of the inference path, kept while others run
  if (p.is_lstm) {
    const auto seq_a = lstm(to_time_major(rows_a, lengths_a), p.w, p.u, p.b_in);
    const auto seq_a_before = seq_a.clone();
    const auto seq_b = lstm(to_time_major(rows_b, lengths_b), p.w, p.u, p.b_in);
    EXPECT_TRUE(torch::equal(seq_a, seq_a_before));
    expect_close(last_step(seq_a, lengths_a), reference_last(rows_a, lengths_a, p), 1e-5, "kept a");
    expect_close(last_step(seq_b, lengths_b), reference_last(rows_b, lengths_b, p), 1e-5, "b");
  } else {
    const auto last_a = gru_last(rows_a, lengths_a, p.w, p.u, p.b_in, p.b_rec);
    const auto last_a_before = last_a.clone();
    const auto last_b = gru_last(rows_b, lengths_b, p.w, p.u, p.b_in, p.b_rec);
    EXPECT_TRUE(torch::equal(last_a, last_a_before));
    expect_close(last_a, reference_last(rows_a, lengths_a, p), 1e-5, "kept a");
    expect_close(last_b, reference_last(rows_b, lengths_b, p), 1e-5, "b");
  }
}

INSTANTIATE_TEST_SUITE_P(Cells, Recurrent, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Lstm" : "Gru"; });

TEST(Recurrent, TimeMajorPadsToAMultipleOf16StepsWithZeros) {
  const std::vector<int64_t> lengths{3, 1, 17};
  const auto rows = torch::arange(21 * kC, torch::kFloat).reshape({21, kC});
  const auto x = to_time_major(rows, lengths);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{32, 3, kC}));  // 17 steps rounded up to 32
  int64_t row = 0;
  for (size_t e = 0; e < lengths.size(); ++e) {
    for (int64_t s = 0; s < 32; ++s) {
      const auto want = s < lengths[e] ? rows[row++] : torch::zeros({kC});
      EXPECT_TRUE(torch::equal(x[s][static_cast<int64_t>(e)], want)) << "event " << e << " step " << s;
    }
  }
}

// The GRU at the model's sizes (19 inputs, 50 units, ragged lengths up to 45 in no order, Keras-like
// weight scales) against the reference, relative to each quantity's largest magnitude: 1e-5, what
// fp32 allows for sums over a few thousand terms in a different order. On two threads the batch is
// split in two shares of about equal particle counts (the longest events in the first), which must
// give the same results.
TEST(Recurrent, GruMatchesReferenceAtModelSizesOnOneAndTwoThreads) {
  torch::manual_seed(5);
  constexpr int64_t c = 19, h = 50, events = 40;
  std::vector<int64_t> lengths;
  int64_t total = 0;
  for (int64_t e = 0; e < events; ++e) total += lengths.emplace_back(1 + (e * 37) % 45);
  const auto rows = torch::randn({total, c});
  const auto coef = torch::randn({events, h});
  std::vector<torch::Tensor> params{torch::randn({c, 3 * h}) * 0.3, torch::randn({h, 3 * h}) * 0.15,
                                    torch::randn({3 * h}) * 0.1, torch::randn({3 * h}) * 0.1};
  auto results = [&](bool reference) {
    std::vector<torch::Tensor> p;
    for (const auto& t : params) p.push_back(t.clone().requires_grad_(true));
    const auto r = rows.clone().requires_grad_(true);
    const auto last =
        reference ? last_step(reference_gru(to_time_major(r, lengths), p[0], p[1], p[2], p[3]), lengths)
                  : gru_last(r, lengths, p[0], p[1], p[2], p[3]);
    (last * coef).sum().backward();
    std::vector<torch::Tensor> out{last.detach(), r.grad()};
    for (const auto& t : p) out.push_back(t.grad());
    return out;
  };
  const auto want = results(true);
  const int threads = torch::get_num_threads();
  for (int n : {1, 2}) {
    torch::set_num_threads(n);
    const auto got = results(false);
    const char* names[] = {"h_last", "d rows", "d w", "d u", "d b_in", "d b_rec"};
    for (size_t i = 0; i < got.size(); ++i) {
      const double scale = want[i].abs().max().item<double>();
      EXPECT_LE((got[i] - want[i]).abs().max().item<double>(), 1e-5 * scale) << names[i] << ", threads " << n;
    }
  }
  torch::set_num_threads(threads);
}

}  // namespace

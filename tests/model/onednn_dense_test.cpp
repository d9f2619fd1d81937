// Dense layers on oneDNN's matmul against torch::linear: values and gradients.
#include "model/onednn_dense.hpp"

#include <gtest/gtest.h>

namespace {

using trigml::model::detail::linear;

void expect_close(const torch::Tensor& a, const torch::Tensor& b, double tol, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LE((a - b).abs().max().item<double>(), tol) << what;
}

TEST(OnednnDense, ForwardMatchesTorchLinear) {
  torch::manual_seed(1);
  const auto x = torch::randn({37, 14}), w = torch::randn({50, 14}), b = torch::randn({50});
  torch::NoGradGuard no_grad;
  expect_close(linear(x, w, b), torch::linear(x, w, b), 1e-5, "y");
}

TEST(OnednnDense, HandComputedValues) {
  const auto x = torch::tensor({1.F, 2.F, 3.F, 4.F, 5.F, 6.F}).reshape({2, 3});
  const auto w = torch::tensor({1.F, 0.F, -1.F, 2.F, 1.F, 0.F}).reshape({2, 3});
  const auto b = torch::tensor({10.F, 20.F});
  // rows: (1 - 3 + 10, 2 + 2 + 20) and (4 - 6 + 10, 8 + 5 + 20)
  EXPECT_TRUE(torch::equal(linear(x, w, b), torch::tensor({8.F, 24.F, 8.F, 33.F}).reshape({2, 2})));
}

TEST(OnednnDense, GradientsMatchTorchLinear) {
  torch::manual_seed(2);
  const auto x = torch::randn({29, 64}).requires_grad_(), w = torch::randn({25, 64}).requires_grad_(),
             b = torch::randn({25}).requires_grad_();
  const auto coef = torch::randn({29, 25});
  auto gradients = [&](const torch::Tensor& y) {
    for (const auto* t : {&x, &w, &b})
      if (t->grad().defined()) t->mutable_grad().zero_();
    (y * coef).sum().backward();
    return std::vector<torch::Tensor>{x.grad().clone(), w.grad().clone(), b.grad().clone()};
  };
  const auto got = gradients(linear(x, w, b));
  const auto want = gradients(torch::linear(x, w, b));
  const char* names[] = {"d x", "d w", "d b"};
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], 1e-4, names[i]);
}

TEST(OnednnDense, InputWithoutGradientGetsNone) {
  torch::manual_seed(3);
  const auto x = torch::randn({4, 3});
  const auto w = torch::randn({2, 3}).requires_grad_(), b = torch::randn({2}).requires_grad_();
  linear(x, w, b).sum().backward();
  EXPECT_FALSE(x.grad().defined());
  // Every output sums into dw: each row of dw is the column sums of x; db counts the rows.
  expect_close(w.grad(), x.sum(0).expand({2, 3}), 1e-5, "d w");
  expect_close(b.grad(), torch::full({2}, 4.F), 0, "d b");
}

}  // namespace

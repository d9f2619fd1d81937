#pragma once
// Internal to src/model (includes libtorch; not part of the torch-free public interface).
//
// Dense layers on oneDNN's matmul primitive. Debian's libtorch does its float GEMMs with the
// system BLAS, which is the reference (netlib) implementation unless another one is installed:
// 41 % of the hlf training step was its sgemm_. oneDNN's JIT matmul does the same products in a
// fraction of that, so the classifiers' Dense layers call linear() instead of torch::nn::Linear's
// forward (the modules still hold the parameters).
#include <torch/csrc/autograd/custom_function.h>
#include <torch/types.h>

namespace trigml::model::detail {

// x [N, in] · wᵀ + b with torch's Linear layout: w [out, in], b [out]; f32. Differentiable in all
// three (oneDNN matmuls for the input and weight gradients); without grad mode or inputs that
// require gradients it runs the forward matmul only.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b);

}  // namespace trigml::model::detail

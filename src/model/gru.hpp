#pragma once
// Internal to src/model (includes libtorch; not part of the torch-free public interface).
//
// Keras's GRU (reset_after=True) written for trigml's shape (batch 128, hidden 50, 19 inputs, a few
// hundred steps) inside libtorch's autograd. Gates (z, r, h), kernel [C, 3H], recurrent kernel
// [H, 3H], input bias b and recurrent bias c [3H] each:
//   z = σ(W_z x + b_z + U_z h + c_z), r = σ(W_r x + b_r + U_r h + c_r),
//   n = tanh(W_h x + b_h + r ⊙ (U_h h + c_h)),  h' = z ⊙ h + (1 − z) ⊙ n.
#include <torch/csrc/autograd/custom_function.h>
#include <torch/types.h>

#include <vector>

namespace trigml::model::detail {

// Each event's hidden state after its last particle [N, H], zero initial state, for rows [R, C]
// (f32, event after event: lengths[e] ≥ 1 rows for event e). Differentiable in rows and the four
// weights.
//
// Nothing is padded: the events run by decreasing length, and step t computes only the events
// that have a particle t (a packed sequence), so a batch costs its particles, not its longest
// event times its size. The input projection x·W of all particles is one GEMM; each step is one
// GEMM h·U and the fused gates; backward runs the fused gate gradients and one GEMM per step, then
// the weights' gradients as one GEMM each over all particles (and the rows' only if they require
// it). Events are independent, so with several threads each takes a share of the events (shares
// of equal particle counts) through all steps without synchronising per step.
torch::Tensor gru_last(const torch::Tensor& rows, const std::vector<int64_t>& lengths, const torch::Tensor& w,
                       const torch::Tensor& u, const torch::Tensor& b_in, const torch::Tensor& b_rec);

}  // namespace trigml::model::detail

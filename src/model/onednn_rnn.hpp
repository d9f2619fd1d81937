#pragma once
// Internal to src/model (includes libtorch; not part of the torch-free public interface).
//
// oneDNN's LBR GRU ("linear before reset", Keras reset_after=True) and LSTM inside libtorch's
// autograd: forward-training and backward primitives (cached per shape) in a custom Function.
//
// Gate order. Keras stores kernels [C, 3H] and recurrent kernels [H, 3H] with gates (z, r, h);
// oneDNN's GRU gates are (u, r, o) with u = Keras z (update) and o = Keras h (candidate): the same
// order, so a Keras kernel [C, 3H] is exactly oneDNN's ldigo weights [1, 1, C, 3, H].
// (PyTorch's nn.GRU uses (r, z, n) and [3H, C] — not used here.)
// Equations (both Keras reset_after and oneDNN LBR GRU):
//   z = σ(W_z x + U_z h + b_z + c_z), r = σ(W_r x + U_r h + b_r + c_r),
//   n = tanh(W_h x + b_h + r ⊙ (U_h h + c_h)),  h' = z ⊙ h + (1 − z) ⊙ n
// with input bias b = (b_z, b_r, b_h) and recurrent bias c = (c_z, c_r, c_h). oneDNN's LBR bias
// [4, H] is (b_z + c_z, b_r + c_r, b_h, c_h): see lbr_bias().
#include <torch/torch.h>

namespace trigml::model::detail {

// All hidden states [T, N, H] of a GRU over x [T, N, C] (time-major, f32, zero initial state).
// w [C, 3H], u [H, 3H] in Keras gate order, bias [4H] from lbr_bias(). Differentiable in all four
// (oneDNN's forward-training and backward primitives); without grad mode or inputs that require
// gradients it runs oneDNN's forward-inference primitive (no workspace).
torch::Tensor lbr_gru(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                      const torch::Tensor& bias);

// All hidden states [T, N, H] of an LSTM over x [T, N, C] (time-major, f32, zero initial state
// and cell). w [C, 4H], u [H, 4H], bias [4H] in Keras gate order (i, f, c, o), which is oneDNN's
// (i, f, c̃, o): c' = f ⊙ c + i ⊙ tanh(W_c x + U_c h + b_c), h' = o ⊙ tanh(c').
torch::Tensor lstm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                   const torch::Tensor& bias);

// oneDNN's LBR bias [4H] from Keras's input and recurrent biases [3H] each (differentiable).
torch::Tensor lbr_bias(const torch::Tensor& b_in, const torch::Tensor& b_rec);

// Time-major batches have T = the longest length rounded up to a multiple of this: oneDNN's
// primitives are made per (T, N, C, H), so length-grouped batches of slightly different lengths
// share a few of them. The extra steps come after every event's end and change nothing (see
// last_step); they cost at most kStepMultiple − 1 steps of compute.
inline constexpr int64_t kStepMultiple = 16;

// Concatenated per-event rows [R, C] (event after event) and per-event lengths (≥ 1, sum R) to a
// zero-padded time-major [T, N, C], T = max length rounded up to kStepMultiple (differentiable in
// rows). The tensor lives in a buffer reused once it is released.
torch::Tensor to_time_major(const torch::Tensor& rows, const std::vector<int64_t>& lengths);

// Each event's state at its own last step: seq [T, N, H] -> [N, H]. Steps after an event's end
// receive zero gradient, and since a step depends only on earlier steps, padding enters neither the
// result nor its gradients.
torch::Tensor last_step(const torch::Tensor& seq, const std::vector<int64_t>& lengths);

}  // namespace trigml::model::detail

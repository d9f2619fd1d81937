#pragma once
// Internal to src/model (includes libtorch; not part of the torch-free public interface).
//
// oneDNN's LSTM inside libtorch's autograd: forward-training and backward primitives (cached per
// shape) in a custom Function; and the conversions between trigml's ragged batches and the
// time-major tensors the recurrent layers (this LSTM and gru.hpp's GRU) run on.
#include <torch/csrc/autograd/custom_function.h>
#include <torch/types.h>

namespace trigml::model::detail {

// All hidden states [T, N, H] of an LSTM over x [T, N, C] (time-major, f32, zero initial state
// and cell). w [C, 4H], u [H, 4H], bias [4H] in Keras gate order (i, f, c, o), which is oneDNN's
// (i, f, c̃, o): c' = f ⊙ c + i ⊙ tanh(W_c x + U_c h + b_c), h' = o ⊙ tanh(c').
torch::Tensor lstm(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& u,
                   const torch::Tensor& bias);

// Time-major batches have T = the longest length rounded up to a multiple of this: oneDNN's
// LSTM primitives are made per (T, N, C, H), so length-grouped batches of slightly different lengths
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

#pragma once
// Internal to src/model (includes libtorch; not part of the torch-free public interface).
#include <c10/util/accumulate.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/types.h>

#include <algorithm>
#include <vector>

namespace trigml::model::detail {

// Large f32 buffers of one role (kept per thread by their users), handed out again once nothing
// references them.
//
// Fresh memory is expensive: the kernel faults in and zeroes every page of a new allocation on its
// first touch (on the 2-core VM of docs/performance.md about 16 µs of CPU per 4 KiB page, 260 ms for
// 64 MB), and glibc gives blocks above its mmap threshold back to the kernel when they are freed.
// The recurrent layers' training buffers are tens of MB at T = 300, N = 128, H = 50: allocating them
// per step cost several times the recurrent arithmetic. A buffer is in use while any tensor shares
// its storage (gates saved for backward, the states held by the autograd graph), so a tensor handed
// out is never overwritten while someone can still read it.
class BufferPool {
 public:
  // A contiguous f32 tensor of the given sizes (uninitialised) on a free buffer of this role.
  torch::Tensor take(c10::IntArrayRef sizes) {
    const int64_t need = std::max<int64_t>(c10::multiply_integers(sizes), 1);
    torch::Tensor* best = nullptr;
    torch::Tensor* too_small = nullptr;
    for (auto& buffer : buffers_) {
      if (buffer.storage().use_count() != 1) continue;
      if (buffer.numel() < need)
        too_small = &buffer;
      else if (best == nullptr || buffer.numel() < best->numel())
        best = &buffer;
    }
    if (best == nullptr) {
      // A free buffer that has become too small (a longer batch) is replaced rather than kept.
      if (too_small == nullptr) too_small = &buffers_.emplace_back();
      *too_small = torch::empty({need}, torch::kFloat);
      best = too_small;
    }
    return torch::empty({0}, torch::kFloat).set_(best->storage(), 0, sizes);
  }

 private:
  std::vector<torch::Tensor> buffers_;
};

}  // namespace trigml::model::detail

// Byte (and number) buffers that do not zero-fill on resize: decoders overwrite every byte they grow by,
// and buffers are reused across reads, so clearing would only cost time.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace trigml {

template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <typename T>
using UninitializedVector = std::vector<T, DefaultInitAllocator<T>>;
using ByteBuffer = UninitializedVector<std::byte>;

}  // namespace trigml

#include "common/allocator.hpp"

#include <malloc.h>

namespace trigml {

void keep_freed_memory_for_reuse() {
  // Allocations up to 1 GiB come from the heap; the heap's top is never trimmed back.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, -1);
}

}  // namespace trigml

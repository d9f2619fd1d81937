// Process-wide allocator settings for trigml's programs (the command line and the benchmarks).
#pragma once

namespace trigml {

// Keeps large freed buffers in the heap for reuse instead of returning them to the kernel. glibc
// maps every allocation above its threshold (at most 32 MiB) afresh and unmaps it when freed, so a
// pipeline that decodes row group after row group into new buffers pays a page fault for every
// 4 KiB it touches, each time: measured, half of `trigml prepare`'s time on a virtual machine.
// The price is that the resident size stays at its peak instead of shrinking after it.
void keep_freed_memory_for_reuse();

}  // namespace trigml

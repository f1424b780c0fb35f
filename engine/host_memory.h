// Host memory for transfer buffers: page-locked (pinned) when the CUDA backend is built and a device
// is present, else 64-byte aligned ordinary memory. Freed blocks are cached by size for reuse.
#pragma once
#include <cstddef>
#include <memory>

namespace ye {

// A shared buffer of `bytes` bytes; the memory returns to the pinned cache when the last owner drops it.
std::shared_ptr<void> pinned_host_alloc(size_t bytes);

struct HostMemoryStats {
  size_t bytes_cached = 0;   // freed, kept for reuse
  size_t bytes_in_use = 0;
  size_t num_system_allocs = 0;
  bool pinned = false;       // true when the blocks are page-locked
};
HostMemoryStats host_memory_stats();

}  // namespace ye

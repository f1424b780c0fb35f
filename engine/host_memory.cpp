// Pinned host allocator with a size-class cache (see host_memory.h). Blocks are page-locked through
// cudaHostAlloc when a CUDA device is present; otherwise they are aligned heap blocks.
#include "engine/host_memory.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <vector>

#include "engine/device.h"
#include "kernels/error.h"
#ifdef YE_WITH_CUDA
#include <cuda_runtime.h>
#endif

namespace ye {
namespace {

class PinnedCache {
 public:
  std::shared_ptr<void> allocate(size_t bytes) {
    size_t size = round(bytes);
    void* p = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& list = free_[size];
      if (!list.empty()) {
        p = list.back();
        list.pop_back();
        stats_.bytes_cached -= size;
      }
      stats_.bytes_in_use += size;
    }
    if (!p) p = system_alloc(size);
    return std::shared_ptr<void>(p, [this, size](void* q) { release(q, size); });
  }

  HostMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    HostMemoryStats s = stats_;
    s.pinned = use_pinned_;
    return s;
  }

 private:
  static size_t round(size_t bytes) {
    size_t s = 4096;
    while (s < bytes) s += s < (1u << 20) ? s : (1u << 20);
    return s;
  }
  void* system_alloc(size_t size) {
    void* p = nullptr;
#ifdef YE_WITH_CUDA
    if (use_pinned_ && cudaHostAlloc(&p, size, cudaHostAllocPortable) != cudaSuccess) {
      cudaGetLastError();
      p = nullptr;
    }
#endif
    if (!p) p = std::aligned_alloc(64, size);
    YE_CHECK(p, "out of host memory: could not allocate ", size, " bytes for a transfer buffer");
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.num_system_allocs++;
    return p;
  }
  void release(void* p, size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_[size].push_back(p);
    stats_.bytes_in_use -= size;
    stats_.bytes_cached += size;
  }

  std::mutex mutex_;
  std::map<size_t, std::vector<void*>> free_;
  HostMemoryStats stats_;
  bool use_pinned_ = cuda_available();
};

PinnedCache& cache() {
  static PinnedCache* c = new PinnedCache();  // lives until exit: buffers may outlive static teardown
  return *c;
}

}  // namespace

std::shared_ptr<void> pinned_host_alloc(size_t bytes) { return cache().allocate(bytes); }
HostMemoryStats host_memory_stats() { return cache().stats(); }

}  // namespace ye

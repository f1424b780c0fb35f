// Device allocation dispatch: CPU aligned heap, or the per-device CUDA caching allocator.
#include "engine/allocator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "kernels/error.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#endif

namespace ye {

namespace {
// Host blocks are cached by size class like device blocks: fresh large blocks would come from mmap and
// page-fault on every train step.
class HostCache {
 public:
  void* allocate(size_t bytes) {
    size_t size = round(bytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.find(size);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        sizes_[p] = size;
        count_locked(size);
        return p;
      }
    }
    void* p = std::aligned_alloc(64, size);
    YE_CHECK(p, "out of host memory: could not allocate ", bytes, " bytes");
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_[p] = size;
    stats_.bytes_reserved += size;
    count_locked(size);
    return p;
  }
  void release(void* p) {
    if (!p) return;
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = sizes_.find(p);
    if (it == sizes_.end()) return;
    free_[it->second].push_back(p);
    stats_.bytes_in_use -= it->second;
    sizes_.erase(it);
  }
  AllocatorStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }
  void reset_peak() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_bytes_in_use = stats_.bytes_in_use;
  }

 private:
  static size_t round(size_t bytes) {
    if (bytes <= 512) return 512;
    size_t top = size_t(1) << (63 - __builtin_clzll(bytes));
    size_t step = std::max<size_t>(top / 4, 64);
    return (bytes + step - 1) / step * step;
  }
  void count_locked(size_t size) {
    stats_.num_allocs++;
    stats_.bytes_in_use += size;
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  }
  std::mutex mutex_;
  AllocatorStats stats_;  // bytes in rounded size classes
  std::unordered_map<void*, size_t> sizes_;
  std::unordered_map<size_t, std::vector<void*>> free_;
};

HostCache& host_cache() {
  static HostCache* cache = new HostCache();  // part of the CPU device's context; lives until exit
  return *cache;
}
}  // namespace

bool poison_allocations() {
  static const bool on = [] {
    const char* v = std::getenv("YE_POISON_ALLOC");
    return v && v[0] == '1';
  }();
  return on;
}

void* device_alloc(Device device, size_t bytes) {
  if (device.is_cpu()) {
    void* p = host_cache().allocate(bytes);
    if (poison_allocations()) std::memset(p, 0xFF, std::max<size_t>(bytes, 1));
    return p;
  }
#ifdef YE_WITH_CUDA
  auto& ctx = cuda::context(device.index);
  void* p = ctx.allocator.allocate(bytes, ctx.stream);
  if (poison_allocations() && bytes > 0) YE_CUDA_CHECK(cudaMemsetAsync(p, 0xFF, bytes, ctx.stream));
  return p;
#else
  YE_FAIL("device ", device.str(), " requested but the engine was built without CUDA");
#endif
}

void device_free(Device device, void* ptr) {
  if (device.is_cpu()) {
    host_cache().release(ptr);
    return;
  }
#ifdef YE_WITH_CUDA
  cuda::context(device.index).allocator.free(ptr);
#endif
}

AllocatorStats allocator_stats(Device device) {
#ifdef YE_WITH_CUDA
  if (device.is_cuda()) return cuda::context(device.index).allocator.stats();
#endif
  return {};
}

DeviceMemory device_memory(Device device) {
  DeviceMemory m;
#ifdef YE_WITH_CUDA
  if (device.is_cuda()) {
    cuda::set_device(device.index);
    YE_CUDA_CHECK(cudaMemGetInfo(&m.free, &m.total));
  }
#endif
  return m;
}

AllocatorStats host_allocator_stats() { return host_cache().stats(); }
void host_allocator_reset_peak() { host_cache().reset_peak(); }

void allocator_reset_peak(Device device) {
#ifdef YE_WITH_CUDA
  if (device.is_cuda()) cuda::context(device.index).allocator.reset_peak();
#endif
}

void allocator_empty_cache(Device device) {
#ifdef YE_WITH_CUDA
  if (device.is_cuda()) cuda::context(device.index).allocator.empty_cache();
#endif
}

}  // namespace ye

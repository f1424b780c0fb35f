// Device allocation dispatch: CPU aligned heap, or the per-device CUDA caching allocator.
#include "engine/allocator.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/error.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#include "engine/cuda_check.h"
#endif

namespace ye {

bool poison_allocations() {
  static const bool on = [] {
    const char* v = std::getenv("YE_POISON_ALLOC");
    return v && v[0] == '1';
  }();
  return on;
}

void* device_alloc(Device device, size_t bytes) {
  if (device.is_cpu()) {
    size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    YE_CHECK(p, "out of host memory: could not allocate ", bytes, " bytes");
    if (poison_allocations()) std::memset(p, 0xFF, rounded);
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
    std::free(ptr);
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

// Device allocation dispatch: CPU aligned heap, or the per-device CUDA caching allocator.
#include "engine/allocator.h"

#include <cstdlib>

#include "engine/error.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#endif

namespace ye {

void* device_alloc(Device device, size_t bytes) {
  if (device.is_cpu()) {
    size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    YE_CHECK(p, "out of host memory: could not allocate ", bytes, " bytes");
    return p;
  }
#ifdef YE_WITH_CUDA
  auto& ctx = cuda::context(device.index);
  return ctx.allocator.allocate(bytes, ctx.stream);
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

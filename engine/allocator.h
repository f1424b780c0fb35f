// Device memory for tensors: raw allocation on a device (CPU: 64-byte aligned heap; CUDA: the caching
// allocator of engine/cuda/caching_allocator.h) and the caching allocator's statistics, which are
// queryable (as zeros) in a CPU-only build too.
#pragma once
#include <cstddef>

#include "engine/device.h"

namespace ye {

void* device_alloc(Device device, size_t bytes);
// With YE_POISON_ALLOC=1 in the environment (the test mains set it) every allocation is filled with
// 0xFF bytes (NaN in f32/f16/bf16), so an output element a kernel forgot to write fails comparisons.
bool poison_allocations();
void device_free(Device device, void* ptr);

struct AllocatorStats {
  size_t bytes_in_use = 0;       // handed out to tensors now
  size_t peak_bytes_in_use = 0;  // since the last reset_peak
  size_t bytes_reserved = 0;     // in use + cached, i.e. what cudaMalloc holds
  size_t num_device_mallocs = 0; // cudaMalloc calls so far
  size_t num_allocs = 0;         // allocation requests served (cache hits included)
};
AllocatorStats allocator_stats(Device device);
// The device's free and total memory as the driver reports them (cudaMemGetInfo); zeros on the CPU.
struct DeviceMemory {
  size_t free = 0, total = 0;
};
DeviceMemory device_memory(Device device);
void allocator_reset_peak(Device device);
void allocator_empty_cache(Device device);
// The CPU tensor allocator's statistics (allocator_stats(cpu) stays zeros, as results.csv's GPU memory).
AllocatorStats host_allocator_stats();
void host_allocator_reset_peak();  // gives cached, unused blocks back to the driver

}  // namespace ye

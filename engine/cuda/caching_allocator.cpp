// Implementation of the CUDA caching allocator (see caching_allocator.h for the policy).
#include "engine/cuda/caching_allocator.h"

#include <bit>
#include <sstream>

#include "kernels/cuda/cuda_check.h"

namespace ye::cuda {
namespace {
std::string gib(size_t bytes) {
  std::ostringstream os;
  os.precision(3);
  os << double(bytes) / double(1ull << 30) << " GiB";
  return os.str();
}
}  // namespace

CachingAllocator::~CachingAllocator() {
  // Process teardown: the driver frees device memory; freeing here could run after the context died.
}

size_t CachingAllocator::round_size(size_t bytes) {
  if (bytes <= 512) return 512;
  size_t top = std::bit_floor(bytes);
  size_t step = top / 4;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::allocate(size_t bytes, cudaStream_t stream) {
  size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.num_allocs++;
  void* ptr = nullptr;
  auto it = cache_.find({stream, size});
  if (it != cache_.end() && !it->second.empty()) {
    ptr = it->second.back();
    it->second.pop_back();
  } else {
    ptr = malloc_or_retry(size, bytes);
    stats_.bytes_reserved += size;
  }
  live_[ptr] = Block{size, stream};
  stats_.bytes_in_use += size;
  stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  return ptr;
}

void* CachingAllocator::malloc_or_retry(size_t size, size_t requested) {
  YE_CUDA_CHECK(cudaSetDevice(device_));
  void* ptr = nullptr;
  cudaError_t err = cudaMalloc(&ptr, size);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    YE_CUDA_CHECK(cudaDeviceSynchronize());
    release_cached_locked();
    err = cudaMalloc(&ptr, size);
  }
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    YE_FAIL("CUDA out of memory on cuda:", device_, ": tried to allocate ", gib(requested), "; ",
            gib(stats_.bytes_in_use), " in use by tensors, ", gib(free_b), " free of ", gib(total_b),
            ". Try a smaller --batch, or keep the total batch and raise --accumulate");
  }
  YE_CUDA_CHECK(err);
  stats_.num_device_mallocs++;
  return ptr;
}

void CachingAllocator::free(void* ptr) {
  if (!ptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(ptr);
  YE_CHECK(it != live_.end(), "CachingAllocator::free of a pointer it did not allocate");
  Block b = it->second;
  live_.erase(it);
  stats_.bytes_in_use -= b.size;
  cache_[{b.stream, b.size}].push_back(ptr);
}

void CachingAllocator::release_cached_locked() {
  for (auto& [key, ptrs] : cache_) {
    for (void* p : ptrs) {
      cudaFree(p);
      stats_.bytes_reserved -= key.second;
    }
  }
  cache_.clear();
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mutex_);
  YE_CUDA_CHECK(cudaSetDevice(device_));
  YE_CUDA_CHECK(cudaDeviceSynchronize());
  release_cached_locked();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
}

}  // namespace ye::cuda

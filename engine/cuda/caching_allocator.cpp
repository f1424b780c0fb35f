// Implementation of the CUDA caching allocator (see caching_allocator.h for the policy).
#include "engine/cuda/caching_allocator.h"

#include <bit>

#include "engine/oom_message.h"
#include "kernels/cuda/cuda_check.h"

namespace ye::cuda {

CachingAllocator::~CachingAllocator() {
  // Process teardown: the driver frees device memory; freeing here could run after the context died.
}

size_t CachingAllocator::round_size(size_t bytes) {
  if (bytes <= 512) return 512;
  size_t top = std::bit_floor(bytes);
  size_t step = top / 4;
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::take_cached_locked(int pool, cudaStream_t stream, size_t size) {
  auto it = cache_.find({pool, stream, size});
  if (it == cache_.end() || it->second.empty()) return nullptr;
  void* ptr = it->second.back();
  it->second.pop_back();
  return ptr;
}

void* CachingAllocator::allocate(size_t bytes, cudaStream_t stream) {
  size_t size = round_size(bytes);
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.num_allocs++;
  const int pool = active_pool_;
  void* ptr = take_cached_locked(pool, stream, size);
  if (!ptr && pool != 0) {
    // A free block of the default pool moves into the private pool: it is unused, and from now on only
    // the graph's replays write it.
    ptr = take_cached_locked(0, stream, size);
    if (ptr) pool_bytes_[pool] += size;
  }
  if (!ptr) {
    ptr = malloc_or_retry(size, bytes);
    stats_.bytes_reserved += size;
    if (pool != 0) pool_bytes_[pool] += size;
  }
  live_[ptr] = Block{size, stream, pool};
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
    YE_FAIL(cuda_oom_message({device_, requested, stats_.bytes_in_use, stats_.bytes_reserved, free_b, total_b}));
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
  if (active_pool_ != 0 && b.pool == 0) {
    // Freed during a capture: the graph being recorded may have used it, so it joins the graph's pool.
    b.pool = active_pool_;
    pool_bytes_[b.pool] += b.size;
  }
  cache_[{b.pool, b.stream, b.size}].push_back(ptr);
}

int CachingAllocator::new_pool_id() {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_pool_++;
}

void CachingAllocator::begin_pool(int id) {
  std::lock_guard<std::mutex> lock(mutex_);
  YE_CHECK(id > 0 && active_pool_ == 0, "CachingAllocator::begin_pool(", id, ") while pool ", active_pool_,
           " is active");
  active_pool_ = id;
}

void CachingAllocator::end_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  active_pool_ = 0;
}

void CachingAllocator::release_pool(int id) {
  std::lock_guard<std::mutex> lock(mutex_);
  YE_CHECK(id != active_pool_, "CachingAllocator::release_pool(", id, ") while it is active");
  for (auto it = cache_.begin(); it != cache_.end();) {
    auto [pool, stream, size] = it->first;
    if (pool != id) {
      ++it;
      continue;
    }
    auto& dst = cache_[{0, stream, size}];
    dst.insert(dst.end(), it->second.begin(), it->second.end());
    it = cache_.erase(it);
  }
  for (auto& [ptr, block] : live_)
    if (block.pool == id) block.pool = 0;
  pool_bytes_.erase(id);
}

size_t CachingAllocator::pool_bytes(int id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = pool_bytes_.find(id);
  return it == pool_bytes_.end() ? 0 : it->second;
}

void CachingAllocator::release_cached_locked() {
  // Only the default pool's blocks: a private pool's free blocks are still addressed by its graph.
  for (auto it = cache_.begin(); it != cache_.end();) {
    auto [pool, stream, size] = it->first;
    if (pool != 0) {
      ++it;
      continue;
    }
    for (void* p : it->second) {
      cudaFree(p);
      stats_.bytes_reserved -= size;
    }
    it = cache_.erase(it);
  }
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

// CUDA caching allocator: requests are rounded to size classes (512 B minimum, then four classes per
// power of two), freed blocks are kept per (stream, class) and reused without a cudaMalloc, so a
// repeated train-step pattern stops calling cudaMalloc after warm-up. OOM says what was asked and held.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "engine/allocator.h"

namespace ye::cuda {

class CachingAllocator {
 public:
  explicit CachingAllocator(int device) : device_(device) {}
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t bytes, cudaStream_t stream);
  void free(void* ptr);
  void empty_cache();
  AllocatorStats stats() const;
  void reset_peak();
  static size_t round_size(size_t bytes);

 private:
  struct Block {
    size_t size;
    cudaStream_t stream;
  };
  void* malloc_or_retry(size_t size, size_t requested);
  void release_cached_locked();

  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<void*, Block> live_;
  std::map<std::pair<cudaStream_t, size_t>, std::vector<void*>> cache_;
  AllocatorStats stats_;
};

}  // namespace ye::cuda

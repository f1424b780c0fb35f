// CUDA caching allocator: requests are rounded to size classes (512 B minimum, then four classes per
// power of two), freed blocks are kept per (pool, stream, class) and reused without a cudaMalloc, so a
// repeated train-step pattern stops calling cudaMalloc after warm-up. Private pools serve CUDA-graph
// captures: while one is active, allocations come from it (or are moved into it from the default cache)
// and blocks freed into it stay reserved for the graph's replays. OOM says what was asked and held.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <tuple>
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

  // Private pools (id > 0). begin_pool makes `id` the pool that allocations come from until end_pool;
  // release_pool hands its cached blocks back to the default pool and its live blocks will return there.
  int new_pool_id();
  void begin_pool(int id);
  void end_pool();
  void release_pool(int id);
  size_t pool_bytes(int id) const;  // bytes held by the pool (live + cached)

 private:
  struct Block {
    size_t size;
    cudaStream_t stream;
    int pool;
  };
  using Key = std::tuple<int, cudaStream_t, size_t>;
  void* malloc_or_retry(size_t size, size_t requested);
  void* take_cached_locked(int pool, cudaStream_t stream, size_t size);
  void release_cached_locked();

  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<void*, Block> live_;
  std::map<Key, std::vector<void*>> cache_;
  std::map<int, size_t> pool_bytes_;
  int active_pool_ = 0;
  int next_pool_ = 1;
  AllocatorStats stats_;
};

}  // namespace ye::cuda

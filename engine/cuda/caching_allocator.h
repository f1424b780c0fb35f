// CUDA caching allocator: requests are rounded to size classes (512 B minimum, then four classes per
// power of two), freed blocks are kept per (pool, stream, class) and reused without a cudaMalloc, so a
// repeated train-step pattern stops calling cudaMalloc after warm-up. Private pools serve CUDA-graph
// captures: while one is active, allocations come from it (or are moved into it from the default cache)
// and blocks freed into it stay reserved for the graph's replays; a pool may instead record its
// allocations (a trace) or serve them from one arena at offsets planned from such a trace
// (engine/memory_plan.h). OOM says what was asked and held.
#pragma once
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/allocator.h"
#include "engine/memory_plan.h"

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

  // Lifetime-planned pools, for captures that repeat. begin_traced_pool is begin_pool that also records
  // the pool's allocations and frees on `stream` (end_pool returns them). begin_planned_pool serves the
  // pool's allocations on `stream` from one arena at `plan`'s offsets for as long as the events repeat
  // `trace` exactly; from the first difference on, they come from the pool's cache as usual (blocks
  // already placed stay valid: up to there the lifetimes are the planned ones).
  void begin_traced_pool(int id, cudaStream_t stream);
  void begin_planned_pool(int id, cudaStream_t stream, const std::vector<MemoryEvent>& trace, const MemoryPlan& plan);
  std::vector<MemoryEvent> end_pool_trace();  // end_pool, returning the trace of a traced pool
  struct PlanUse {
    size_t planned = 0;     // allocations served from the arena
    size_t arena_bytes = 0;
    bool diverged = false;  // the events left the trace (the rest came from the cache)
  };
  PlanUse plan_use(int id) const;

 private:
  struct Block {
    size_t size;
    cudaStream_t stream;
    int pool;
    int arena = 0;  // the pool whose arena holds the block (0: a block of its own)
  };
  struct Arena {
    char* base = nullptr;
    size_t bytes = 0;
    size_t live = 0;        // blocks handed out and not yet freed
    bool released = false;  // its pool was released: freed once no block is live
  };
  // The active pool's trace (recording) or plan (replaying it).
  struct Recording {
    int pool = 0;
    cudaStream_t stream = nullptr;
    bool tracing = false;
    std::vector<MemoryEvent> events;
    std::vector<size_t> offsets, sizes;
    std::unordered_map<void*, int64_t> index_of;  // live recorded blocks -> allocation number
    int64_t next_index = 0;
    size_t cursor = 0;  // planned: the next expected event
    PlanUse use;
  };
  void* allocate_planned_locked(size_t bytes, cudaStream_t stream);
  void record_free_locked(void* ptr);
  void free_dead_arenas_locked();
  using Key = std::tuple<int, cudaStream_t, size_t>;
  void* malloc_or_retry(size_t size, size_t requested);
  void* take_cached_locked(int pool, cudaStream_t stream, size_t size);
  void release_cached_locked();

  int device_;
  mutable std::mutex mutex_;
  std::unordered_map<void*, Block> live_;
  std::map<Key, std::vector<void*>> cache_;
  std::map<int, size_t> pool_bytes_;
  std::map<int, Arena> arenas_;
  std::map<int, PlanUse> plan_use_;
  Recording rec_;
  int active_pool_ = 0;
  int next_pool_ = 1;
  AllocatorStats stats_;
};

}  // namespace ye::cuda

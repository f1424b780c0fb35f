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
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.num_allocs++;
  const bool recorded = rec_.pool != 0 && rec_.pool == active_pool_ && stream == rec_.stream;
  if (recorded && !rec_.tracing)
    if (void* ptr = allocate_planned_locked(bytes, stream)) return ptr;
  size_t size = round_size(bytes);
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
  if (recorded && rec_.tracing) {
    rec_.index_of[ptr] = rec_.next_index++;
    rec_.events.push_back(MemoryEvent::alloc(bytes));
  }
  return ptr;
}

void* CachingAllocator::allocate_planned_locked(size_t bytes, cudaStream_t stream) {
  if (rec_.use.diverged) return nullptr;
  const bool expected = rec_.cursor < rec_.events.size() && !rec_.events[rec_.cursor].is_free &&
                        rec_.events[rec_.cursor].bytes == bytes;
  if (!expected) {
    rec_.use.diverged = true;
    return nullptr;
  }
  const int64_t i = rec_.next_index++;
  rec_.cursor++;
  Arena& arena = arenas_.at(rec_.pool);
  void* ptr = arena.base + rec_.offsets[i];
  rec_.index_of[ptr] = i;
  arena.live++;
  live_[ptr] = Block{rec_.sizes[i], stream, rec_.pool, rec_.pool};
  stats_.bytes_in_use += rec_.sizes[i];
  stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  rec_.use.planned++;
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
  record_free_locked(ptr);
  if (b.arena != 0) {
    Arena& arena = arenas_.at(b.arena);
    arena.live--;
    if (arena.released && arena.live == 0) free_dead_arenas_locked();
    return;
  }
  if (active_pool_ != 0 && b.pool == 0) {
    // Freed during a capture: the graph being recorded may have used it, so it joins the graph's pool.
    b.pool = active_pool_;
    pool_bytes_[b.pool] += b.size;
  }
  cache_[{b.pool, b.stream, b.size}].push_back(ptr);
}

void CachingAllocator::record_free_locked(void* ptr) {
  if (rec_.pool == 0) return;
  auto it = rec_.index_of.find(ptr);
  if (it == rec_.index_of.end()) return;
  const int64_t i = it->second;
  rec_.index_of.erase(it);
  if (rec_.tracing) {
    rec_.events.push_back(MemoryEvent::release(i));
    return;
  }
  if (rec_.use.diverged) return;
  const bool expected = rec_.cursor < rec_.events.size() && rec_.events[rec_.cursor].is_free &&
                        rec_.events[rec_.cursor].index == i;
  if (expected) {
    rec_.cursor++;
  } else {
    rec_.use.diverged = true;
  }
}

void CachingAllocator::free_dead_arenas_locked() {
  if (active_pool_ != 0) return;  // no synchronisation inside a capture: the next chance frees them
  for (auto it = arenas_.begin(); it != arenas_.end();) {
    if (!it->second.released || it->second.live != 0) {
      ++it;
      continue;
    }
    if (it->second.base) {
      YE_CUDA_CHECK(cudaSetDevice(device_));
      YE_CUDA_CHECK(cudaDeviceSynchronize());  // eager work may still read its last blocks
      YE_CUDA_CHECK(cudaFree(it->second.base));
      stats_.bytes_reserved -= it->second.bytes;
    }
    it = arenas_.erase(it);
  }
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

void CachingAllocator::begin_traced_pool(int id, cudaStream_t stream) {
  begin_pool(id);
  std::lock_guard<std::mutex> lock(mutex_);
  rec_ = Recording{};
  rec_.pool = id, rec_.stream = stream, rec_.tracing = true;
}

void CachingAllocator::begin_planned_pool(int id, cudaStream_t stream, const std::vector<MemoryEvent>& trace,
                                          const MemoryPlan& plan) {
  size_t allocs = 0;
  for (const MemoryEvent& e : trace) allocs += e.is_free ? 0 : 1;
  YE_CHECK(plan.offsets.size() == allocs && plan.sizes.size() == allocs, "CachingAllocator::begin_planned_pool: a plan of ",
           plan.offsets.size(), " blocks for a trace of ", allocs, " allocations");
  begin_pool(id);
  std::lock_guard<std::mutex> lock(mutex_);
  Arena& arena = arenas_[id];
  arena.bytes = plan.arena_bytes;
  if (arena.bytes > 0) {
    arena.base = static_cast<char*>(malloc_or_retry(arena.bytes, arena.bytes));
    stats_.bytes_reserved += arena.bytes;
    pool_bytes_[id] += arena.bytes;
  }
  rec_ = Recording{};
  rec_.pool = id, rec_.stream = stream, rec_.events = trace, rec_.offsets = plan.offsets, rec_.sizes = plan.sizes;
  rec_.use.arena_bytes = arena.bytes;
}

void CachingAllocator::end_pool() { end_pool_trace(); }

std::vector<MemoryEvent> CachingAllocator::end_pool_trace() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<MemoryEvent> trace;
  if (rec_.pool != 0 && rec_.tracing) trace = std::move(rec_.events);
  if (rec_.pool != 0 && !rec_.tracing) plan_use_[rec_.pool] = rec_.use;
  rec_ = Recording{};
  active_pool_ = 0;
  free_dead_arenas_locked();
  return trace;
}

CachingAllocator::PlanUse CachingAllocator::plan_use(int id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = plan_use_.find(id);
  return it == plan_use_.end() ? PlanUse{} : it->second;
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
    if (block.pool == id && block.arena == 0) block.pool = 0;
  auto arena = arenas_.find(id);
  if (arena != arenas_.end()) arena->second.released = true;
  pool_bytes_.erase(id);
  plan_use_.erase(id);
  free_dead_arenas_locked();
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

// Memory planned by lifetime: from the ordered allocations and frees of one recorded step (a trace),
// an offset for every allocation in one arena such that blocks whose lifetimes overlap never share
// bytes. Greedy by size (largest first, lowest offset that fits), so the arena comes close to the
// trace's peak of live bytes instead of what a per-size-class cache holds. Pure host code.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ye {

// One event of a trace: an allocation of `bytes`, or the free of allocation number `index` (the
// allocations of a trace are numbered in order from 0). Allocations never freed live to the end.
struct MemoryEvent {
  bool is_free = false;
  size_t bytes = 0;
  int64_t index = 0;
  static MemoryEvent alloc(size_t b) { return {false, b, 0}; }
  static MemoryEvent release(int64_t i) { return {true, 0, i}; }
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // per allocation, in trace order
  std::vector<size_t> sizes;    // per allocation, rounded up to the alignment (at least one unit)
  size_t arena_bytes = 0;       // the arena that holds them all
  size_t live_peak_bytes = 0;   // the most (rounded) bytes live at once: no plan needs less
};

// Plans `trace` with every block rounded up to `alignment` (a power of two). Throws on a malformed
// trace (a free of an unknown or already freed allocation).
MemoryPlan plan_by_lifetime(const std::vector<MemoryEvent>& trace, size_t alignment = 512);

}  // namespace ye

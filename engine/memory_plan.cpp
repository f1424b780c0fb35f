// plan_by_lifetime (see memory_plan.h): lifetimes from the trace, then greedy placement by size with
// first fit among the blocks live at the same time.
#include "engine/memory_plan.h"

#include <algorithm>
#include <numeric>

#include "kernels/error.h"

namespace ye {

namespace {

struct Lifetime {
  size_t begin, end;  // event positions: live from the allocation up to (not including) the free
};

bool overlap(const Lifetime& a, const Lifetime& b) { return a.begin < b.end && b.begin < a.end; }

}  // namespace

MemoryPlan plan_by_lifetime(const std::vector<MemoryEvent>& trace, size_t alignment) {
  YE_CHECK(alignment > 0 && (alignment & (alignment - 1)) == 0, "plan_by_lifetime: alignment ", alignment,
           " is not a power of two");
  MemoryPlan plan;
  std::vector<Lifetime> life;
  size_t live = 0;
  for (size_t t = 0; t < trace.size(); ++t) {
    const MemoryEvent& e = trace[t];
    if (!e.is_free) {
      // At least one unit: no empty blocks, so live blocks keep distinct addresses.
      plan.sizes.push_back((std::max<size_t>(e.bytes, 1) + alignment - 1) / alignment * alignment);
      life.push_back({t, trace.size()});
      live += plan.sizes.back();
      plan.live_peak_bytes = std::max(plan.live_peak_bytes, live);
      continue;
    }
    YE_CHECK(e.index >= 0 && size_t(e.index) < life.size() && life[e.index].end == trace.size(),
             "plan_by_lifetime: event ", t, " frees allocation ", e.index, ", which is not live");
    life[e.index].end = t;
    live -= plan.sizes[e.index];
  }
  const size_t n = plan.sizes.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return plan.sizes[a] > plan.sizes[b]; });
  plan.offsets.assign(n, 0);
  std::vector<size_t> placed, neighbours;
  placed.reserve(n);
  for (size_t i : order) {
    neighbours.clear();
    for (size_t j : placed)
      if (overlap(life[i], life[j])) neighbours.push_back(j);
    std::sort(neighbours.begin(), neighbours.end(),
              [&](size_t a, size_t b) { return plan.offsets[a] < plan.offsets[b]; });
    size_t offset = 0;
    for (size_t j : neighbours) {
      if (plan.offsets[j] >= offset + plan.sizes[i]) break;  // the gap below j holds block i
      offset = std::max(offset, plan.offsets[j] + plan.sizes[j]);
    }
    plan.offsets[i] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + plan.sizes[i]);
    placed.push_back(i);
  }
  return plan;
}

}  // namespace ye

// Lifetime memory planning (engine/memory_plan.h): blocks live at the same time never share bytes,
// offsets are aligned, the arena is exact on traces whose optimum is known, stays near the peak of
// live bytes on random step-like traces, and a malformed trace is refused.
#include <doctest/doctest.h>

#include <random>

#include "engine/memory_plan.h"
#include "kernels/error.h"

using namespace ye;

namespace {

// Every pair of allocations whose lifetimes overlap occupies disjoint byte ranges of the arena.
void check_disjoint(const std::vector<MemoryEvent>& trace, const MemoryPlan& plan, size_t alignment) {
  std::vector<size_t> begin, end;
  for (size_t t = 0; t < trace.size(); ++t) {
    if (!trace[t].is_free) {
      begin.push_back(t), end.push_back(trace.size());
    } else {
      end[trace[t].index] = t;
    }
  }
  REQUIRE(plan.offsets.size() == begin.size());
  for (size_t i = 0; i < begin.size(); ++i) {
    CHECK(plan.offsets[i] % alignment == 0);
    CHECK(plan.offsets[i] + plan.sizes[i] <= plan.arena_bytes);
    for (size_t j = i + 1; j < begin.size(); ++j) {
      const bool live_together = begin[i] < end[j] && begin[j] < end[i];
      const bool share = plan.offsets[i] < plan.offsets[j] + plan.sizes[j] && plan.offsets[j] < plan.offsets[i] + plan.sizes[i];
      if (live_together && share) FAIL("allocations ", i, " and ", j, " are live together and overlap");
    }
  }
}

// A forward/backward-like trace: activations pushed (some temporaries freed at once), then popped in
// reverse order while gradients of other sizes come and go; a few blocks live to the end.
std::vector<MemoryEvent> step_like_trace(uint64_t seed, int layers) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> size(1, 1 << 22);
  std::vector<MemoryEvent> trace;
  std::vector<int64_t> saved;
  int64_t next = 0;
  for (int l = 0; l < layers; ++l) {
    trace.push_back(MemoryEvent::alloc(size(rng)));
    saved.push_back(next++);
    if (rng() % 3 == 0) {
      trace.push_back(MemoryEvent::alloc(size(rng) / 4));
      trace.push_back(MemoryEvent::release(next++));
    }
  }
  int64_t grad = -1;
  while (!saved.empty()) {
    trace.push_back(MemoryEvent::alloc(size(rng)));
    const int64_t g = next++;
    if (grad >= 0) trace.push_back(MemoryEvent::release(grad));
    grad = g;
    if (rng() % 5 != 0) trace.push_back(MemoryEvent::release(saved.back()));  // else: kept to the end
    saved.pop_back();
  }
  return trace;
}

}  // namespace

TEST_CASE("memory plan: exact arenas on traces with a known optimum") {
  using E = MemoryEvent;
  // One block at a time: all share offset 0.
  MemoryPlan seq = plan_by_lifetime({E::alloc(1000), E::release(0), E::alloc(1000), E::release(1), E::alloc(700)});
  CHECK(seq.arena_bytes == 1024);
  CHECK(seq.live_peak_bytes == 1024);
  // Two smaller blocks fill the hole a larger one left (a per-size cache would malloc both anew).
  MemoryPlan hole = plan_by_lifetime({E::alloc(4096), E::alloc(100), E::release(0), E::alloc(2048), E::alloc(2048)});
  CHECK(hole.arena_bytes == 4096 + 512);
  CHECK(hole.live_peak_bytes == 4096 + 512);
  CHECK(hole.offsets[2] != hole.offsets[3]);
  // Nested lifetimes add up; rounding goes to the alignment.
  MemoryPlan nest = plan_by_lifetime({E::alloc(1), E::alloc(513), E::release(1), E::release(0)}, 256);
  CHECK(nest.sizes == std::vector<size_t>{256, 768});
  CHECK(nest.arena_bytes == 1024);
  check_disjoint({E::alloc(1), E::alloc(513), E::release(1), E::release(0)}, nest, 256);
  CHECK(plan_by_lifetime({}).arena_bytes == 0);
}

TEST_CASE("memory plan: random step-like traces never overlap live blocks and stay near the live peak") {
  for (uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    const std::vector<MemoryEvent> trace = step_like_trace(seed, 120);
    const MemoryPlan plan = plan_by_lifetime(trace);
    check_disjoint(trace, plan, 512);
    CHECK(plan.arena_bytes >= plan.live_peak_bytes);
    // Deterministic for these seeds; greedy by size comes within 5% of the lower bound here (0.0-0.7% seen).
    CHECK(double(plan.arena_bytes) <= 1.05 * double(plan.live_peak_bytes));
    MESSAGE("seed ", seed, ": arena / live peak = ", double(plan.arena_bytes) / double(plan.live_peak_bytes));
  }
}

TEST_CASE("memory plan: a malformed trace is refused") {
  using E = MemoryEvent;
  CHECK_THROWS_AS(plan_by_lifetime({E::alloc(8), E::release(0), E::release(0)}), Error);
  CHECK_THROWS_AS(plan_by_lifetime({E::alloc(8), E::release(3)}), Error);
  CHECK_THROWS_AS(plan_by_lifetime({E::alloc(8)}, 48), Error);
}

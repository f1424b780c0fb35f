// A recorded piece of device work that replays without the host: on CUDA, a CUDA graph captured from
// the device's compute stream with its own private memory pool (so its temporaries keep their
// addresses between replays and nothing outside the graph reuses them); on the CPU capture is not
// available and `capture` says so. A failed capture leaves the stream usable and explains why.
// The pool is planned by lifetime: a first recording traces its allocations, a second places them in
// one arena (engine/memory_plan.h), which holds about the peak of live bytes instead of a size-class cache.
#pragma once
#include <functional>
#include <memory>
#include <string>

#include "engine/device.h"

namespace ye {

class StepGraph {
 public:
  StepGraph();
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Records `work` (which must only enqueue device work on `device`'s compute stream: no host reads,
  // no synchronisation) without running it. Returns false, with the reason in `why`, when the device
  // cannot capture or `work` did something a capture forbids; then nothing of `work` has run.
  // With memory planning (the default) `work` runs twice on the host: its host effects must repeat.
  bool capture(Device device, const std::function<void()>& work, std::string* why);
  bool captured() const;
  void replay();             // enqueues the recorded work on the compute stream (asynchronous)
  void reset();              // drops the graph; its memory returns to the device's cache
  size_t pool_bytes() const; // device memory reserved by the graph's pool
  size_t num_nodes() const;  // recorded kernels, copies and memsets

  struct MemoryPlanStats {
    bool planned = false;          // the pool is a planned arena (false: the size-class cache)
    bool diverged = false;         // the second recording left the trace; the rest came from the cache
    size_t allocations = 0;        // traced allocations
    size_t placed = 0;             // of them served from the arena
    size_t cached_pool_bytes = 0;  // what the first recording's size-class pool held
    size_t arena_bytes = 0;
    size_t live_peak_bytes = 0;    // the trace's peak of live bytes: the least any plan needs
  };
  const MemoryPlanStats& memory_plan() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// False when YE_CUDA_GRAPH=0 is set in the environment (forces eager steps, for A/B comparisons).
bool step_graphs_enabled();
// False when YE_MEMORY_PLAN=0 is set: graph pools stay size-class caches (one recording).
bool graph_memory_plans_enabled();

}  // namespace ye

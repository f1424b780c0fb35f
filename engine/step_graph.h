// A recorded piece of device work that replays without the host: on CUDA, a CUDA graph captured from
// the device's compute stream with its own private memory pool (so its temporaries keep their
// addresses between replays and nothing outside the graph reuses them); on the CPU capture is not
// available and `capture` says so. A failed capture leaves the stream usable and explains why.
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
  bool capture(Device device, const std::function<void()>& work, std::string* why);
  bool captured() const;
  void replay();             // enqueues the recorded work on the compute stream (asynchronous)
  void reset();              // drops the graph; its memory returns to the device's cache
  size_t pool_bytes() const; // device memory reserved by the graph's pool
  size_t num_nodes() const;  // recorded kernels, copies and memsets

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// False when YE_CUDA_GRAPH=0 is set in the environment (forces eager steps, for A/B comparisons).
bool step_graphs_enabled();

}  // namespace ye

// Internal to the profiler: timestamps taken in the order work is enqueued. On CUDA each mark is an
// event recorded on the device's compute stream (so the interval between marks is the GPU time of
// the work enqueued between them); on the CPU, where ops run synchronously, the steady clock.
#pragma once
#include <chrono>
#include <vector>

#include "engine/device.h"

namespace ye::api {

class StepClock {
 public:
  explicit StepClock(Device device);
  ~StepClock();
  StepClock(const StepClock&) = delete;
  StepClock& operator=(const StepClock&) = delete;

  int mark();                        // id of the new mark, 0, 1, ... since reset()
  void reset();                      // a new measurement; CUDA events are reused
  std::vector<double> elapsed_ms();  // waits for the marks; each one's time after mark 0

 private:
  Device device_;
  int count_ = 0;
  std::vector<void*> events_;  // cudaEvent_t on CUDA
  std::vector<std::chrono::steady_clock::time_point> host_;
};

// NVTX ranges (no-ops without CUDA): nested push/pop, and start/end ranges that may overlap.
void nvtx_push(const char* name);
void nvtx_pop();
uint64_t nvtx_start(const char* name);
void nvtx_end(uint64_t id);

}  // namespace ye::api

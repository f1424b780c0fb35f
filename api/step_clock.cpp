// StepClock on CUDA events (the device's compute stream) or the host's steady clock, and the NVTX
// range helpers (header-only NVTX3 of the CUDA Toolkit; nothing in CPU-only builds).
#include "api/step_clock.h"

#include "engine/ops.h"
#include "kernels/error.h"

#ifdef YE_WITH_CUDA
#include <cuda_runtime.h>
#include <nvtx3/nvToolsExt.h>

#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#endif

namespace ye::api {

StepClock::StepClock(Device device) : device_(device) {}

StepClock::~StepClock() {
#ifdef YE_WITH_CUDA
  for (void* e : events_) cudaEventDestroy(static_cast<cudaEvent_t>(e));
#endif
}

void StepClock::reset() {
  count_ = 0;
  host_.clear();
}

int StepClock::mark() {
  if (device_.is_cuda()) {
#ifdef YE_WITH_CUDA
    if (count_ == int(events_.size())) {
      cudaEvent_t e = nullptr;
      YE_CUDA_CHECK(cudaEventCreate(&e));
      events_.push_back(e);
    }
    YE_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(events_[size_t(count_)]),
                                  cuda::context(device_.index).stream));
#endif
  } else {
    host_.push_back(std::chrono::steady_clock::now());
  }
  return count_++;
}

std::vector<double> StepClock::elapsed_ms() {
  std::vector<double> out(size_t(count_), 0.0);
  if (count_ == 0) return out;
  if (device_.is_cuda()) {
#ifdef YE_WITH_CUDA
    YE_CUDA_CHECK(cudaEventSynchronize(static_cast<cudaEvent_t>(events_[size_t(count_ - 1)])));
    for (int i = 1; i < count_; ++i) {
      float ms = 0;
      YE_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(events_[0]),
                                         static_cast<cudaEvent_t>(events_[size_t(i)])));
      out[size_t(i)] = ms;
    }
#endif
  } else {
    for (int i = 1; i < count_; ++i)
      out[size_t(i)] = std::chrono::duration<double, std::milli>(host_[size_t(i)] - host_[0]).count();
  }
  return out;
}

#ifdef YE_WITH_CUDA
void nvtx_push(const char* name) { nvtxRangePushA(name); }
void nvtx_pop() { nvtxRangePop(); }
uint64_t nvtx_start(const char* name) { return nvtxRangeStartA(name); }
void nvtx_end(uint64_t id) { nvtxRangeEnd(id); }
#else
void nvtx_push(const char*) {}
void nvtx_pop() {}
uint64_t nvtx_start(const char*) { return 0; }
void nvtx_end(uint64_t) {}
#endif

}  // namespace ye::api

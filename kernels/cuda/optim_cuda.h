// CUDA twins of kernels/optim.h. Pointers in StepControl, `hyper` and `decay` are device pointers (read
// when the kernel runs, so CUDA-graph replays see the values uploaded before them); `partials` is
// scratch of kOptimPartials floats for the deterministic two-stage norm reduction.
#pragma once
#include <cuda_runtime.h>

#include "kernels/optim.h"

namespace ye::kernels::cuda {
constexpr int kOptimPartials = 1024;
void unscale_and_norm(float* grad, int64_t n, const StepControl& ctl, float* partials, cudaStream_t s);
void sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, const GroupHyper* hyper, bool nesterov,
              const StepControl& ctl, cudaStream_t s);
void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n, const GroupHyper* hyper, float beta2,
                float eps, const StepControl& ctl, cudaStream_t s);
void ema_update(float* ema, const float* model, int64_t n, const float* decay, cudaStream_t s);
void update_loss_scale(const StepControl& ctl, int* growth_tracker, float growth, float backoff, int interval,
                       cudaStream_t s);
}  // namespace ye::kernels::cuda

// Raw optimizer kernels over contiguous f32 ranges of the parameter arena: gradient unscale with a
// non-finite check and squared norm, SGD (momentum, Nesterov, L2 decay as PyTorch), AdamW (decoupled
// decay), EMA blend, and the dynamic loss-scale update. Every control value that the GPU decides
// (found_inf, clip coefficient, loss scale) is read through a pointer, so no host sync is needed.
#pragma once
#include <cstdint>

namespace ye::kernels {

struct SgdParams {
  float lr, momentum, weight_decay;
  bool nesterov;
  bool first_step;  // momentum buffer starts as the first gradient (PyTorch)
};

struct AdamWParams {
  float lr, beta1, beta2, eps, weight_decay;
  int64_t step;  // 1-based, for bias correction
};

// Per-group hyperparameters as the CUDA step kernels read them from device memory, so a captured
// step (CUDA graph) follows learning-rate and momentum schedules that the host uploads before replay.
// SGD uses lr, momentum, weight_decay, first_step (0/1); AdamW lr, momentum (= beta1), weight_decay
// and the bias corrections step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t).
struct GroupHyper {
  float lr, momentum, weight_decay, first_step, step_size, bc2_sqrt;
};
GroupHyper sgd_hyper(const SgdParams& p);
GroupHyper adamw_hyper(const AdamWParams& p);

// Device-side state shared by the step kernels (all f32 scalars in device memory on CUDA).
struct StepControl {
  float* found_inf;    // 0 or 1, set by unscale_and_norm
  float* grad_sq_sum;  // sum of squared unscaled grads
  float* loss_scale;   // current scale; grads are divided by it
  float max_norm;      // clip threshold (<= 0: no clipping)
};

namespace cpu {
// g *= 1/scale; accumulates sum(g^2) into *ctl.grad_sq_sum and sets *ctl.found_inf on NaN/Inf.
void unscale_and_norm(float* grad, int64_t n, const StepControl& ctl);
void sgd_step(float* param, const float* grad, float* momentum_buf, int64_t n, const SgdParams& p,
              const StepControl& ctl);
void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWParams& p,
                const StepControl& ctl);
void ema_update(float* ema, const float* model, int64_t n, float decay);
// Dynamic loss scaling: x0.5 and reset the counter on inf/NaN; x2 after `interval` finite steps.
void update_loss_scale(const StepControl& ctl, int* growth_tracker, float growth, float backoff, int interval);
// Clip coefficient from the norm as clip_grad_norm_: min(max_norm / (norm + 1e-6), 1).
float clip_coefficient(float grad_sq_sum, float max_norm);
}  // namespace cpu

}  // namespace ye::kernels

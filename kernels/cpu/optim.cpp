// CPU optimizer kernels (see kernels/optim.h); the maths mirrors the CUDA versions line by line. The
// per-group hyperparameter records (GroupHyper) the CUDA kernels read are computed here for both.
#include <cmath>

#include "kernels/optim.h"

namespace ye::kernels {

GroupHyper sgd_hyper(const SgdParams& p) {
  return {p.lr, p.momentum, p.weight_decay, p.first_step ? 1.0f : 0.0f, 0.0f, 0.0f};
}

GroupHyper adamw_hyper(const AdamWParams& p) {
  float bc1 = 1.0f - std::pow(p.beta1, float(p.step));
  float bc2 = 1.0f - std::pow(p.beta2, float(p.step));
  return {p.lr, p.beta1, p.weight_decay, 0.0f, p.lr / bc1, std::sqrt(bc2)};
}

namespace cpu {

void unscale_and_norm(float* g, int64_t n, const StepControl& ctl) {
  float inv = 1.0f / *ctl.loss_scale;
  double sq = 0;
  bool bad = false;
  for (int64_t i = 0; i < n; ++i) {
    float v = g[i] * inv;
    g[i] = v;
    if (!std::isfinite(v)) bad = true;
    sq += double(v) * double(v);
  }
  *ctl.grad_sq_sum += float(sq);
  if (bad) *ctl.found_inf = 1.0f;
}

float clip_coefficient(float grad_sq_sum, float max_norm) {
  if (max_norm <= 0) return 1.0f;
  float norm = std::sqrt(grad_sq_sum);
  return std::fmin(max_norm / (norm + 1e-6f), 1.0f);
}

void sgd_step(float* w, const float* g, float* buf, int64_t n, const SgdParams& p, const StepControl& ctl) {
  if (*ctl.found_inf != 0.0f) return;
  float clip = clip_coefficient(*ctl.grad_sq_sum, ctl.max_norm);
  for (int64_t i = 0; i < n; ++i) {
    float d = g[i] * clip + p.weight_decay * w[i];
    float b = p.first_step ? d : p.momentum * buf[i] + d;
    buf[i] = b;
    float upd = p.nesterov ? d + p.momentum * b : b;
    w[i] -= p.lr * upd;
  }
}

void adamw_step(float* w, const float* g, float* m, float* v, int64_t n, const AdamWParams& p,
                const StepControl& ctl) {
  if (*ctl.found_inf != 0.0f) return;
  float clip = clip_coefficient(*ctl.grad_sq_sum, ctl.max_norm);
  const GroupHyper h = adamw_hyper(p);
  const float step_size = h.step_size, bc2_sqrt = h.bc2_sqrt;
  for (int64_t i = 0; i < n; ++i) {
    float gi = g[i] * clip;
    w[i] *= 1.0f - p.lr * p.weight_decay;
    m[i] = p.beta1 * m[i] + (1.0f - p.beta1) * gi;
    v[i] = p.beta2 * v[i] + (1.0f - p.beta2) * gi * gi;
    float denom = std::sqrt(v[i]) / bc2_sqrt + p.eps;
    w[i] -= step_size * m[i] / denom;
  }
}

void ema_update(float* ema, const float* model, int64_t n, float d) {
  for (int64_t i = 0; i < n; ++i) ema[i] = d * ema[i] + (1.0f - d) * model[i];
}

void update_loss_scale(const StepControl& ctl, int* tracker, float growth, float backoff, int interval) {
  if (*ctl.found_inf != 0.0f) {
    *ctl.loss_scale *= backoff;
    *tracker = 0;
  } else if (++*tracker >= interval) {
    *ctl.loss_scale *= growth;
    *tracker = 0;
  }
}

}  // namespace cpu
}  // namespace ye::kernels

// Cases of the optimizer / EMA family: whole-arena passes over the f32 parameter arena of YOLOv8/YOLO11
// n and s (parameter counts of the reference models; the batch does not enter): gradient unscale with
// the norm and non-finite check, SGD (Nesterov momentum, decay, clipping at 10), AdamW and the EMA blend.
// Bytes per parameter: each f32 array read or written once.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bench/common/harness.h"
#include "kernels/optim.h"

namespace ye::bench {

struct ArenaSize {
  const char* model;
  int64_t params;
};
inline std::vector<ArenaSize> arena_sizes(bool short_mode) {
  if (short_mode) return {{"v8n", 3157200}};
  return {{"v8n", 3157200}, {"v8s", 11166560}, {"11n", 2624080}, {"11s", 9458752}};
}

enum class OptimOp { unscale_norm, sgd, adamw, ema };
inline const std::vector<OptimOp>& optim_ops() {
  static const std::vector<OptimOp> ops = {OptimOp::unscale_norm, OptimOp::sgd, OptimOp::adamw, OptimOp::ema};
  return ops;
}
inline std::string optim_name(OptimOp op) {
  switch (op) {
    case OptimOp::unscale_norm: return "unscale_norm";
    case OptimOp::sgd: return "sgd_nesterov";
    case OptimOp::adamw: return "adamw";
    case OptimOp::ema: return "ema";
  }
  return "?";
}
inline double optim_bytes_per_param(OptimOp op) {
  switch (op) {
    case OptimOp::unscale_norm: return 8;  // grad read + written
    case OptimOp::sgd: return 20;          // param, grad, momentum read; param, momentum written
    case OptimOp::adamw: return 28;        // param, grad, m, v read; param, m, v written
    case OptimOp::ema: return 12;          // ema, model read; ema written
  }
  return 0;
}

inline kernels::SgdParams sgd_params() { return {0.01f, 0.937f, 5e-4f, true, false}; }
inline kernels::AdamWParams adamw_params() { return {1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, 3}; }
constexpr float kEmaDecay = 0.9999f;
// Host control values: no inf, grad norm^2 = 400 (norm 20: the clip to 10 halves the step), scale 1.
struct ControlValues {
  float found_inf = 0.f, grad_sq_sum = 400.f, loss_scale = 1.f;
};
constexpr float kMaxNorm = 10.f;

// Arrays: 0 param, 1 grad, 2 first buffer (momentum / m / EMA), 3 second buffer (v); values never zero.
inline std::vector<float> optim_init(int which, int64_t n) {
  const float lo[] = {-0.5f, -0.1f, -0.01f, 1e-6f}, hi[] = {0.5f, 0.1f, 0.01f, 1e-4f};
  return random_values(size_t(n), lo[which], hi[which], uint64_t(100 + which));
}

}  // namespace ye::bench

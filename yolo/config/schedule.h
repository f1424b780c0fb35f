// The optimisation schedule of the reference trainer (8.3.166) as pure functions: accumulation,
// weight-decay scaling, optimizer='auto', per-iteration warmup, linear/cosine lambda, EMA decay and
// the step condition. Per iteration ni = i + nb * epoch: w = warmup_state(ni, nw, ...); if
// (w.active) use w.accumulate / w.lr / w.momentum; if (should_step(ni, last, accumulate)) step,
// last = ni, ema decay = ema_decay(++updates).
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace ye::yolo {

// accumulate = max(round(nbs / batch), 1), batch = the total batch over all GPUs, Python round.
int64_t accumulate_steps(int64_t nbs, int64_t batch);

// Scaled weight decay: weight_decay * batch * accumulate / nbs.
double scaled_weight_decay(double weight_decay, int64_t batch, int64_t accumulate, int64_t nbs);

// Warmup length in iterations: max(round(warmup_epochs * nb), 100), or -1 if warmup_epochs <= 0.
int64_t warmup_iterations(double warmup_epochs, int64_t nb);

// Optimizer iterations used by 'auto': ceil(n_images / max(batch, nbs)) * epochs.
int64_t auto_optimizer_iterations(int64_t n_images, int64_t batch, int64_t nbs, int64_t epochs);

// numpy.interp for two points (x0 < x1): clamps outside, exact endpoints, same float maths.
double interp2(double x, double x0, double x1, double y0, double y1);

// The resolved optimizer: name (SGD, AdamW, ...), lr, momentum (SGD momentum or Adam beta1) and
// the warmup bias lr ('auto' forces it to 0.0).
struct OptimizerChoice {
  std::string name;
  double lr = 0, momentum = 0, warmup_bias_lr = 0;
  bool nesterov = false;  // SGD is always built with nesterov=True
};
// optimizer: as configured (case-insensitive; "auto" picks SGD(0.01, 0.9) when iterations > 10000,
// else AdamW(round(0.002 * 5 / (4 + nc), 6), 0.9)). Throws ye::Error for an unknown name.
OptimizerChoice choose_optimizer(const std::string& optimizer, double lr0, double momentum,
                                 double warmup_bias_lr, int64_t nc, int64_t iterations);

// Learning-rate lambda lf(epoch): linear max(1 - e/epochs, 0) * (1 - lrf) + lrf, or cosine
// max((1 - cos(e*pi/epochs)) / 2, 0) * (lrf - 1) + 1. Epoch e uses lf(e) for its whole duration.
double lr_lambda(int64_t epoch, int64_t epochs, double lrf, bool cos_lr);

// Warmup values at iteration ni (active while ni <= nw). Group order: pg0 = biases (start at
// warmup_bias_lr), pg1 = decayed weights, pg2 = BN weights (both start at 0).
struct WarmupState {
  bool active = false;
  int64_t accumulate = 0;         // max(1, round(interp(ni, [0, nw], [1, nbs / batch])))
  std::array<double, 3> lr{};     // per group: interp(ni, [0, nw], [start, initial_lr * lf])
  double momentum = 0;            // interp(ni, [0, nw], [warmup_momentum, momentum]); SGD groups only
};
WarmupState warmup_state(int64_t ni, int64_t nw, int64_t nbs, int64_t batch, double initial_lr,
                         double lf, double warmup_bias_lr, double warmup_momentum, double momentum);

// Learning rate of every group after warmup for epoch e: initial_lr * lf(e).
double scheduled_lr(double initial_lr, double lf);

// EMA decay after `updates` optimizer steps: 0.9999 * (1 - exp(-updates / 2000)).
double ema_decay(int64_t updates, double decay = 0.9999, double tau = 2000.0);

// The optimizer steps at iteration ni when ni - last_opt_step >= accumulate (last starts at -1).
inline bool should_step(int64_t ni, int64_t last_opt_step, int64_t accumulate) {
  return ni - last_opt_step >= accumulate;
}

}  // namespace ye::yolo

// Implementation of the optimisation schedule maths of schedule.h (the reference's trainer rules,
// with Python / numpy rounding reproduced exactly).
#include "yolo/config/schedule.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "kernels/error.h"
#include "yolo/config/py_format.h"

namespace ye::yolo {

int64_t accumulate_steps(int64_t nbs, int64_t batch) {
  YE_CHECK(batch > 0, "accumulate_steps: batch must be positive, got ", batch);
  return std::max<int64_t>(py_round(double(nbs) / double(batch)), 1);
}

double scaled_weight_decay(double weight_decay, int64_t batch, int64_t accumulate, int64_t nbs) {
  return weight_decay * double(batch) * double(accumulate) / double(nbs);
}

int64_t warmup_iterations(double warmup_epochs, int64_t nb) {
  if (!(warmup_epochs > 0)) return -1;
  return std::max<int64_t>(py_round(warmup_epochs * double(nb)), 100);
}

int64_t auto_optimizer_iterations(int64_t n_images, int64_t batch, int64_t nbs, int64_t epochs) {
  int64_t div = std::max(batch, nbs);
  return int64_t(std::ceil(double(n_images) / double(div))) * epochs;
}

double interp2(double x, double x0, double x1, double y0, double y1) {
  if (x <= x0) return y0;
  if (x >= x1) return y1;
  double slope = (y1 - y0) / (x1 - x0);
  return slope * (x - x0) + y0;
}

OptimizerChoice choose_optimizer(const std::string& optimizer, double lr0, double momentum,
                                 double warmup_bias_lr, int64_t nc, int64_t iterations) {
  static constexpr const char* kNames[] = {"Adam", "Adamax", "AdamW", "NAdam", "RAdam", "RMSProp", "SGD"};
  std::string lower = optimizer;
  for (auto& c : lower) c = char(std::tolower((unsigned char)c));
  OptimizerChoice out{optimizer, lr0, momentum, warmup_bias_lr, false};
  if (lower == "auto") {
    double lr_fit = py_round(0.002 * 5.0 / double(4 + nc), 6);
    out = iterations > 10000 ? OptimizerChoice{"SGD", 0.01, 0.9, 0.0} : OptimizerChoice{"AdamW", lr_fit, 0.9, 0.0};
  } else {
    bool known = false;
    for (const char* n : kNames) {
      std::string l = n;
      for (auto& c : l) c = char(std::tolower((unsigned char)c));
      if (l == lower) out.name = n, known = true;
    }
    if (!known) throw Error("unknown optimizer '" + optimizer + "': use SGD, Adam, Adamax, AdamW, NAdam, RAdam, RMSProp or auto");
  }
  out.nesterov = out.name == "SGD";
  return out;
}

double lr_lambda(int64_t epoch, int64_t epochs, double lrf, bool cos_lr) {
  double e = double(epoch), n = double(epochs);
  if (cos_lr) return std::max((1.0 - std::cos(e * M_PI / n)) / 2.0, 0.0) * (lrf - 1.0) + 1.0;
  return std::max(1.0 - e / n, 0.0) * (1.0 - lrf) + lrf;
}

WarmupState warmup_state(int64_t ni, int64_t nw, int64_t nbs, int64_t batch, double initial_lr,
                         double lf, double warmup_bias_lr, double warmup_momentum, double momentum) {
  WarmupState w;
  if (ni > nw) return w;
  w.active = true;
  double x1 = double(nw);
  // numpy's .round() is half-to-even too.
  double acc = interp2(double(ni), 0.0, x1, 1.0, double(nbs) / double(batch));
  w.accumulate = std::max<int64_t>(1, py_round(acc));
  double target = initial_lr * lf;
  for (int j = 0; j < 3; ++j) w.lr[size_t(j)] = interp2(double(ni), 0.0, x1, j == 0 ? warmup_bias_lr : 0.0, target);
  w.momentum = interp2(double(ni), 0.0, x1, warmup_momentum, momentum);
  return w;
}

double scheduled_lr(double initial_lr, double lf) { return initial_lr * lf; }

double ema_decay(int64_t updates, double decay, double tau) {
  return decay * (1.0 - std::exp(-double(updates) / tau));
}

}  // namespace ye::yolo

// Inputs of the NMS family: Detect eval outputs (B, 4+80, 8400) channels first, as YOLOv8/YOLO11 produce
// at 640x640 (n and s share the shape), boxes around a grid, scores by regime: "trained" (a few scores
// per image above the 0.001 threshold) or "early" (every score above it: the max_nms cut applies).
// The validation configuration: conf 0.001, IoU 0.7, multi-label, max_det 300.
#pragma once
#include <random>
#include <vector>

#include "kernels/nms.h"

namespace ye::bench {

constexpr int kNmsClasses = 80, kNmsAnchors = 8400;

inline std::vector<float> nms_predictions(int batch, bool early) {
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const int C = 4 + kNmsClasses;
  std::vector<float> p(size_t(batch) * C * kNmsAnchors);
  for (int b = 0; b < batch; ++b)
    for (int a = 0; a < kNmsAnchors; ++a) {
      auto at = [&](int ch) -> float& { return p[(size_t(b) * C + ch) * kNmsAnchors + a]; };
      at(0) = float(a % 80) * 8 + u(rng) * 16 + 1;
      at(1) = float(a / 80 % 80) * 8 + u(rng) * 16 + 1;
      at(2) = 10 + u(rng) * 120;
      at(3) = 10 + u(rng) * 120;
      for (int c = 0; c < kNmsClasses; ++c) {
        const float r = u(rng);
        at(4 + c) = early ? 0.002f + 0.02f * r : (r < 0.995f ? 0.0005f * r + 1e-5f : r);
      }
    }
  return p;
}

inline kernels::NmsConfig nms_val_config() {
  kernels::NmsConfig c;
  c.conf_thres = 0.001f;
  c.iou_thres = 0.7f;
  c.multi_label = true;
  return c;
}

inline kernels::NmsShape nms_shape(int batch) {
  return {batch, kNmsClasses, kNmsAnchors, kernels::PredLayout::channels_first};
}

}  // namespace ye::bench

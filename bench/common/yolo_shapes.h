// The activation and layer shapes the suite runs over: YOLOv8 and YOLO11 at scales n and s, 640x640,
// batch 16 and 64 (batch 1 and scale n only in the short CI mode). Channels per pyramid level come
// from configs/yolov8.toml and configs/yolo11.toml (width 0.25 / 0.50, max_channels 1024).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/conv.h"

namespace ye::bench {

struct ModelShapes {
  const char* name;    // "v8n", "v8s", "11n", "11s"
  int64_t level_c[5];  // output channels of the stage at P1..P5 (spatial 320, 160, 80, 40, 20)
  int64_t bottleneck_p3;  // channels of the 3x3 bottleneck convs inside the P3 C2f / C3k2
};

inline const std::vector<ModelShapes>& yolo_models() {
  static const std::vector<ModelShapes> m = {
      {"v8n", {16, 32, 64, 128, 256}, 32},  // C2f e = 0.5 of 64
      {"v8s", {32, 64, 128, 256, 512}, 64},
      {"11n", {16, 64, 128, 128, 256}, 32},  // C3k2(512, e = 0.25) at P3: 128 * 0.25
      {"11s", {32, 128, 256, 256, 512}, 64},
  };
  return m;
}

inline int64_t level_size(int level) { return 640 >> level; }  // level 1..5: 320 .. 20

// Models and batches of a run: all four models at 16 and 64, or v8n/11n at 1 in the short mode.
struct ShapeSweep {
  std::vector<ModelShapes> models;
  std::vector<int64_t> batches;
};
inline ShapeSweep sweep(bool short_mode) {
  ShapeSweep s;
  for (const ModelShapes& m : yolo_models())
    if (!short_mode || m.name[2] == 'n') s.models.push_back(m);
  s.batches = short_mode ? std::vector<int64_t>{1} : std::vector<int64_t>{16, 64};
  return s;
}

// Three convolutions of each model, picked to span the kinds the models run: the stride-2 3x3 from
// P2 to P3 (160x160 input), a 3x3 bottleneck conv inside the P3 block (80x80), SPPF's 1x1 cv1 (20x20).
struct ConvCase {
  std::string name;
  kernels::ConvGeom g;
};
inline std::vector<ConvCase> conv_cases(const ModelShapes& m, int64_t batch) {
  auto geom = [&](int64_t hw, int64_t c, int64_t o, int64_t k, int64_t s) {
    kernels::ConvGeom g;
    g.n = batch, g.h = hw, g.w = hw, g.c = c, g.o = o, g.kh = k, g.kw = k, g.stride = s, g.pad = k / 2;
    return g;
  };
  return {{"down_p3", geom(160, m.level_c[1], m.level_c[2], 3, 2)},
          {"bneck_p3", geom(80, m.bottleneck_p3, m.bottleneck_p3, 3, 1)},
          {"sppf_cv1", geom(20, m.level_c[4], m.level_c[4] / 2, 1, 1)}};
}
inline double conv_macs(const kernels::ConvGeom& g) {
  return double(g.n) * double(g.ho()) * double(g.wo()) * double(g.o) * double(g.kh * g.kw * g.cg());
}
inline std::string conv_desc(const kernels::ConvGeom& g) {
  return "c" + std::to_string(g.c) + " " + std::to_string(g.h) + "x" + std::to_string(g.w) + " -> o" +
         std::to_string(g.o) + " k" + std::to_string(g.kh) + " s" + std::to_string(g.stride);
}

inline std::string tag(const ModelShapes& m, int64_t batch) { return std::string(m.name) + "_b" + std::to_string(batch); }

}  // namespace ye::bench

// Detection head (reference head.py): DFL (fixed 1x1 conv weights 0..15, not trainable; computed by
// ops::dfl_expectation) and Detect with both cls-branch designs (legacy YOLOv8: two 3x3 Convs; YOLO11:
// DWConv3x3 + Conv1x1 twice), bias_init, train-mode raw outputs and eval-mode decode.
// Train output: per level (B, H, W, 64 + nc) NHWC, channels [box l0..l15 t.. r.. b.. | cls logits].
// Eval output: (B, A, 4 + nc) anchors-first (kernels::PredLayout::anchors_first for the NMS):
// xywh in pixels, then sigmoid scores; A runs over P3, P4, P5, row-major (y outer, x inner) per level.
// to_channels_first() gives the reference's (B, 4 + nc, A).
#pragma once
#include "layers/conv.h"

namespace ye::layers {

class DFL : public Module {
 public:
  explicit DFL(int c1 = 16);
  Tensor forward(const Tensor& x) override;  // (B, A, 4*c1) -> (B, A, 4) expected distance per side
  void reset_parameters(Generator& gen) override;  // the fixed 0..c1-1 weights, never random
  std::shared_ptr<Conv2d> conv;                    // "conv.weight" (1, 1, 1, c1), requires_grad false
  int bins;
};

// Anchor points (A, 2) at cell centres (x + 0.5, y + 0.5) in grid units and strides (A, 1), over the
// given level sizes (h, w) in order.
void make_anchors(const std::vector<std::pair<int64_t, int64_t>>& sizes, const std::vector<float>& strides,
                  std::vector<float>& points, std::vector<float>& stride_per_anchor);

class Detect : public Module {
 public:
  static constexpr int kRegMax = 16;
  Detect(int nc, const std::vector<int>& ch, bool legacy, std::vector<float> strides = {8.f, 16.f, 32.f});

  struct Output {
    std::vector<Tensor> levels;  // (B, H_i, W_i, 64 + nc) each
    Tensor decoded;              // eval mode only: (B, A, 4 + nc)
  };
  Output forward_levels(const std::vector<Tensor>& feats);
  Tensor decode(const std::vector<Tensor>& levels);  // (B, A, 4 + nc), see the file comment
  static Tensor to_channels_first(const Tensor& decoded) { return ops::permute(decoded, {0, 2, 1}); }

  // Box conv bias = 1.0; cls conv bias = ln(5 / nc / (640 / stride)^2) per level.
  void bias_init();
  void reset_parameters(Generator& gen) override;  // defaults, then bias_init

  int nc, nl, no, c2, c3;
  bool legacy;
  std::vector<float> strides;
  std::vector<std::shared_ptr<Sequential>> cv2, cv3;  // "cv2.i.j", "cv3.i.j(.k)"
  std::shared_ptr<DFL> dfl;

 private:
  std::shared_ptr<Module> final_conv(Sequential& branch) const;
};

}  // namespace ye::layers

// The detection loss on Tensors (the reference's v8DetectionLoss): wraps the raw CPU/CUDA kernels of
// kernels/det_loss.h. Forward computes the three gained components and the gradient of the total with
// respect to the head outputs in one pass; backward scales that gradient by the incoming one (the loss
// scale under AMP). Targets are the loader's rows (image index, class, xc, yc, w, h normalized).
#pragma once
#include <vector>

#include "engine/tensor.h"
#include "kernels/det_loss.h"

namespace ye::yolo {

struct LossResult {
  Tensor total;       // [1] = (box + cls + dfl) * batch, differentiable w.r.t. the head outputs
  Tensor components;  // [4] f32, detached: box, cls, dfl (gained, before x batch), total
};

class DetectionLoss {
 public:
  explicit DetectionLoss(int nc, std::vector<int> strides = {8, 16, 32}, kernels::DetLossParams params = {});
  // feats: the Detect head's train-mode outputs, one (B, H, W, 64 + nc) NHWC tensor per level;
  // targets: (n, 6) f32 rows on the host; img_h/img_w: the network input size in pixels.
  LossResult operator()(const std::vector<Tensor>& feats, const Tensor& targets, int img_h, int img_w);
  kernels::DetLossParams& params() { return params_; }
  int nc() const { return nc_; }

 private:
  struct AnchorCache {
    std::vector<int64_t> key;
    Device device;
    Tensor anchors, strides;
  };
  const AnchorCache& anchors_for(const std::vector<Tensor>& feats);

  int nc_;
  std::vector<int> strides_;
  kernels::DetLossParams params_;
  AnchorCache cache_;
};

// Anchor centres (x + 0.5, y + 0.5) in grid units, level by level, row-major within a level, and the
// stride of each anchor: (A, 2) and (A) f32 on the host.
void make_anchors(const std::vector<std::pair<int, int>>& level_hw, const std::vector<int>& strides,
                  std::vector<float>& anchors, std::vector<float>& anchor_strides);

}  // namespace ye::yolo

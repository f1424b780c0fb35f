// The detection loss on Tensors (the reference's v8DetectionLoss): wraps the raw CPU/CUDA kernels of
// kernels/det_loss.h. Forward computes the three gained components and the gradient of the total with
// respect to the head outputs in one pass; backward scales that gradient by the incoming one (the loss
// scale under AMP), unless the kernel already applied the scale (grad_scale). Targets are the loader's rows (image index, class, xc, yc, w, h normalized), either
// on the host or, for steps that must not touch the host (CUDA graphs), pre-padded on the device.
#pragma once
#include <map>
#include <vector>

#include "engine/tensor.h"
#include "kernels/det_loss.h"

namespace ye::yolo {

struct LossResult {
  Tensor total;       // [1] = (box + cls + dfl) * batch, differentiable w.r.t. the head outputs
  Tensor components;  // [4] f32, detached: box, cls, dfl (gained, before x batch), total
};

// Target rows of fixed capacity on the device, so the loss needs no host work per step: (capacity, 6)
// f32 rows, those past the batch's real rows with image index -1 (ignored); max_boxes is the per-image
// capacity M of the assigner (every image of the batch must have at most M boxes).
struct PaddedTargets {
  Tensor rows;
  int max_boxes = 0;
};

// Fills `out` (capacity x 6 floats) with the first n rows of `rows` and -1 image indices after them;
// false when the rows do not fit (n > capacity, or an image has more than max_boxes boxes).
bool pad_target_rows(const float* rows, int64_t n, int64_t batch, int64_t capacity, int max_boxes,
                     std::vector<float>& out);
// The most boxes any image of a batch has (at least 1): the M the host path pads to.
int max_boxes_per_image(const float* rows, int64_t n, int64_t batch);

class DetectionLoss {
 public:
  explicit DetectionLoss(int nc, std::vector<int> strides = {8, 16, 32}, kernels::DetLossParams params = {});
  // feats: the Detect head's train-mode outputs, one (B, H, W, 64 + nc) NHWC tensor per level;
  // targets: (n, 6) f32 rows on the host; img_h/img_w: the network input size in pixels.
  // grad_scale ([1] f32 on the loss device, e.g. the AMP loss scale): the kernel writes the gradients
  // already multiplied by it (no separate pass over the head-sized gradient), and the backward must then
  // be seeded with that very tensor: result.total.backward(grad_scale).
  LossResult operator()(const std::vector<Tensor>& feats, const Tensor& targets, int img_h, int img_w,
                        const Tensor& grad_scale = Tensor());
  // The same loss from device-resident padded targets (CUDA only): enqueues device work only.
  LossResult operator()(const std::vector<Tensor>& feats, const PaddedTargets& targets, int img_h, int img_w,
                        const Tensor& grad_scale = Tensor());
  kernels::DetLossParams& params() { return params_; }
  int nc() const { return nc_; }

 private:
  struct AnchorCache {
    Tensor anchors, strides;
  };
  // One entry per (device, level sizes), never replaced: a captured step keeps addressing its anchors
  // while validation uses other sizes.
  const AnchorCache& anchors_for(const std::vector<Tensor>& feats);
  // The shared body: `rows` holds n target rows on the loss device, M boxes per image at most.
  LossResult compute(const std::vector<Tensor>& feats, const Tensor& rows, int64_t n, int max_boxes, int img_h,
                     int img_w, const Tensor& grad_scale);

  int nc_;
  std::vector<int> strides_;
  kernels::DetLossParams params_;
  std::map<std::vector<int64_t>, AnchorCache> cache_;
};

// Anchor centres (x + 0.5, y + 0.5) in grid units, level by level, row-major within a level, and the
// stride of each anchor: (A, 2) and (A) f32 on the host.
void make_anchors(const std::vector<std::pair<int, int>>& level_hw, const std::vector<int>& strides,
                  std::vector<float>& anchors, std::vector<float>& anchor_strides);

}  // namespace ye::yolo

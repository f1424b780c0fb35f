// Raw API of the YOLOv8/YOLO11 detection loss (the reference's v8DetectionLoss): target preprocessing,
// task-aligned assigner, CIoU box loss, DFL, BCE class loss, and the gradient of the total loss w.r.t. the
// head's box-distribution and class logits. Plain pointers + shapes; CPU twin (f32) in kernels/cpu/,
// CUDA (f32/f16/bf16 inputs, f32 maths, one stream, caller-provided workspace) in kernels/cuda/.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/dtype.h"

struct CUstream_st;  // = cudaStream_t without including CUDA headers

namespace ye::kernels {

constexpr int kDetRegMax = 16;            // bins per side of the box distribution
constexpr int kDetBoxChannels = 4 * 16;   // side-major [l0..l15, t0..t15, r0..r15, b0..b15]
constexpr int kDetTargetCols = 6;         // target row: image index, class, xc, yc, w, h (normalized)
constexpr int kDetMaxTopk = 16;

struct DetLossParams {
  int topk = 10;
  float alpha = 0.5f;  // exponent of the class score in the alignment metric
  float beta = 6.0f;   // exponent of the CIoU in the alignment metric
  float eps = 1e-9f;
  float box_gain = 7.5f;
  float cls_gain = 0.5f;
  float dfl_gain = 1.5f;
};

struct DetLossShape {
  int batch = 0;      // B (per-rank batch; also the factor of the total loss)
  int anchors = 0;    // A (8400 at 640x640)
  int classes = 0;    // nc
  int max_boxes = 0;  // M: rows per image of the padded target tensor (>= the most boxes of any image)
  int img_h = 0;      // network input height in pixels (targets are normalized to it)
  int img_w = 0;      // network input width in pixels
};

// All pointers live on the backend's device (host for the CPU functions, GPU for the CUDA ones).
struct DetLossInputs {
  const void* pred_distri = nullptr;  // (B, A, 64) box-distribution logits, dtype
  const void* pred_scores = nullptr;  // (B, A, nc) class logits, dtype
  DType dtype = DType::f32;           // of the logits and of the gradients (CPU: f32 only)
  const float* anchors = nullptr;     // (A, 2) anchor centres in grid units (x + 0.5, y + 0.5)
  const float* strides = nullptr;     // (A) stride of each anchor's level in pixels
  const float* targets = nullptr;     // (n, 6) rows: image index, class, xc, yc, w, h (normalized xywh)
  int num_targets = 0;                // n (0 = empty batch)
  const float* grad_scale = nullptr;  // (1) optional factor on the gradients (AMP loss scale); null = 1
};

struct DetLossOutputs {
  float* loss = nullptr;          // (4): box, cls, dfl (gained, before x B) and total = (box+cls+dfl)*B
  void* grad_distri = nullptr;    // (B, A, 64) d total / d pred_distri (x grad_scale), dtype; null = none
  void* grad_scores = nullptr;    // (B, A, nc) d total / d pred_scores (x grad_scale), dtype; null = none
  int32_t* assigned_gt = nullptr;  // optional (B, A): row of the assigned target in its image, -1 = background
  float* target_norm = nullptr;    // optional (B, A): target score of the assigned class (0 = background)
  int32_t* box_counts = nullptr;   // optional (B): boxes per image found in the targets (before capping at M)
};

namespace cpu {

// Groups the target rows per image (order kept) into a zero-padded (B, M, 5) tensor of (cls, x1, y1, x2, y2)
// in pixels. Throws when an image has more than M boxes or a row names an image outside [0, B).
void det_targets_preprocess(const float* targets, int num_targets, const DetLossShape& shape,
                            float* gt /*(B, M, 5)*/, int32_t* counts /*(B) or null*/);

// The whole loss: forward (outputs.loss) and, when the gradient pointers are set, backward. f32 only.
void det_loss(const DetLossShape& shape, const DetLossParams& params, const DetLossInputs& in,
              const DetLossOutputs& out);

}  // namespace cpu

namespace cuda {

// Bytes of device scratch memory det_loss needs for this shape (and params.topk <= kDetMaxTopk).
size_t det_loss_workspace_bytes(const DetLossShape& shape, const DetLossParams& params = {});

// The whole loss on `stream`: target grouping, assigner, losses and gradients, all on the device, with no
// host synchronisation and no allocation. Boxes beyond M in an image are dropped (box_counts shows the
// true counts). `workspace` must hold det_loss_workspace_bytes(shape, params) bytes.
void det_loss(const DetLossShape& shape, const DetLossParams& params, const DetLossInputs& in,
              const DetLossOutputs& out, void* workspace, size_t workspace_bytes, CUstream_st* stream);

}  // namespace cuda

}  // namespace ye::kernels

// Non-maximum suppression of Detect eval outputs (xywh pixels + class scores), as the reference's
// ops.non_max_suppression: candidate filter, optional multi-label, class offsets, greedy IoU NMS.
// Defines NmsConfig, PredLayout, the output row layout and the CPU kernel; the CUDA twin (same results,
// ties included) is declared in kernels/cuda/nms_cuda.h. Order rule: score descending, then emission index.
#pragma once
#include <cstdint>

#include "kernels/dtype.h"

namespace ye::kernels {

// (B, 4+nc, A): the Detect eval output (channels first); (B, A, 4+nc): anchors first.
enum class PredLayout : uint8_t { channels_first, anchors_first };

struct NmsConfig {
  float conf_thres = 0.25f;   // keep scores strictly greater (compared in f32)
  float iou_thres = 0.45f;    // suppress IoU strictly greater (IoU in f32, compared in f64)
  bool multi_label = false;   // every (box, class) with score > conf; only effective when nc > 1
  bool agnostic = false;      // one NMS over all classes (no class offsets)
  int max_det = 300;          // detections kept per image
  int max_nms = 30000;        // candidates kept (by score) before NMS
  float max_wh = 7680.f;      // class offset in pixels
};

// Output row per detection: x1, y1, x2, y2, score, cls (cls as a float, like the reference).
constexpr int kNmsRow = 6;

// Shape of one prediction batch. nc = channels - 4.
struct NmsShape {
  int batch = 0;
  int nc = 0;
  int anchors = 0;
  PredLayout layout = PredLayout::channels_first;
};

namespace cpu {
// preds: (B, 4+nc, A) or (B, A, 4+nc) in dtype f32, f16 or bf16 (xyxy is rounded to the input dtype as
// the reference's in-dtype xywh2xyxy does, then everything is f32). out: (B, max_det, 6); rows at or
// past counts[b] are left untouched. counts: (B). anchor_idx (optional, may be null): (B, max_det)
// anchor index of each kept row.
void nms_detect(const void* preds, DType dtype, const NmsShape& shape, const NmsConfig& cfg, float* out,
                int32_t* counts, int32_t* anchor_idx = nullptr);
}  // namespace cpu

}  // namespace ye::kernels

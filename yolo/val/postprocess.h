// Post-processing shared by the validator and the predictor: NMS of the Detect eval output on its own
// device (CPU kernel, or the CUDA kernel with only the kept rows read back), and the reference's
// scale_boxes / clip_boxes that map boxes from the network input back to the original image.
#pragma once
#include <cstdint>
#include <vector>

#include "data/loader.h"
#include "engine/tensor.h"
#include "kernels/nms.h"

namespace ye::yolo {

// NMS of decoded predictions (B, 4 + nc, A) (f32/f16/bf16, CPU or CUDA). Returns per image its kept
// detections as host rows (n, 6): x1, y1, x2, y2, score, cls, in input pixels, score descending.
std::vector<std::vector<float>> nms_to_host(const Tensor& decoded, const kernels::NmsConfig& cfg);

#ifdef YE_WITH_CUDA
// The CUDA path of nms_to_host (yolo/val/cuda/): decoded must be on a CUDA device.
std::vector<std::vector<float>> nms_to_host_cuda(const Tensor& decoded, const kernels::NmsConfig& cfg);
#endif

// The reference's ratio_pad: the gain (one value for both axes) and the padding (left, top).
struct RatioPad {
  float gain = 1.f;
  float pad_x = 0.f, pad_y = 0.f;
};
// From the val loader's metadata, as the reference's batch["ratio_pad"]: gain = ratio_pad[0][0] =
// resized h / original h, pad = letterbox (left, top).
RatioPad ratio_pad_from_meta(const data::ImageMeta& m);
// What scale_boxes computes when no ratio_pad is given (the predictor): gain = min(h1/h0, w1/w0),
// pad = (round((w1 - w0 * gain) / 2 - 0.1), round((h1 - h0 * gain) / 2 - 0.1)).
RatioPad ratio_pad_from_shapes(int input_h, int input_w, int orig_h, int orig_w);

// In place on n rows of `stride` floats whose first 4 are xyxy: (x - pad) / gain, then clipped to
// [0, orig_w] x [0, orig_h] (f32 arithmetic like the reference's tensors).
void scale_boxes(float* rows, size_t n, size_t stride, const RatioPad& rp, int orig_h, int orig_w);

// The ground truth of image `image` of a val batch in original-image pixels: the loader's normalized
// xywh (of the batch image) -> xyxy in batch pixels -> scale_boxes with the image's ratio_pad.
// boxes: (m, 4) xyxy; cls: (m).
void gt_boxes_original(const data::Batch& b, int image, std::vector<float>& boxes, std::vector<int32_t>& cls);

}  // namespace ye::yolo

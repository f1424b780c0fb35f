// NMS to host rows and box mapping back to the original image (see postprocess.h).
#include "yolo/val/postprocess.h"

#include <algorithm>
#include <cmath>

#include "kernels/error.h"

namespace ye::yolo {

std::vector<std::vector<float>> nms_to_host(const Tensor& decoded, const kernels::NmsConfig& cfg) {
  YE_CHECK(decoded.defined() && decoded.ndim() == 3 && decoded.dim(1) > 4,
           "nms_to_host: predictions must be (B, 4 + nc, A)");
  if (decoded.device().is_cuda()) {
#ifdef YE_WITH_CUDA
    return nms_to_host_cuda(decoded, cfg);
#else
    YE_CHECK(false, "nms_to_host: CUDA predictions in a build without CUDA");
#endif
  }
  const Tensor p = decoded.contiguous();
  kernels::NmsShape shape{int(p.dim(0)), int(p.dim(1) - 4), int(p.dim(2)), kernels::PredLayout::channels_first};
  std::vector<float> out(size_t(shape.batch) * size_t(cfg.max_det) * kernels::kNmsRow);
  std::vector<int32_t> counts(size_t(shape.batch), 0);
  kernels::cpu::nms_detect(p.data(), p.dtype(), shape, cfg, out.data(), counts.data());
  std::vector<std::vector<float>> rows(size_t(shape.batch));
  for (size_t b = 0; b < rows.size(); ++b) {
    const float* src = out.data() + b * size_t(cfg.max_det) * kernels::kNmsRow;
    rows[b].assign(src, src + size_t(counts[b]) * kernels::kNmsRow);
  }
  return rows;
}

RatioPad ratio_pad_from_meta(const data::ImageMeta& m) {
  return {float(double(m.h) / double(m.h0)), m.pad_left, m.pad_top};
}

RatioPad ratio_pad_from_shapes(int input_h, int input_w, int orig_h, int orig_w) {
  const double gain = std::min(double(input_h) / orig_h, double(input_w) / orig_w);
  // Python's round: half to even (nearbyint in the default rounding mode).
  const double px = std::nearbyint((input_w - orig_w * gain) / 2 - 0.1);
  const double py = std::nearbyint((input_h - orig_h * gain) / 2 - 0.1);
  return {float(gain), float(px), float(py)};
}

void scale_boxes(float* rows, size_t n, size_t stride, const RatioPad& rp, int orig_h, int orig_w) {
  const float w = float(orig_w), h = float(orig_h);
  for (size_t i = 0; i < n; ++i) {
    float* r = rows + i * stride;
    r[0] = std::clamp((r[0] - rp.pad_x) / rp.gain, 0.f, w);
    r[1] = std::clamp((r[1] - rp.pad_y) / rp.gain, 0.f, h);
    r[2] = std::clamp((r[2] - rp.pad_x) / rp.gain, 0.f, w);
    r[3] = std::clamp((r[3] - rp.pad_y) / rp.gain, 0.f, h);
  }
}

void gt_boxes_original(const data::Batch& b, int image, std::vector<float>& boxes, std::vector<int32_t>& cls) {
  boxes.clear();
  cls.clear();
  const float W = float(b.width), H = float(b.height);
  for (size_t t = 0; t < b.num_targets(); ++t) {
    const float* r = &b.targets[6 * t];
    if (int(r[0]) != image) continue;
    // xywh2xyxy (half extents, then centre -/+), then x (W, H, W, H), all in f32.
    const float hw = r[4] / 2, hh = r[5] / 2;
    boxes.insert(boxes.end(), {(r[2] - hw) * W, (r[3] - hh) * H, (r[2] + hw) * W, (r[3] + hh) * H});
    cls.push_back(int32_t(r[1]));
  }
  const data::ImageMeta& m = b.meta[size_t(image)];
  scale_boxes(boxes.data(), cls.size(), 4, ratio_pad_from_meta(m), m.h0, m.w0);
}

}  // namespace ye::yolo

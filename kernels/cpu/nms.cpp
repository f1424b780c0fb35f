// CPU non-maximum suppression of Detect eval outputs (see kernels/nms.h): the reference's steps per
// image (candidates, xywh->xyxy in the input dtype, multi-label or best class, top max_nms, class
// offsets, greedy IoU suppression as torchvision's CPU nms, first max_det kept).
// Greedy NMS stops once max_det boxes are kept: later boxes cannot change the first max_det.
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/error.h"
#include "kernels/nms.h"

namespace ye::kernels::cpu {
namespace {

struct Candidate {
  float score;
  uint32_t emit;  // anchor * nc + class: the reference's emission order
  float box[4];   // xyxy in the input dtype's rounding, as f32
};

float load(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::f32: return static_cast<const float*>(p)[i];
    case DType::f16: {
      uint16_t bits;
      std::memcpy(&bits, static_cast<const uint16_t*>(p) + i, 2);
      return float(Eigen::numext::bit_cast<Eigen::half>(bits));
    }
    case DType::bf16: {
      uint16_t bits;
      std::memcpy(&bits, static_cast<const uint16_t*>(p) + i, 2);
      return float(Eigen::numext::bit_cast<Eigen::bfloat16>(bits));
    }
    default: YE_FAIL("nms_detect: predictions must be f32, f16 or bf16, got ", dtype_name(t));
  }
}

// Rounds an f32 result to the predictions' dtype (the reference computes xywh2xyxy in that dtype).
float round_to(float v, DType t) {
  if (t == DType::f16) return float(Eigen::half(v));
  if (t == DType::bf16) return float(Eigen::bfloat16(v));
  return v;
}

// IoU test of torchvision's CPU nms: f32 arithmetic, f64 comparison, strict greater.
bool suppresses(const float* a, float area_a, const float* b, float area_b, double thr) {
  float xx1 = std::max(a[0], b[0]), yy1 = std::max(a[1], b[1]);
  float xx2 = std::min(a[2], b[2]), yy2 = std::min(a[3], b[3]);
  float w = std::max(0.f, xx2 - xx1), h = std::max(0.f, yy2 - yy1);
  float inter = w * h;
  float ovr = inter / (area_a + area_b - inter);
  return double(ovr) > thr;
}

void nms_image(const void* preds, DType dtype, const NmsShape& s, const NmsConfig& cfg, int b, float* out,
               int32_t* count, int32_t* anchor_idx, std::vector<Candidate>& cands) {
  const int C = 4 + s.nc, A = s.anchors;
  auto at = [&](int ch, int a) -> int64_t {
    return s.layout == PredLayout::channels_first ? (int64_t(b) * C + ch) * A + a : (int64_t(b) * A + a) * C + ch;
  };
  const bool multi = cfg.multi_label && s.nc > 1;
  const float conf = cfg.conf_thres;
  cands.clear();
  for (int a = 0; a < A; ++a) {
    float best = 0.f;
    int best_c = -1;
    for (int c = 0; c < s.nc; ++c) {
      float v = load(preds, dtype, at(4 + c, a));
      if (best_c < 0 || v > best) best = v, best_c = c;
    }
    if (best_c < 0 || !(best > conf)) continue;
    float cx = load(preds, dtype, at(0, a)), cy = load(preds, dtype, at(1, a));
    float hw = round_to(load(preds, dtype, at(2, a)) / 2.f, dtype);
    float hh = round_to(load(preds, dtype, at(3, a)) / 2.f, dtype);
    Candidate cand{0.f, 0, {round_to(cx - hw, dtype), round_to(cy - hh, dtype), round_to(cx + hw, dtype),
                            round_to(cy + hh, dtype)}};
    if (!multi) {
      cand.score = best;
      cand.emit = uint32_t(int64_t(a) * s.nc + best_c);
      cands.push_back(cand);
      continue;
    }
    for (int c = 0; c < s.nc; ++c) {
      float v = load(preds, dtype, at(4 + c, a));
      if (!(v > conf)) continue;
      cand.score = v;
      cand.emit = uint32_t(int64_t(a) * s.nc + c);
      cands.push_back(cand);
    }
  }
  std::sort(cands.begin(), cands.end(), [](const Candidate& x, const Candidate& y) {
    return x.score > y.score || (x.score == y.score && x.emit < y.emit);
  });
  if (int64_t(cands.size()) > cfg.max_nms) cands.resize(size_t(cfg.max_nms));

  struct Kept {
    float box[4];
    float area;
    int cand;
  };
  std::vector<Kept> kept;
  kept.reserve(size_t(std::min<int64_t>(cfg.max_det, int64_t(cands.size()))));
  const double thr = cfg.iou_thres;
  for (int i = 0; i < int(cands.size()) && int(kept.size()) < cfg.max_det; ++i) {
    const Candidate& c = cands[size_t(i)];
    float off = cfg.agnostic ? 0.f : float(c.emit % uint32_t(s.nc)) * cfg.max_wh;
    Kept k{{c.box[0] + off, c.box[1] + off, c.box[2] + off, c.box[3] + off}, 0.f, i};
    k.area = (k.box[2] - k.box[0]) * (k.box[3] - k.box[1]);
    bool drop = false;
    for (const Kept& p : kept)
      if (suppresses(p.box, p.area, k.box, k.area, thr)) {
        drop = true;
        break;
      }
    if (!drop) kept.push_back(k);
  }
  for (size_t r = 0; r < kept.size(); ++r) {
    const Candidate& c = cands[size_t(kept[r].cand)];
    float* row = out + (int64_t(b) * cfg.max_det + int64_t(r)) * kNmsRow;
    std::copy(c.box, c.box + 4, row);
    row[4] = c.score;
    row[5] = float(c.emit % uint32_t(s.nc));
    if (anchor_idx) anchor_idx[int64_t(b) * cfg.max_det + int64_t(r)] = int32_t(c.emit / uint32_t(s.nc));
  }
  *count = int32_t(kept.size());
}

}  // namespace

void nms_detect(const void* preds, DType dtype, const NmsShape& shape, const NmsConfig& cfg, float* out,
                int32_t* counts, int32_t* anchor_idx) {
  YE_CHECK(shape.batch >= 0 && shape.anchors >= 0 && shape.nc >= 1, "nms_detect: bad shape (batch ", shape.batch,
           ", nc ", shape.nc, ", anchors ", shape.anchors, ")");
  YE_CHECK(int64_t(shape.anchors) * shape.nc < (int64_t(1) << 32), "nms_detect: anchors * nc must fit 32 bits");
  YE_CHECK(cfg.max_det >= 0 && cfg.max_nms >= 0, "nms_detect: max_det and max_nms must be >= 0");
  YE_CHECK(cfg.conf_thres >= 0.f && cfg.conf_thres <= 1.f, "nms_detect: conf_thres must be in [0, 1], got ",
           cfg.conf_thres);
  YE_CHECK(cfg.iou_thres >= 0.f && cfg.iou_thres <= 1.f, "nms_detect: iou_thres must be in [0, 1], got ",
           cfg.iou_thres);
  std::vector<Candidate> cands;
  for (int b = 0; b < shape.batch; ++b) nms_image(preds, dtype, shape, cfg, b, out, counts + b, anchor_idx, cands);
}

}  // namespace ye::kernels::cpu

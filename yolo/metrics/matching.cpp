// Box IoU and match_predictions of the reference's validator (see matching.h). Equal IoUs are
// ordered by descending pair index (row-major label, prediction), what the reference's reversed
// ascending argsort gives when that sort keeps ties in input order.
#include "yolo/metrics/matching.h"

#include <algorithm>

#include "kernels/error.h"

namespace ye::yolo {

const std::array<float, kNumIou>& iou_thresholds() {
  static const std::array<float, kNumIou> t = {0.5f,  0.55f, 0.6f,  0.65f, 0.7f,
                                               0.75f, 0.8f,  0.85f, 0.9f,  0.95f};
  return t;
}

std::vector<float> box_iou(std::span<const float> a, std::span<const float> b) {
  YE_CHECK(a.size() % 4 == 0 && b.size() % 4 == 0, "box_iou: boxes must be (n, 4) xyxy rows");
  const size_t na = a.size() / 4, nb = b.size() / 4;
  std::vector<float> out(na * nb);
  const float eps = 1e-7f;
  for (size_t i = 0; i < na; ++i) {
    const float* p = &a[i * 4];
    const float area_a = (p[2] - p[0]) * (p[3] - p[1]);
    for (size_t j = 0; j < nb; ++j) {
      const float* q = &b[j * 4];
      float w = std::min(p[2], q[2]) - std::max(p[0], q[0]);
      float h = std::min(p[3], q[3]) - std::max(p[1], q[1]);
      w = w < 0.f ? 0.f : w;
      h = h < 0.f ? 0.f : h;
      const float inter = w * h;
      const float area_b = (q[2] - q[0]) * (q[3] - q[1]);
      out[i * nb + j] = inter / (area_a + area_b - inter + eps);
    }
  }
  return out;
}

std::vector<uint8_t> match_predictions(std::span<const int32_t> pred_cls, std::span<const int32_t> gt_cls,
                                       std::span<const float> iou) {
  const size_t np = pred_cls.size(), ng = gt_cls.size();
  YE_CHECK(iou.size() == np * ng, "match_predictions: iou must be (n_gt, n_pred) = (", ng, ", ", np, "), got ",
           iou.size(), " values");
  std::vector<uint8_t> correct(np * kNumIou, 0);
  const auto& thr = iou_thresholds();
  // Pairs passing the lowest threshold, ordered once: higher thresholds keep a sub-sequence.
  std::vector<size_t> pairs;
  for (size_t k = 0; k < np * ng; ++k)
    if (gt_cls[k / np] == pred_cls[k % np] && iou[k] >= thr[0]) pairs.push_back(k);
  std::sort(pairs.begin(), pairs.end(), [&](size_t x, size_t y) { return iou[x] > iou[y] || (iou[x] == iou[y] && x > y); });

  std::vector<uint8_t> pred_seen(np), label_seen(ng);
  std::vector<size_t> best_of_pred(np);  // pair chosen for each prediction (first in IoU order)
  for (int t = 0; t < kNumIou; ++t) {
    std::fill(pred_seen.begin(), pred_seen.end(), 0);
    std::fill(label_seen.begin(), label_seen.end(), 0);
    for (size_t k : pairs) {
      if (!(iou[k] >= thr[size_t(t)])) continue;
      const size_t d = k % np;
      if (!pred_seen[d]) pred_seen[d] = 1, best_of_pred[d] = k;
    }
    for (size_t d = 0; d < np; ++d) {  // prediction order: the first prediction of each label wins
      if (!pred_seen[d]) continue;
      const size_t l = best_of_pred[d] / np;
      if (label_seen[l]) continue;
      label_seen[l] = 1;
      correct[d * kNumIou + size_t(t)] = 1;
    }
  }
  return correct;
}

}  // namespace ye::yolo

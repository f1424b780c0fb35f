// ConfusionMatrix of the reference (see confusion_matrix.h). Matching: pairs with IoU > thres ordered
// by IoU descending (equal IoUs: later pair first), first pair per detection, re-ordered by IoU, first
// pair per label; each label with a match counts at (matched detection's class, label class).
#include "yolo/metrics/confusion_matrix.h"

#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "yolo/metrics/matching.h"

namespace ye::yolo {

ConfusionMatrix::ConfusionMatrix(int nc) : nc_(nc), m_(size_t(nc + 1) * size_t(nc + 1), 0.0) {
  YE_CHECK(nc >= 0, "ConfusionMatrix: nc must be >= 0, got ", nc);
}

namespace {
struct Match {
  size_t gt, det;
  float iou;
};
// Reversed stable ascending sort by IoU: IoU descending, equal IoUs in reverse input order.
void sort_iou_desc(std::vector<Match>& m) {
  std::reverse(m.begin(), m.end());
  std::stable_sort(m.begin(), m.end(), [](const Match& a, const Match& b) { return a.iou > b.iou; });
}
// Keeps the first match of each key value; the result is ordered by key ascending (np.unique).
template <typename Key>
void unique_first(std::vector<Match>& m, Key key) {
  std::vector<Match> out;
  std::vector<size_t> pos(m.size());
  for (size_t i = 0; i < m.size(); ++i) pos[i] = i;
  std::stable_sort(pos.begin(), pos.end(), [&](size_t a, size_t b) { return key(m[a]) < key(m[b]); });
  for (size_t i = 0; i < pos.size(); ++i)
    if (i == 0 || key(m[pos[i]]) != key(m[pos[i - 1]])) out.push_back(m[pos[i]]);
  m = std::move(out);
}
}  // namespace

void ConfusionMatrix::process_batch(std::span<const float> pred_boxes, std::span<const float> pred_conf,
                                    std::span<const int32_t> pred_cls, std::span<const float> gt_boxes,
                                    std::span<const int32_t> gt_cls, double conf, float iou_thres) {
  const size_t np = pred_conf.size(), ng = gt_cls.size();
  YE_CHECK(pred_boxes.size() == np * 4 && pred_cls.size() == np, "ConfusionMatrix: prediction arrays disagree");
  YE_CHECK(gt_boxes.size() == ng * 4, "ConfusionMatrix: GT arrays disagree");
  const float c = (conf < 0 || conf == 0.001) ? 0.25f : float(conf);
  const size_t bg = size_t(nc_), n = size_t(size());
  auto add = [&](int32_t row, size_t col) {
    YE_CHECK(row >= 0 && row <= nc_ && col <= bg, "ConfusionMatrix: class out of range (", row, ", ", col, ")");
    m_[size_t(row) * n + col] += 1.0;
  };
  if (ng == 0) {
    for (size_t i = 0; i < np; ++i)
      if (pred_conf[i] > c) add(pred_cls[i], bg);
    return;
  }
  if (np == 0) {
    for (int32_t g : gt_cls) add(nc_, size_t(g));
    return;
  }
  std::vector<float> boxes;
  std::vector<int32_t> cls;
  for (size_t i = 0; i < np; ++i)
    if (pred_conf[i] > c) {
      boxes.insert(boxes.end(), pred_boxes.begin() + long(i * 4), pred_boxes.begin() + long(i * 4 + 4));
      cls.push_back(pred_cls[i]);
    }
  const size_t nd = cls.size();
  const std::vector<float> iou = box_iou(gt_boxes, boxes);
  std::vector<Match> m;
  for (size_t k = 0; k < ng * nd; ++k)
    if (iou[k] > iou_thres) m.push_back({k / nd, k % nd, iou[k]});
  if (m.size() > 1) {
    sort_iou_desc(m);
    unique_first(m, [](const Match& x) { return x.det; });
    sort_iou_desc(m);
    unique_first(m, [](const Match& x) { return x.gt; });
  }
  for (size_t i = 0; i < ng; ++i) {
    auto it = std::find_if(m.begin(), m.end(), [&](const Match& x) { return x.gt == i; });
    if (it != m.end()) add(cls[it->det], size_t(gt_cls[i]));
    else add(nc_, size_t(gt_cls[i]));
  }
  for (size_t d = 0; d < nd; ++d)
    if (std::none_of(m.begin(), m.end(), [&](const Match& x) { return x.det == d; })) add(cls[d], bg);
}

std::vector<double> ConfusionMatrix::plotted(bool normalize) const {
  const size_t n = size_t(size());
  std::vector<double> out(m_);
  if (normalize)
    for (size_t col = 0; col < n; ++col) {
      double s = 0.0;
      for (size_t row = 0; row < n; ++row) s += m_[row * n + col];
      for (size_t row = 0; row < n; ++row) out[row * n + col] = m_[row * n + col] / (s + 1e-9);
    }
  for (double& v : out)
    if (v < 0.005) v = std::nan("");
  return out;
}

std::vector<double> ConfusionMatrix::tp() const {
  std::vector<double> t(static_cast<size_t>(nc_));
  for (int i = 0; i < nc_; ++i) t[size_t(i)] = at(i, i);
  return t;
}

std::vector<double> ConfusionMatrix::fp() const {
  std::vector<double> f(static_cast<size_t>(nc_));
  for (int i = 0; i < nc_; ++i) {
    double s = 0.0;
    for (int j = 0; j <= nc_; ++j) s += at(i, j);
    f[size_t(i)] = s - at(i, i);
  }
  return f;
}

}  // namespace ye::yolo

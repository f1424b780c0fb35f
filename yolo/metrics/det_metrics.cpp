// MetricsAccumulator, DetMetrics and the validation table (see det_metrics.h). Means follow numpy's
// summation order (pairwise for 1-D means) so the reported numbers match the reference's bits.
#include "yolo/metrics/det_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "kernels/error.h"
#include "yolo/metrics/matching.h"
#include "yolo/metrics/numeric.h"

namespace ye::yolo {

const std::array<const char*, 4>& DetMetrics::keys() {
  static const std::array<const char*, 4> k = {"metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)",
                                                "metrics/mAP50-95(B)"};
  return k;
}

int64_t DetMetrics::instances() const {
  int64_t s = 0;
  for (int64_t v : nt_per_class) s += v;
  return s;
}

MetricsAccumulator::MetricsAccumulator(std::vector<std::string> names, double confusion_conf)
    : names_(std::move(names)), confusion_conf_(confusion_conf), confusion_(int(names_.size())) {}

void MetricsAccumulator::add_image(std::span<const float> pred_boxes, std::span<const float> pred_conf,
                                   std::span<const int32_t> pred_cls, std::span<const float> gt_boxes,
                                   std::span<const int32_t> gt_cls) {
  const size_t np = pred_conf.size(), ng = gt_cls.size();
  YE_CHECK(pred_boxes.size() == np * 4 && pred_cls.size() == np, "MetricsAccumulator: prediction arrays disagree (",
           pred_boxes.size(), " box values, ", np, " scores, ", pred_cls.size(), " classes)");
  YE_CHECK(gt_boxes.size() == ng * 4, "MetricsAccumulator: GT arrays disagree (", gt_boxes.size(), " box values, ", ng,
           " classes)");
  ++images_;
  if (ng == 0 || np == 0) tp_.insert(tp_.end(), np * kNumIou, uint8_t(0));
  else {
    const std::vector<uint8_t> c = match_predictions(pred_cls, gt_cls, box_iou(gt_boxes, pred_boxes));
    tp_.insert(tp_.end(), c.begin(), c.end());
  }
  conf_.insert(conf_.end(), pred_conf.begin(), pred_conf.end());
  pred_cls_.insert(pred_cls_.end(), pred_cls.begin(), pred_cls.end());
  target_cls_.insert(target_cls_.end(), gt_cls.begin(), gt_cls.end());
  std::vector<int32_t> uniq(gt_cls.begin(), gt_cls.end());
  std::sort(uniq.begin(), uniq.end());
  uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
  target_img_.insert(target_img_.end(), uniq.begin(), uniq.end());
  confusion_.process_batch(pred_boxes, pred_conf, pred_cls, gt_boxes, gt_cls, confusion_conf_);
}

void MetricsAccumulator::add_image_rows(std::span<const float> rows, std::span<const float> gt_boxes,
                                        std::span<const int32_t> gt_cls) {
  YE_CHECK(rows.size() % 6 == 0, "MetricsAccumulator: NMS rows must be (n, 6)");
  const size_t n = rows.size() / 6;
  std::vector<float> boxes(n * 4), conf(n);
  std::vector<int32_t> cls(n);
  for (size_t i = 0; i < n; ++i) {
    std::copy(rows.begin() + long(i * 6), rows.begin() + long(i * 6 + 4), boxes.begin() + long(i * 4));
    conf[i] = rows[i * 6 + 4];
    cls[i] = int32_t(rows[i * 6 + 5]);
  }
  add_image(boxes, conf, cls, gt_boxes, gt_cls);
}

void MetricsAccumulator::clear() {
  images_ = 0;
  tp_.clear();
  conf_.clear();
  pred_cls_.clear();
  target_cls_.clear();
  target_img_.clear();
  confusion_ = ConfusionMatrix(nc());
}

namespace {
std::vector<int64_t> bincount(const std::vector<int32_t>& v, int minlength) {
  int32_t hi = minlength - 1;
  for (int32_t x : v) {
    YE_CHECK(x >= 0, "MetricsAccumulator: negative class id ", x);
    hi = std::max(hi, x);
  }
  std::vector<int64_t> c(size_t(hi + 1), 0);
  for (int32_t x : v) ++c[size_t(x)];
  return c;
}

double mean_of(const std::vector<double>& v) { return v.empty() ? 0.0 : numpy_sum(v.data(), v.size()) / double(v.size()); }
}  // namespace

DetMetrics MetricsAccumulator::finalize() const {
  DetMetrics m;
  m.names = names_;
  m.images = images_;
  m.ap = ap_per_class(tp_, conf_, pred_cls_, target_cls_);
  m.ap_class_index = m.ap.classes;
  const size_t n = m.ap.classes.size();
  std::vector<double> all_ap;  // (n, 10) row-major, for the all-elements mean
  for (size_t i = 0; i < n; ++i) {
    const auto& row = m.ap.ap[i];
    m.ap50.push_back(row[0]);
    m.ap50_95.push_back(numpy_sum(row.data(), row.size()) / double(kNumIou));
    all_ap.insert(all_ap.end(), row.begin(), row.end());
  }
  m.nt_per_class = bincount(target_cls_, nc());
  m.nt_per_image = bincount(target_img_, nc());
  m.mp = mean_of(m.ap.p);
  m.mr = mean_of(m.ap.r);
  m.map50 = mean_of(m.ap50);
  std::vector<double> ap75;
  for (size_t i = 0; i < n; ++i) ap75.push_back(m.ap.ap[i][5]);
  m.map75 = mean_of(ap75);
  m.map = mean_of(all_ap);
  auto finite = [](double v) { return std::isnan(v) ? 0.0 : v; };
  double fit = 0.0;
  fit += finite(m.mp) * 0.0;
  fit += finite(m.mr) * 0.0;
  fit += finite(m.map50) * 0.1;
  fit += finite(m.map) * 0.9;
  m.fitness = fit;
  m.maps.assign(size_t(nc()), m.map);
  for (size_t i = 0; i < n; ++i)
    if (m.ap.classes[i] < nc()) m.maps[size_t(m.ap.classes[i])] = m.ap50_95[i];
  m.confusion = confusion_;
  return m;
}

std::string format_val_header() {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "%22s%11s%11s%11s%11s%11s%11s", "Class", "Images", "Instances", "Box(P", "R", "mAP50",
                "mAP50-95)");
  return buf;
}

std::vector<std::string> format_val_rows(const DetMetrics& m, bool per_class) {
  auto row = [](const std::string& name, int64_t images, int64_t inst, double p, double r, double a50, double a) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%22s%11lld%11lld%11.3g%11.3g%11.3g%11.3g", name.c_str(), (long long)images,
                  (long long)inst, p, r, a50, a);
    return std::string(buf);
  };
  std::vector<std::string> out{row("all", m.images, m.instances(), m.mp, m.mr, m.map50, m.map)};
  if (!per_class) return out;
  for (size_t i = 0; i < m.ap_class_index.size(); ++i) {
    const size_t c = size_t(m.ap_class_index[i]);
    const std::string name = c < m.names.size() ? m.names[c] : std::to_string(c);
    out.push_back(row(name, m.nt_per_image[c], m.nt_per_class[c], m.ap.p[i], m.ap.r[i], m.ap50[i], m.ap50_95[i]));
  }
  return out;
}

}  // namespace ye::yolo

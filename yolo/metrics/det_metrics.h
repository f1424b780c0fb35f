// Validation-run metrics: MetricsAccumulator takes one image at a time (NMS output and GT in the same
// original-image pixel space) and finalize() gives DetMetrics, the reference's DetMetrics/Metric values
// (per-class AP50, AP50-95, P, R, counts; mp, mr, map50, map, fitness; curves; confusion matrix).
// format_val_header/format_val_rows print the reference's validation table.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "yolo/metrics/ap.h"
#include "yolo/metrics/confusion_matrix.h"

namespace ye::yolo {

struct DetMetrics {
  std::vector<std::string> names;  // class names (index = class id)
  int64_t images = 0;              // images seen
  ApResult ap;                     // per-entry arrays (entries = classes present in the GT) and curves
  std::vector<int32_t> ap_class_index;  // class id of each entry (= ap.classes)
  std::vector<double> ap50, ap50_95;    // per entry: AP at IoU 0.5, mean AP over the 10 thresholds
  std::vector<int64_t> nt_per_class;    // GT instances per class id (length >= nc)
  std::vector<int64_t> nt_per_image;    // images containing the class, per class id (length >= nc)
  double mp = 0, mr = 0, map50 = 0, map75 = 0, map = 0;
  double fitness = 0;        // 0.1 * map50 + 0.9 * map (8.3.166 weights; NaN counted as 0)
  std::vector<double> maps;  // per class id: its AP50-95, or map for classes absent from the GT
  ConfusionMatrix confusion;

  // [mp, mr, map50, map], the order of keys().
  std::array<double, 4> mean_results() const { return {mp, mr, map50, map}; }
  // results.csv keys: metrics/precision(B), metrics/recall(B), metrics/mAP50(B), metrics/mAP50-95(B).
  static const std::array<const char*, 4>& keys();
  int64_t instances() const;  // sum of nt_per_class
};

class MetricsAccumulator {
 public:
  // names: class names (nc = names.size()). confusion_conf: the conf passed to the confusion matrix
  // (the val conf; 0.001 or negative means 0.25, as the reference).
  explicit MetricsAccumulator(std::vector<std::string> names, double confusion_conf = 0.001);

  // One image. pred_boxes (n, 4) xyxy, pred_conf (n), pred_cls (n); gt_boxes (m, 4) xyxy, gt_cls (m).
  void add_image(std::span<const float> pred_boxes, std::span<const float> pred_conf,
                 std::span<const int32_t> pred_cls, std::span<const float> gt_boxes, std::span<const int32_t> gt_cls);
  // Same with NMS output rows (n, 6): x1, y1, x2, y2, score, cls.
  void add_image_rows(std::span<const float> rows, std::span<const float> gt_boxes, std::span<const int32_t> gt_cls);

  DetMetrics finalize() const;
  void clear();
  int64_t images() const { return images_; }
  int nc() const { return int(names_.size()); }

 private:
  std::vector<std::string> names_;
  double confusion_conf_;
  int64_t images_ = 0;
  std::vector<uint8_t> tp_;  // (n, 10)
  std::vector<float> conf_;
  std::vector<int32_t> pred_cls_, target_cls_, target_img_;
  ConfusionMatrix confusion_;
};

// "%22s" + "%11s" * 6 of Class, Images, Instances, Box(P, R, mAP50, mAP50-95).
std::string format_val_header();
// The "all" row, then (per_class) one row per entry: "%22s%11i%11i%11.3g%11.3g%11.3g%11.3g".
// The reference prints per-class rows only in a final/standalone val with verbose and nc > 1.
std::vector<std::string> format_val_rows(const DetMetrics& m, bool per_class);

}  // namespace ye::yolo

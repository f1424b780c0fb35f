// Average precision, precision/recall/F1 curves and max-F1 P and R as the reference's compute_ap and
// ap_per_class: 101-point precision envelope + trapezoid, classes present in the GT only, curves on the
// 1000-point confidence grid (np.interp, left=1 for P, 0 for R), max of smooth(mean F1, 0.1).
// Defines ApResult (per-class arrays plus every curve the BoxPR/F1/P/R plots need) and the functions.
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "yolo/metrics/matching.h"

namespace ye::yolo {

// compute_ap: AP of one recall/precision curve; mpre/mrec (with sentinels) are returned when asked.
double compute_ap(const std::vector<double>& recall, const std::vector<double>& precision,
                  std::vector<double>* mpre = nullptr, std::vector<double>* mrec = nullptr);

struct ApResult {
  // One entry per class present in the GT (unique target classes, ascending): index ci.
  std::vector<int32_t> classes;            // class id of entry ci
  std::vector<int64_t> n_targets;          // GT count of entry ci
  std::vector<double> tp, fp;              // at the max-F1 confidence, rounded half-even
  std::vector<double> p, r, f1;            // at the max-F1 confidence
  std::vector<std::array<double, kNumIou>> ap;  // AP at the 10 IoU thresholds
  // Curves on px = linspace(0, 1, 1000): p/r/f1_curve[ci] (zeros for a class with no predictions).
  std::vector<double> px;
  std::vector<std::vector<double>> p_curve, r_curve, f1_curve;
  // Precision envelope at recall px (PR curve, IoU 0.5), only for classes that have predictions, in
  // entry order; pr_classes[k] is the entry index ci of prec_values[k]. Empty rows: one zero row.
  std::vector<std::vector<double>> prec_values;
  std::vector<int32_t> pr_classes;
  int max_f1_index = 0;  // index into px of the reported P/R/F1
};

// tp: (n, 10) 0/1 bytes, conf: (n), pred_cls: (n), target_cls: (n_targets). Predictions are ordered by
// confidence descending, equal confidences keeping their input order (a stable sort).
ApResult ap_per_class(std::span<const uint8_t> tp, std::span<const float> conf, std::span<const int32_t> pred_cls,
                      std::span<const int32_t> target_cls);

}  // namespace ye::yolo

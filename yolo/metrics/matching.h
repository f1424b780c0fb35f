// Box IoU and prediction-to-label matching of the reference's validator: box_iou (f32, eps 1e-7),
// the 10 IoU thresholds iouv = linspace(0.5, 0.95, 10) in f32, and match_predictions (greedy unique
// matching per threshold). Boxes are xyxy f32 rows; tie order of equal IoUs: documented in METRICS.md.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace ye::yolo {

constexpr int kNumIou = 10;
// torch.linspace(0.5, 0.95, 10) in f32.
const std::array<float, kNumIou>& iou_thresholds();

// IoU matrix (n_a, n_b) of xyxy boxes a (n_a, 4) and b (n_b, 4), computed op by op in f32 as the
// reference's box_iou: inter / (area_a + area_b - inter + 1e-7).
std::vector<float> box_iou(std::span<const float> a, std::span<const float> b);

// correct (n_pred, 10) as bytes 0/1: prediction i is a true positive at threshold t.
// iou: (n_gt, n_pred) from box_iou(gt, pred). Semantics of match_predictions: IoU zeroed where the
// classes differ; per threshold take pairs with IoU >= t, order by IoU descending, keep the first
// pair of each prediction, then (in prediction order) the first pair of each label.
std::vector<uint8_t> match_predictions(std::span<const int32_t> pred_cls, std::span<const int32_t> gt_cls,
                                       std::span<const float> iou);

}  // namespace ye::yolo

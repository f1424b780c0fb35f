// Internal pieces of the CPU detection loss, exposed for the tests: the assigner's result, the assigner
// itself (f32, mirroring the reference's operation order) and the loss with its gradient for a fixed
// assignment, templated on the logits' type so the numeric gradient check can run it in double.
#pragma once
#include <cstdint>
#include <vector>

#include "kernels/det_loss.h"

namespace ye::kernels::cpu {

struct DetAssignment {
  std::vector<float> gt;           // (B, M, 5): cls, x1, y1, x2, y2 in pixels; zero rows are padding
  std::vector<int32_t> counts;     // (B) boxes per image
  std::vector<int32_t> assigned;   // (B, A): assigned GT row, -1 = background
  std::vector<float> norm;         // (B, A): target score of the assigned class (0 for background)
  double target_scores_sum = 0.0;  // sum of norm (before the max(., 1))
};

struct DetLossValues {
  double box = 0, cls = 0, dfl = 0;  // gained, before x batch
  double total = 0;                  // (box + cls + dfl) * batch
};

// Runs target grouping and the TaskAlignedAssigner on f32 logits.
DetAssignment det_assign(const DetLossShape& shape, const DetLossParams& params, const float* pred_distri,
                         const float* pred_scores, const float* anchors, const float* strides,
                         const float* targets, int num_targets);

// Losses for a fixed assignment, in double; gradients of the total (x grad_scale) when the pointers are set.
// ciou_alpha (tests only): when given and empty it receives CIoU's alpha per (B, A) anchor; when given and
// filled those alphas are used, so central differences see alpha as the constant the gradient treats it as.
template <class T>
DetLossValues det_loss_given_assignment(const DetLossShape& shape, const DetLossParams& params,
                                        const T* pred_distri, const T* pred_scores, const float* anchors,
                                        const float* strides, const DetAssignment& assignment,
                                        double grad_scale, double* grad_distri, double* grad_scores,
                                        std::vector<double>* ciou_alpha = nullptr);

}  // namespace ye::kernels::cpu

// CPU reference of the detection loss's target preprocessing and TaskAlignedAssigner (topk 10, alpha 0.5,
// beta 6, CIoU overlaps, conflicts resolved by the largest overlap over all GTs, target-score
// normalisation), computed in f32 in the reference's operation order with its CPU top-k tie behaviour.
#include <algorithm>

#include "kernels/error.h"
#include "kernels/cpu/det_loss_internal.h"
#include "kernels/det_loss_topk.h"

namespace ye::kernels::cpu {

using detloss::Box;

void det_targets_preprocess(const float* targets, int num_targets, const DetLossShape& s, float* gt,
                            int32_t* counts) {
  YE_CHECK(s.batch > 0 && s.max_boxes >= 0, "det_targets_preprocess: bad shape B=", s.batch, " M=", s.max_boxes);
  std::fill(gt, gt + size_t(s.batch) * s.max_boxes * 5, 0.0f);
  std::vector<int32_t> n(s.batch, 0);
  for (int r = 0; r < num_targets; ++r) {
    const float* row = targets + size_t(r) * kDetTargetCols;
    const int b = int(row[0]);
    YE_CHECK(b >= 0 && b < s.batch && float(b) == row[0], "det_targets_preprocess: target row ", r,
             " has image index ", row[0], " outside [0, ", s.batch, ")");
    YE_CHECK(row[1] >= 0.0f && row[1] < float(s.classes), "det_targets_preprocess: target row ", r, " has class ",
             row[1], " outside [0, ", s.classes, ")");
    YE_CHECK(n[b] < s.max_boxes, "det_targets_preprocess: image ", b, " has more than max_boxes=", s.max_boxes,
             " boxes");
    const Box box = detloss::target_box_pixels(row[2], row[3], row[4], row[5], float(s.img_w), float(s.img_h));
    float* out = gt + (size_t(b) * s.max_boxes + n[b]) * 5;
    out[0] = row[1];
    out[1] = box.x1;
    out[2] = box.y1;
    out[3] = box.x2;
    out[4] = box.y2;
    ++n[b];
  }
  if (counts) std::copy(n.begin(), n.end(), counts);
}

namespace {

Box gt_box(const float* row) { return {row[1], row[2], row[3], row[4]}; }

struct ImageView {
  const float* gt;         // (M, 5)
  const Box* pred_px;      // (A) predicted boxes in pixels
  const float* scores;     // (A, nc)
  const float* anchors;    // (A, 2) grid units
  const float* strides;    // (A)
  int nc;
};

detloss::TaskMetric metric(const ImageView& v, const DetLossParams& p, int g, int a) {
  const float* row = v.gt + size_t(g) * 5;
  const Box gt = gt_box(row);
  const int cls = std::max(int(row[0]), 0);
  const float s = v.strides[a];
  const float ax = detloss::fmul(v.anchors[2 * a], s), ay = detloss::fmul(v.anchors[2 * a + 1], s);
  const float d = detloss::fmin2(detloss::fmin2(detloss::fsub(ax, gt.x1), detloss::fsub(ay, gt.y1)),
                                 detloss::fmin2(detloss::fsub(gt.x2, ax), detloss::fsub(gt.y2, ay)));
  if (!(d > 1e-9f)) return {false, 0.0f, 0.0f};  // outside: skip the score and CIoU (task_metric agrees)
  const float prob = detloss::sigmoid_f32(v.scores[size_t(a) * v.nc + cls]);
  return detloss::task_metric(gt, detloss::target_is_valid(gt), ax, ay, v.pred_px[a], prob, p.alpha, p.beta);
}

}  // namespace

DetAssignment det_assign(const DetLossShape& s, const DetLossParams& p, const float* pred_distri,
                         const float* pred_scores, const float* anchors, const float* strides,
                         const float* targets, int num_targets) {
  const int B = s.batch, A = s.anchors, M = s.max_boxes, nc = s.classes;
  YE_CHECK(p.topk >= 1 && p.topk <= kDetMaxTopk && p.topk <= A, "det_assign: topk ", p.topk,
           " must be in [1, min(", kDetMaxTopk, ", A=", A, ")]");
  DetAssignment r;
  r.gt.assign(size_t(B) * M * 5, 0.0f);
  r.counts.assign(B, 0);
  det_targets_preprocess(targets, num_targets, s, r.gt.data(), r.counts.data());
  r.assigned.assign(size_t(B) * A, -1);
  r.norm.assign(size_t(B) * A, 0.0f);

  std::vector<Box> pred(A);
  std::vector<detloss::ScoredIndex> order(A);
  std::vector<int> claims(A), first_claim(A);
  std::vector<float> align(A), overlap(A), pos_align(M), pos_overlap(M);
  for (int b = 0; b < B; ++b) {
    for (int a = 0; a < A; ++a) {
      const float* z = pred_distri + (size_t(b) * A + a) * kDetBoxChannels;
      const float ax = anchors[2 * a], ay = anchors[2 * a + 1], st = strides[a];
      const Box grid = {detloss::fsub(ax, detloss::decode_side(z)), detloss::fsub(ay, detloss::decode_side(z + 16)),
                        detloss::fadd(ax, detloss::decode_side(z + 32)), detloss::fadd(ay, detloss::decode_side(z + 48))};
      pred[a] = {detloss::fmul(grid.x1, st), detloss::fmul(grid.y1, st), detloss::fmul(grid.x2, st),
                 detloss::fmul(grid.y2, st)};
    }
    const ImageView v{r.gt.data() + size_t(b) * M * 5, pred.data(), pred_scores + size_t(b) * A * nc, anchors,
                      strides, nc};
    std::fill(claims.begin(), claims.end(), 0);
    // Top-k candidates of every valid GT, kept where the anchor lies inside the GT.
    for (int g = 0; g < M; ++g) {
      if (!detloss::target_is_valid(gt_box(v.gt + size_t(g) * 5))) continue;
      for (int a = 0; a < A; ++a) order[a] = {metric(v, p, g, a).align, a};
      detloss::topk_select_reference(order.data(), A, p.topk);
      for (int j = 0; j < p.topk; ++j) {
        const int a = order[j].index;
        if (!metric(v, p, g, a).in_box) continue;
        if (claims[a]++ == 0) first_claim[a] = g;
      }
    }
    // Conflicts go to the GT with the largest overlap over all rows (first on ties).
    std::fill(pos_align.begin(), pos_align.end(), 0.0f);
    std::fill(pos_overlap.begin(), pos_overlap.end(), 0.0f);
    int32_t* assigned = r.assigned.data() + size_t(b) * A;
    for (int a = 0; a < A; ++a) {
      if (claims[a] == 0) continue;
      int g_best = first_claim[a];
      if (claims[a] > 1) {
        float best = -1.0f;
        for (int g = 0; g < M; ++g) {
          const float u = metric(v, p, g, a).overlap;
          if (u > best) best = u, g_best = g;
        }
      }
      const detloss::TaskMetric m = metric(v, p, g_best, a);
      assigned[a] = g_best;
      align[a] = m.align;
      overlap[a] = m.overlap;
      pos_align[g_best] = std::max(pos_align[g_best], m.align);
      pos_overlap[g_best] = std::max(pos_overlap[g_best], m.overlap);
    }
    float* norm = r.norm.data() + size_t(b) * A;
    for (int a = 0; a < A; ++a) {
      const int g = assigned[a];
      if (g < 0) continue;
      norm[a] = detloss::fdiv(detloss::fmul(align[a], pos_overlap[g]), detloss::fadd(pos_align[g], p.eps));
      r.target_scores_sum += norm[a];
    }
  }
  return r;
}

}  // namespace ye::kernels::cpu

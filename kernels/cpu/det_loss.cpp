// CPU reference of the detection loss for a given assignment (BCE class loss, 1 - CIoU box loss, DFL) and
// its analytic gradient w.r.t. the logits (CIoU through the softmax-expectation decode), in double; plus
// the f32 entry point cpu::det_loss that chains preprocessing, assigner, loss and backward.
#include <algorithm>
#include <cmath>

#include "kernels/error.h"
#include "kernels/cpu/det_loss_internal.h"
#include "kernels/det_loss_math.h"

namespace ye::kernels::cpu {

template <class T>
DetLossValues det_loss_given_assignment(const DetLossShape& s, const DetLossParams& p, const T* pred_distri,
                                        const T* pred_scores, const float* anchors, const float* strides,
                                        const DetAssignment& asg, double grad_scale, double* grad_distri,
                                        double* grad_scores, std::vector<double>* ciou_alpha) {
  const int B = s.batch, A = s.anchors, M = s.max_boxes, nc = s.classes;
  const double tss = std::max(asg.target_scores_sum, 1.0);
  const double g_box = p.box_gain * B * grad_scale / tss, g_cls = p.cls_gain * B * grad_scale / tss;
  const double g_dfl = p.dfl_gain * B * grad_scale / tss;
  double sum_cls = 0, sum_iou = 0, sum_dfl = 0;
  const bool record_alpha = ciou_alpha && ciou_alpha->empty();
  if (record_alpha) ciou_alpha->assign(size_t(B) * A, -1.0);
  for (int b = 0; b < B; ++b) {
    for (int a = 0; a < A; ++a) {
      const size_t ba = size_t(b) * A + a;
      const int g = asg.assigned[ba];
      const float* gt = g >= 0 ? asg.gt.data() + (size_t(b) * M + g) * 5 : nullptr;
      const double w = asg.norm[ba];
      const int label = gt ? std::max(int(gt[0]), 0) : -1;
      for (int c = 0; c < nc; ++c) {
        double dx;
        sum_cls += detloss::bce_with_logits<double>(pred_scores[ba * nc + c], c == label ? w : 0.0, &dx);
        if (grad_scores) grad_scores[ba * nc + c] = dx * g_cls;
      }
      double* gd = grad_distri ? grad_distri + ba * kDetBoxChannels : nullptr;
      if (!gt) {
        if (gd) std::fill(gd, gd + kDetBoxChannels, 0.0);
        continue;
      }
      double z[kDetBoxChannels];
      for (int i = 0; i < kDetBoxChannels; ++i) z[i] = pred_distri[ba * kDetBoxChannels + i];
      const float ax = anchors[2 * a], ay = anchors[2 * a + 1], st = strides[a];
      // Target in grid units and its DFL encoding, in f32 as the reference computes them.
      const float tgt[4] = {detloss::fdiv(gt[1], st), detloss::fdiv(gt[2], st), detloss::fdiv(gt[3], st),
                            detloss::fdiv(gt[4], st)};
      const float dist[4] = {detloss::fsub(ax, tgt[0]), detloss::fsub(ay, tgt[1]), detloss::fsub(tgt[2], ax),
                             detloss::fsub(tgt[3], ay)};
      const double pb[4] = {ax - detloss::decode_side_s(z), ay - detloss::decode_side_s(z + 16),
                            ax + detloss::decode_side_s(z + 32), ay + detloss::decode_side_s(z + 48)};
      const double tb[4] = {tgt[0], tgt[1], tgt[2], tgt[3]};
      const double alpha_in = ciou_alpha && !record_alpha ? (*ciou_alpha)[ba] : -1.0;
      const detloss::CiouGrad<double> ci = detloss::ciou_and_grad<double>(pb, tb, alpha_in);
      if (record_alpha) (*ciou_alpha)[ba] = ci.alpha;
      sum_iou += (1.0 - ci.ciou) * w;
      // d total / d side distance: x1 = ax - l, y1 = ay - t, x2 = ax + r, y2 = ay + b.
      const double side_sign[4] = {-1.0, -1.0, 1.0, 1.0};
      double dfl = 0, scratch[16];
      for (int side = 0; side < 4; ++side) {
        const detloss::DflTarget t = detloss::dfl_target(dist[side]);
        const double g_dist = -w * g_box * ci.d[side] * side_sign[side];
        dfl += detloss::dfl_side<double>(z + 16 * side, t.tl, t.wl, t.wr, w * g_dfl / 4.0, g_dist,
                                         gd ? gd + 16 * side : scratch);
      }
      sum_dfl += dfl / 4.0 * w;
    }
  }
  DetLossValues r;
  r.box = sum_iou / tss * p.box_gain;
  r.cls = sum_cls / tss * p.cls_gain;
  r.dfl = sum_dfl / tss * p.dfl_gain;
  r.total = (r.box + r.cls + r.dfl) * B;
  return r;
}

template DetLossValues det_loss_given_assignment<float>(const DetLossShape&, const DetLossParams&, const float*,
                                                        const float*, const float*, const float*,
                                                        const DetAssignment&, double, double*, double*,
                                                        std::vector<double>*);
template DetLossValues det_loss_given_assignment<double>(const DetLossShape&, const DetLossParams&, const double*,
                                                         const double*, const float*, const float*,
                                                         const DetAssignment&, double, double*, double*,
                                                        std::vector<double>*);

void det_loss(const DetLossShape& s, const DetLossParams& p, const DetLossInputs& in, const DetLossOutputs& out) {
  YE_CHECK(in.dtype == DType::f32, "cpu::det_loss: logits must be f32, got ", dtype_name(in.dtype));
  YE_CHECK(s.batch > 0 && s.anchors > 0 && s.classes > 0 && s.img_h > 0 && s.img_w > 0,
           "cpu::det_loss: bad shape B=", s.batch, " A=", s.anchors, " nc=", s.classes, " img=", s.img_h, "x",
           s.img_w);
  YE_CHECK(in.pred_distri && in.pred_scores && in.anchors && in.strides && out.loss,
           "cpu::det_loss: null input/output pointer");
  YE_CHECK(in.num_targets == 0 || in.targets, "cpu::det_loss: targets is null with num_targets=", in.num_targets);
  const auto* distri = static_cast<const float*>(in.pred_distri);
  const auto* scores = static_cast<const float*>(in.pred_scores);
  const DetAssignment asg =
      det_assign(s, p, distri, scores, in.anchors, in.strides, in.targets, in.num_targets);
  const size_t n_box = size_t(s.batch) * s.anchors * kDetBoxChannels, n_cls = size_t(s.batch) * s.anchors * s.classes;
  const bool backward = out.grad_distri || out.grad_scores;
  std::vector<double> gd(backward ? n_box : 0), gs(backward ? n_cls : 0);
  const double scale = in.grad_scale ? double(*in.grad_scale) : 1.0;
  const DetLossValues v = det_loss_given_assignment<float>(s, p, distri, scores, in.anchors, in.strides, asg, scale,
                                                           backward ? gd.data() : nullptr,
                                                           backward ? gs.data() : nullptr);
  out.loss[0] = float(v.box);
  out.loss[1] = float(v.cls);
  out.loss[2] = float(v.dfl);
  out.loss[3] = float(v.total);
  if (out.grad_distri) std::transform(gd.begin(), gd.end(), static_cast<float*>(out.grad_distri), [](double x) { return float(x); });
  if (out.grad_scores) std::transform(gs.begin(), gs.end(), static_cast<float*>(out.grad_scores), [](double x) { return float(x); });
  if (out.assigned_gt) std::copy(asg.assigned.begin(), asg.assigned.end(), out.assigned_gt);
  if (out.target_norm) std::copy(asg.norm.begin(), asg.norm.end(), out.target_norm);
  if (out.box_counts) std::copy(asg.counts.begin(), asg.counts.end(), out.box_counts);
}

}  // namespace ye::kernels::cpu

// Host/device maths of the detection loss shared by the CPU and CUDA twins. Assigner part: the same f32
// bits on both (explicit round-to-nearest ops, no FMA contraction on the GPU, transcendentals through
// double): target box decode, box-distribution decode, the reference's f32 CIoU and alignment metric.
// Loss part (templated on f32/f64): BCE-with-logits, CIoU with its gradient, DFL side with its gradient.
#pragma once
#include <cmath>

#if defined(__CUDACC__)
#define YE_HD __host__ __device__ __forceinline__
#else
#define YE_HD inline
#endif

namespace ye::kernels::detloss {

#if defined(__CUDA_ARCH__)
YE_HD float fadd(float a, float b) { return __fadd_rn(a, b); }
YE_HD float fsub(float a, float b) { return __fsub_rn(a, b); }
YE_HD float fmul(float a, float b) { return __fmul_rn(a, b); }
YE_HD float fdiv(float a, float b) { return __fdiv_rn(a, b); }
YE_HD float fsqrt(float a) { return __fsqrt_rn(a); }
#else
YE_HD float fadd(float a, float b) { return a + b; }
YE_HD float fsub(float a, float b) { return a - b; }
YE_HD float fmul(float a, float b) { return a * b; }
YE_HD float fdiv(float a, float b) { return a / b; }
YE_HD float fsqrt(float a) { return std::sqrt(a); }
#endif
YE_HD float fmin2(float a, float b) { return b < a ? b : a; }
YE_HD float fmax2(float a, float b) { return b > a ? b : a; }

struct Box {
  float x1, y1, x2, y2;
};

// Target row (xc, yc, w, h normalized) -> xyxy pixels, as preprocess + xywh2xyxy do it in f32.
YE_HD Box target_box_pixels(float xc, float yc, float w, float h, float img_w, float img_h) {
  const float cx = fmul(xc, img_w), cy = fmul(yc, img_h);
  const float hw = fdiv(fmul(w, img_w), 2.0f), hh = fdiv(fmul(h, img_h), 2.0f);
  return {fsub(cx, hw), fsub(cy, hh), fadd(cx, hw), fadd(cy, hh)};
}

// mask_gt of the reference: the padded row is a real box when x1 + y1 + x2 + y2 > 0.
YE_HD bool target_is_valid(const Box& b) { return fadd(fadd(fadd(b.x1, b.y1), b.x2), b.y2) > 0.0f; }

// Expectation of one side's 16-bin softmax (the DFL decode), in double, rounded to f32.
YE_HD float decode_side(const float* z) {
  double m = z[0];
  for (int j = 1; j < 16; ++j) m = z[j] > m ? z[j] : m;
  double s = 0.0, e = 0.0;
  for (int j = 0; j < 16; ++j) {
    const double p = exp(double(z[j]) - m);
    s += p;
    e += p * j;
  }
  return float(e / s);
}

YE_HD float sigmoid_f32(float x) { return float(1.0 / (1.0 + exp(-double(x)))); }
YE_HD float atan_f32(float x) { return float(atan(double(x))); }

// Complete IoU of the reference in f32 (xyxy, eps 1e-7 on the heights only); box1 first, as called.
YE_HD float ciou_f32(const Box& a, const Box& b) {
  const float eps = 1e-7f;
  const float w1 = fsub(a.x2, a.x1), h1 = fadd(fsub(a.y2, a.y1), eps);
  const float w2 = fsub(b.x2, b.x1), h2 = fadd(fsub(b.y2, b.y1), eps);
  const float iw = fmax2(fsub(fmin2(a.x2, b.x2), fmax2(a.x1, b.x1)), 0.0f);
  const float ih = fmax2(fsub(fmin2(a.y2, b.y2), fmax2(a.y1, b.y1)), 0.0f);
  const float inter = fmul(iw, ih);
  const float uni = fadd(fsub(fadd(fmul(w1, h1), fmul(w2, h2)), inter), eps);
  const float iou = fdiv(inter, uni);
  const float cw = fsub(fmax2(a.x2, b.x2), fmin2(a.x1, b.x1));
  const float ch = fsub(fmax2(a.y2, b.y2), fmin2(a.y1, b.y1));
  const float c2 = fadd(fadd(fmul(cw, cw), fmul(ch, ch)), eps);
  const float dx = fsub(fsub(fadd(b.x1, b.x2), a.x1), a.x2);
  const float dy = fsub(fsub(fadd(b.y1, b.y2), a.y1), a.y2);
  const float rho2 = fdiv(fadd(fmul(dx, dx), fmul(dy, dy)), 4.0f);
  const float k = float(4.0 / (3.14159265358979323846 * 3.14159265358979323846));
  const float da = fsub(atan_f32(fdiv(w2, h2)), atan_f32(fdiv(w1, h1)));
  const float v = fmul(k, fmul(da, da));
  const float alpha = fdiv(v, fadd(fsub(v, iou), float(1.0 + 1e-7)));
  return fsub(iou, fadd(fdiv(rho2, c2), fmul(v, alpha)));
}

struct TaskMetric {
  bool in_box;   // anchor centre strictly inside the GT box (and the GT is valid)
  float overlap; // CIoU(gt, pred) clamped at 0, 0 outside
  float align;   // score^alpha * overlap^beta, 0 outside
};

// The assigner's per-(GT, anchor) quantities. Anchor and boxes in pixels; prob = sigmoid(class logit).
YE_HD TaskMetric task_metric(const Box& gt, bool gt_valid, float ax, float ay, const Box& pred, float prob,
                             float alpha, float beta) {
  const float d = fmin2(fmin2(fsub(ax, gt.x1), fsub(ay, gt.y1)), fmin2(fsub(gt.x2, ax), fsub(gt.y2, ay)));
  if (!gt_valid || !(d > 1e-9f)) return {false, 0.0f, 0.0f};
  const float u = fmax2(ciou_f32(gt, pred), 0.0f);
  const float sa = alpha == 0.5f ? fsqrt(prob) : float(pow(double(prob), double(alpha)));
  const float ub = float(pow(double(u), double(beta)));
  return {true, u, fmul(sa, ub)};
}

}  // namespace ye::kernels::detloss

namespace ye::kernels::detloss {

YE_HD float exp_s(float x) { return expf(x); }
YE_HD double exp_s(double x) { return exp(x); }
YE_HD float log_s(float x) { return logf(x); }
YE_HD double log_s(double x) { return log(x); }
YE_HD float log1p_s(float x) { return log1pf(x); }
YE_HD double log1p_s(double x) { return log1p(x); }
YE_HD float atan_s(float x) { return atanf(x); }
YE_HD double atan_s(double x) { return atan(x); }

// BCE-with-logits of one element and its derivative w.r.t. the logit: sigmoid(x) - target.
template <class S>
YE_HD S bce_with_logits(S x, S target, S* dx) {
  const S e = exp_s(-(x < S(0) ? -x : x));
  const S sig = x >= S(0) ? S(1) / (S(1) + e) : e / (S(1) + e);
  *dx = sig - target;
  return (x > S(0) ? x : S(0)) - x * target + log1p_s(e);
}

// Derivative of min(a, b) / max(a, b) w.r.t. a with torch's convention (half each on ties).
template <class S>
YE_HD S dmin_da(S a, S b) { return a < b ? S(1) : (a == b ? S(0.5) : S(0)); }
template <class S>
YE_HD S dmax_da(S a, S b) { return a > b ? S(1) : (a == b ? S(0.5) : S(0)); }

template <class S>
struct CiouGrad {
  S ciou;
  S alpha;  // CIoU's aspect-ratio weight (no gradient)
  S d[4];   // d ciou / d (x1, y1, x2, y2) of box1, alpha held constant
};

// CIoU(box1 = p, box2 = t) as the box loss calls it (xyxy, eps 1e-7 on heights), with its gradient.
// fixed_alpha >= 0 replaces the computed alpha (lets a numeric gradient check hold it constant).
template <class S>
YE_HD CiouGrad<S> ciou_and_grad(const S p[4], const S t[4], S fixed_alpha = S(-1)) {
  const S eps = S(1e-7), k = S(4.0 / (3.14159265358979323846 * 3.14159265358979323846));
  const S w1 = p[2] - p[0], h1 = p[3] - p[1] + eps, w2 = t[2] - t[0], h2 = t[3] - t[1] + eps;
  const S mnx = p[2] < t[2] ? p[2] : t[2], mxx = p[0] > t[0] ? p[0] : t[0];
  const S mny = p[3] < t[3] ? p[3] : t[3], mxy = p[1] > t[1] ? p[1] : t[1];
  const S ix = mnx - mxx, iy = mny - mxy;
  const S iw = ix > S(0) ? ix : S(0), ih = iy > S(0) ? iy : S(0);
  const S inter = iw * ih;
  const S uni = w1 * h1 + w2 * h2 - inter + eps;
  const S iou = inter / uni;
  const S cw = (p[2] > t[2] ? p[2] : t[2]) - (p[0] < t[0] ? p[0] : t[0]);
  const S ch = (p[3] > t[3] ? p[3] : t[3]) - (p[1] < t[1] ? p[1] : t[1]);
  const S c2 = cw * cw + ch * ch + eps;
  const S dx = t[0] + t[2] - p[0] - p[2], dy = t[1] + t[3] - p[1] - p[3];
  const S rho2 = (dx * dx + dy * dy) / S(4);
  const S da = atan_s(w2 / h2) - atan_s(w1 / h1);
  const S v = k * da * da;
  const S alpha = fixed_alpha >= S(0) ? fixed_alpha : v / (v - iou + (S(1) + eps));
  CiouGrad<S> r;
  r.alpha = alpha;
  r.ciou = iou - (rho2 / c2 + v * alpha);

  // iou = inter / (a1 + a2 - inter + eps): d iou = g_inter d inter + g_a1 d a1
  const S g_inter = (uni + inter) / (uni * uni), g_a1 = -inter / (uni * uni);
  const S pass_x = ix >= S(0) ? S(1) : S(0), pass_y = iy >= S(0) ? S(1) : S(0);
  const S d_iw_x1 = -pass_x * dmax_da(p[0], t[0]), d_iw_x2 = pass_x * dmin_da(p[2], t[2]);
  const S d_ih_y1 = -pass_y * dmax_da(p[1], t[1]), d_ih_y2 = pass_y * dmin_da(p[3], t[3]);
  S d_iou[4] = {g_inter * ih * d_iw_x1 - g_a1 * h1, g_inter * iw * d_ih_y1 - g_a1 * w1,
                g_inter * ih * d_iw_x2 + g_a1 * h1, g_inter * iw * d_ih_y2 + g_a1 * w1};
  // rho2 / c2
  const S d_cw_x1 = -dmin_da(p[0], t[0]), d_cw_x2 = dmax_da(p[2], t[2]);
  const S d_ch_y1 = -dmin_da(p[1], t[1]), d_ch_y2 = dmax_da(p[3], t[3]);
  const S q = rho2 / (c2 * c2);
  const S d_ratio[4] = {-dx / S(2) / c2 - q * S(2) * cw * d_cw_x1, -dy / S(2) / c2 - q * S(2) * ch * d_ch_y1,
                        -dx / S(2) / c2 - q * S(2) * cw * d_cw_x2, -dy / S(2) / c2 - q * S(2) * ch * d_ch_y2};
  // v: d v = -2 k da * (h1 d w1 - w1 d h1) / (w1^2 + h1^2)
  const S gv = -S(2) * k * da / (w1 * w1 + h1 * h1) * alpha;
  const S d_v[4] = {-gv * h1, gv * w1, gv * h1, -gv * w1};
  for (int i = 0; i < 4; ++i) r.d[i] = d_iou[i] - d_ratio[i] - d_v[i];
  return r;
}

// One side of the box distribution: softmax p over the 16 logits, decoded distance l = sum j p_j, DFL
// cross-entropy against the interpolated target (left bin weight wl, right wr). Writes
// grad_j = g_dfl (p_j - wl [j = tl] - wr [j = tl + 1]) + g_dist p_j (j - l) and returns the DFL value.
template <class S>
YE_HD S dfl_side(const S* z, int tl, S wl, S wr, S g_dfl, S g_dist, S* grad) {
  S m = z[0];
  for (int j = 1; j < 16; ++j) m = z[j] > m ? z[j] : m;
  S p[16], s = S(0), l = S(0);
  for (int j = 0; j < 16; ++j) {
    p[j] = exp_s(z[j] - m);
    s += p[j];
  }
  for (int j = 0; j < 16; ++j) {
    p[j] /= s;
    l += p[j] * S(j);
  }
  const S lse = m + log_s(s);
  for (int j = 0; j < 16; ++j) {
    const S onehot = (j == tl ? wl : S(0)) + (j == tl + 1 ? wr : S(0));
    grad[j] = g_dfl * (p[j] - onehot) + g_dist * p[j] * (S(j) - l);
  }
  return (lse - z[tl]) * wl + (lse - z[tl + 1]) * wr;
}

// Expectation of one side in S (the differentiable decode used by the box loss).
template <class S>
YE_HD S decode_side_s(const S* z) {
  S m = z[0];
  for (int j = 1; j < 16; ++j) m = z[j] > m ? z[j] : m;
  S s = S(0), e = S(0);
  for (int j = 0; j < 16; ++j) {
    const S p = exp_s(z[j] - m);
    s += p;
    e += p * S(j);
  }
  return e / s;
}

// DFL target of one side: distance clamped to [0, 14.99] in f32, left bin and the two bin weights.
struct DflTarget {
  int tl;
  float wl, wr;
};
YE_HD DflTarget dfl_target(float dist) {
  const float d = fmin2(fmax2(dist, 0.0f), 14.99f);
  const int tl = int(d);
  const float wl = fsub(float(tl + 1), d);
  return {tl, wl, fsub(1.0f, wl)};
}

}  // namespace ye::kernels::detloss

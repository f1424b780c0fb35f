// compute_ap and ap_per_class of the reference (see ap.h), in double precision with numpy's
// interpolation, summation and rounding rules.
#include "yolo/metrics/ap.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kernels/error.h"
#include "yolo/metrics/numeric.h"

namespace ye::yolo {

double compute_ap(const std::vector<double>& recall, const std::vector<double>& precision, std::vector<double>* mpre_out,
                  std::vector<double>* mrec_out) {
  YE_CHECK(recall.size() == precision.size(), "compute_ap: recall and precision differ in length");
  std::vector<double> mrec{0.0}, mpre{1.0};
  mrec.insert(mrec.end(), recall.begin(), recall.end());
  mrec.push_back(1.0);
  mpre.insert(mpre.end(), precision.begin(), precision.end());
  mpre.push_back(0.0);
  for (size_t i = mpre.size() - 1; i-- > 0;) {  // running max from the right (NaN propagates like np.maximum)
    const double a = mpre[i], b = mpre[i + 1];
    mpre[i] = (std::isnan(a) || std::isnan(b)) ? std::nan("") : std::max(a, b);
  }
  const std::vector<double> x = linspace(0.0, 1.0, 101);
  const double ap = trapezoid(interp(x, mrec, mpre), x);
  if (mpre_out) *mpre_out = std::move(mpre);
  if (mrec_out) *mrec_out = std::move(mrec);
  return ap;
}

namespace {
// np.argmax: first maximum, a NaN counts as the maximum.
int argmax_numpy(const std::vector<double>& v) {
  int best = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (std::isnan(v[i])) return int(i);
    if (v[i] > v[size_t(best)]) best = int(i);
  }
  return best;
}
}  // namespace

ApResult ap_per_class(std::span<const uint8_t> tp, std::span<const float> conf, std::span<const int32_t> pred_cls,
                      std::span<const int32_t> target_cls) {
  const size_t n = conf.size();
  YE_CHECK(pred_cls.size() == n && tp.size() == n * kNumIou, "ap_per_class: tp (", tp.size(), "), conf (", n,
           ") and pred_cls (", pred_cls.size(), ") disagree");
  const double eps = 1e-16;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return -conf[a] < -conf[b]; });

  ApResult res;
  std::vector<int32_t> sorted_targets(target_cls.begin(), target_cls.end());
  std::sort(sorted_targets.begin(), sorted_targets.end());
  for (size_t i = 0; i < sorted_targets.size();) {
    size_t j = i;
    while (j < sorted_targets.size() && sorted_targets[j] == sorted_targets[i]) ++j;
    res.classes.push_back(sorted_targets[i]);
    res.n_targets.push_back(int64_t(j - i));
    i = j;
  }
  const size_t nc = res.classes.size();
  res.px = linspace(0.0, 1.0, 1000);
  std::vector<double> neg_x(res.px.size());
  for (size_t k = 0; k < res.px.size(); ++k) neg_x[k] = -res.px[k];
  res.ap.assign(nc, {});
  res.p_curve.assign(nc, std::vector<double>(res.px.size(), 0.0));
  res.r_curve = res.p_curve;

  for (size_t ci = 0; ci < nc; ++ci) {
    std::vector<size_t> idx;
    for (size_t o : order)
      if (pred_cls[o] == res.classes[ci]) idx.push_back(o);
    const int64_t n_l = res.n_targets[ci];
    if (idx.empty() || n_l == 0) continue;
    std::vector<double> neg_conf(idx.size());
    for (size_t k = 0; k < idx.size(); ++k) neg_conf[k] = double(-conf[idx[k]]);
    std::vector<std::vector<double>> recall(kNumIou, std::vector<double>(idx.size()));
    std::vector<std::vector<double>> precision = recall;
    for (int t = 0; t < kNumIou; ++t) {
      int64_t tpc = 0, fpc = 0;
      for (size_t k = 0; k < idx.size(); ++k) {
        const int64_t hit = tp[idx[k] * kNumIou + size_t(t)] ? 1 : 0;
        tpc += hit;
        fpc += 1 - hit;
        recall[size_t(t)][k] = double(tpc) / (double(n_l) + eps);
        precision[size_t(t)][k] = double(tpc) / double(tpc + fpc);
      }
    }
    res.r_curve[ci] = interp(neg_x, neg_conf, recall[0], 0.0);
    res.p_curve[ci] = interp(neg_x, neg_conf, precision[0], 1.0);
    for (int t = 0; t < kNumIou; ++t) {
      std::vector<double> mpre, mrec;
      res.ap[ci][size_t(t)] = compute_ap(recall[size_t(t)], precision[size_t(t)], &mpre, &mrec);
      if (t == 0) {
        res.prec_values.push_back(interp(res.px, mrec, mpre));
        res.pr_classes.push_back(int32_t(ci));
      }
    }
  }
  if (res.prec_values.empty()) res.prec_values.push_back(std::vector<double>(res.px.size(), 0.0));

  res.f1_curve.assign(nc, std::vector<double>(res.px.size()));
  std::vector<double> mean_f1(res.px.size(), 0.0);
  for (size_t ci = 0; ci < nc; ++ci)
    for (size_t k = 0; k < res.px.size(); ++k) {
      const double p = res.p_curve[ci][k], r = res.r_curve[ci][k];
      res.f1_curve[ci][k] = 2 * p * r / (p + r + eps);
      mean_f1[k] += res.f1_curve[ci][k];
    }
  for (double& v : mean_f1) v /= double(nc);  // nc == 0 gives NaN, as numpy's mean of nothing
  res.max_f1_index = argmax_numpy(smooth(mean_f1, 0.1));
  const size_t i = size_t(res.max_f1_index);
  for (size_t ci = 0; ci < nc; ++ci) {
    const double p = res.p_curve[ci][i], r = res.r_curve[ci][i];
    res.p.push_back(p);
    res.r.push_back(r);
    res.f1.push_back(res.f1_curve[ci][i]);
    const double t = round_half_even(r * double(res.n_targets[ci]));
    res.tp.push_back(t);
    res.fp.push_back(round_half_even(t / (p + eps) - t));
  }
  return res;
}

}  // namespace ye::yolo

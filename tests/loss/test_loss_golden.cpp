// Parity of the CPU detection loss with the reference's v8DetectionLoss (goldens from
// tests/parity/gen_loss.py): loss items, total, assigner outputs (foreground, assigned GT, target
// scores) and the gradients of the total w.r.t. both logit tensors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "kernels/det_loss.h"
#include "loss/loss_golden.h"

namespace {

using ye::test::loss::LossCase;

struct CpuRun {
  float loss[4];
  std::vector<float> grad_distri, grad_scores, norm;
  std::vector<int32_t> assigned;
};

CpuRun run_cpu(const LossCase& c) {
  const auto& s = c.shape;
  CpuRun r;
  r.grad_distri.assign(size_t(s.batch) * s.anchors * 64, NAN);
  r.grad_scores.assign(size_t(s.batch) * s.anchors * s.classes, NAN);
  r.norm.assign(size_t(s.batch) * s.anchors, NAN);
  r.assigned.assign(size_t(s.batch) * s.anchors, -7);
  ye::kernels::DetLossInputs in;
  in.pred_distri = c.distri.data();
  in.pred_scores = c.scores.data();
  in.anchors = c.anchors.data();
  in.strides = c.strides.data();
  in.targets = c.targets.data();
  in.num_targets = c.num_targets;
  ye::kernels::DetLossOutputs out;
  out.loss = r.loss;
  out.grad_distri = r.grad_distri.data();
  out.grad_scores = r.grad_scores.data();
  out.assigned_gt = r.assigned.data();
  out.target_norm = r.norm.data();
  ye::kernels::cpu::det_loss(s, {}, in, out);
  return r;
}

// Largest |a - ref| / (atol + rtol |ref|); <= 1 passes. NaN fails.
double worst_ratio(const std::vector<float>& a, const std::vector<float>& ref, double atol, double rtol) {
  REQUIRE(a.size() == ref.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double diff = std::abs(double(a[i]) - ref[i]);
    const double e = diff == 0 ? 0 : diff / (atol + rtol * std::abs(double(ref[i])));
    if (!(e <= worst)) worst = std::isnan(e) ? INFINITY : e;
  }
  return worst;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::abs(x)));
  return m;
}

void check_case(const std::string& name) {
  const LossCase c = ye::test::loss::load_golden(name);
  INFO("golden case ", name);
  const CpuRun r = run_cpu(c);
  // Assigner: identical foreground and assigned GT, target scores to f32 rounding.
  int fg_mismatch = 0, idx_mismatch = 0;
  for (size_t i = 0; i < r.assigned.size(); ++i) {
    fg_mismatch += (r.assigned[i] >= 0) != (c.fg_mask[i] != 0);
    if (c.fg_mask[i]) idx_mismatch += r.assigned[i] != c.target_gt_idx[i];
  }
  CHECK(fg_mismatch == 0);
  CHECK(idx_mismatch == 0);
  CHECK(worst_ratio(r.norm, c.target_norm, 1e-6, 1e-5) <= 1.0);
  // Loss items and total: relative 1e-5.
  for (int i = 0; i < 3; ++i) CHECK(double(r.loss[i]) == doctest::Approx(c.items[i]).epsilon(1e-5));
  CHECK(double(r.loss[3]) == doctest::Approx(c.total[0]).epsilon(1e-5));
  // Gradients: the reference runs in f32, so elements are compared to 1e-5 relative plus an absolute
  // floor of 1e-5 of the largest gradient (cancellation in sigmoid - target and p - onehot).
  CHECK(worst_ratio(r.grad_scores, c.grad_scores, 1e-5 * max_abs(c.grad_scores), 1e-5) <= 1.0);
  CHECK(worst_ratio(r.grad_distri, c.grad_distri, 1e-5 * max_abs(c.grad_distri), 1e-5) <= 1.0);
}

}  // namespace

TEST_CASE("det_loss cpu: golden basic (empty image, tiny and border boxes, non-square input)") { check_case("basic"); }
TEST_CASE("det_loss cpu: golden conflict (anchors claimed by two GTs)") { check_case("conflict"); }
TEST_CASE("det_loss cpu: golden many (120 boxes in one image)") { check_case("many"); }
TEST_CASE("det_loss cpu: golden empty batch") { check_case("empty"); }
TEST_CASE("det_loss cpu: golden large (partial-sort top-k path, zero-metric ties)") { check_case("large"); }

// Edge cases of the CPU detection loss: empty batch (closed form), hundreds of boxes in one image, boxes
// smaller than a cell, boxes on the borders and covering the image (DFL clamp at 14.99), padding capacity
// invariance, the gradient scale, forward-only calls and the input errors.
#include <doctest/doctest.h>

#include <cmath>

#include "kernels/error.h"
#include "kernels/det_loss.h"
#include "loss/loss_golden.h"

namespace {

using namespace ye::kernels;
using ye::test::loss::LossCase;

struct Result {
  float loss[4];
  std::vector<float> gd, gs, norm;
  std::vector<int32_t> assigned, counts;
};

Result run(const LossCase& c, const DetLossShape& s, float scale = 1.0f, bool backward = true) {
  Result r;
  r.gd.assign(size_t(s.batch) * s.anchors * 64, NAN);
  r.gs.assign(size_t(s.batch) * s.anchors * s.classes, NAN);
  r.norm.assign(size_t(s.batch) * s.anchors, NAN);
  r.assigned.assign(size_t(s.batch) * s.anchors, -7);
  r.counts.assign(s.batch, -7);
  DetLossInputs in;
  in.pred_distri = c.distri.data();
  in.pred_scores = c.scores.data();
  in.anchors = c.anchors.data();
  in.strides = c.strides.data();
  in.targets = c.targets.data();
  in.num_targets = c.num_targets;
  in.grad_scale = &scale;
  DetLossOutputs out;
  out.loss = r.loss;
  out.grad_distri = backward ? r.gd.data() : nullptr;
  out.grad_scores = backward ? r.gs.data() : nullptr;
  out.assigned_gt = r.assigned.data();
  out.target_norm = r.norm.data();
  out.box_counts = r.counts.data();
  cpu::det_loss(s, {}, in, out);
  return r;
}
Result run(const LossCase& c) { return run(c, c.shape); }

bool all_finite(const std::vector<float>& v) {
  for (float x : v)
    if (!std::isfinite(x)) return false;
  return true;
}

int count_fg(const Result& r) {
  int n = 0;
  for (int g : r.assigned) n += g >= 0;
  return n;
}

void add_box(LossCase& c, int img, int cls, float x1, float y1, float x2, float y2) {
  const float W = float(c.shape.img_w), H = float(c.shape.img_h);
  const float row[6] = {float(img), float(cls), (x1 + x2) / 2 / W, (y1 + y2) / 2 / H, (x2 - x1) / W, (y2 - y1) / H};
  c.targets.insert(c.targets.end(), row, row + 6);
  c.num_targets++;
}

TEST_CASE("det_loss cpu: empty batch is pure background BCE (closed form)") {
  LossCase c = ye::test::loss::random_case(3, 3, 64, 64, 4, 0);
  REQUIRE(c.num_targets == 0);
  const Result r = run(c);
  double bce = 0;
  for (float x : c.scores) bce += std::max(double(x), 0.0) + std::log1p(std::exp(-std::abs(double(x))));
  CHECK(r.loss[0] == 0.0f);
  CHECK(r.loss[2] == 0.0f);
  CHECK(double(r.loss[1]) == doctest::Approx(0.5 * bce).epsilon(1e-6));
  CHECK(double(r.loss[3]) == doctest::Approx(3 * 0.5 * bce).epsilon(1e-6));
  for (float g : r.gd) REQUIRE(g == 0.0f);
  for (size_t i = 0; i < c.scores.size(); ++i)
    REQUIRE(double(r.gs[i]) == doctest::Approx(0.5 * 3 / (1 + std::exp(-double(c.scores[i])))).epsilon(1e-6));
  CHECK(count_fg(r) == 0);
}

TEST_CASE("det_loss cpu: hundreds of boxes in one image") {
  const LossCase c = ye::test::loss::random_case(11, 2, 320, 320, 80, 300);
  REQUIRE(c.shape.max_boxes == 300);
  const Result r = run(c);
  CHECK(r.counts[0] == 300);
  CHECK(all_finite(r.gd));
  CHECK(all_finite(r.gs));
  for (int i = 0; i < 4; ++i) CHECK(std::isfinite(r.loss[i]));
  CHECK(r.loss[3] == doctest::Approx(2 * (r.loss[0] + r.loss[1] + r.loss[2])).epsilon(1e-6));
  const int fg = count_fg(r);
  CHECK(fg > 300);                // most GTs hold several anchors
  CHECK(fg <= 10 * c.num_targets);  // at most topk per GT
  for (size_t i = 0; i < r.assigned.size(); ++i) {
    REQUIRE(r.assigned[i] < r.counts[i / c.shape.anchors]);
    if (r.assigned[i] < 0) REQUIRE(r.norm[i] == 0.0f);
    else REQUIRE((r.norm[i] >= 0.0f && r.norm[i] <= 1.0f));
  }
}

TEST_CASE("det_loss cpu: tiny, border and whole-image boxes") {
  LossCase c = ye::test::loss::random_case(5, 1, 128, 128, 3, 0);
  add_box(c, 0, 0, 9.0f, 9.0f, 11.0f, 11.0f);      // tiny, holds no anchor centre (centres at 4, 12, ...)
  c.shape.max_boxes = 1;
  Result r = run(c);
  CHECK(count_fg(r) == 0);
  CHECK(r.loss[0] == 0.0f);
  add_box(c, 0, 1, 10.0f, 10.0f, 14.0f, 14.0f);    // tiny, holds the P3 centre (12, 12) = anchor 17
  for (int j = 0; j < 64; ++j) c.distri[17 * 64 + j] = j % 16 < 2 ? 20.0f : -20.0f;  // predicts (8, 8, 16, 16)
  add_box(c, 0, 2, 0.0f, 0.0f, 128.0f, 128.0f);    // whole image: distances beyond 15 cells clamp to 14.99
  add_box(c, 0, 1, 0.0f, 100.0f, 30.0f, 128.0f);   // touches left and bottom borders
  c.shape.max_boxes = 4;
  r = run(c);
  CHECK(all_finite(r.gd));
  CHECK(all_finite(r.gs));
  int per_gt[4] = {0, 0, 0, 0};
  for (int g : r.assigned)
    if (g >= 0) per_gt[g]++;
  CHECK(per_gt[0] == 0);
  CHECK(per_gt[1] >= 1);
  CHECK(per_gt[2] >= 1);
  CHECK(per_gt[3] >= 1);
  CHECK(r.loss[0] > 0.0f);
  CHECK(r.loss[2] > 0.0f);
}

TEST_CASE("det_loss cpu: padding capacity does not change the result") {
  const LossCase c = ye::test::loss::random_case(21, 3, 96, 128, 5, 12);
  const Result a = run(c);
  DetLossShape wide = c.shape;
  wide.max_boxes += 17;
  const Result b = run(c, wide);
  for (int i = 0; i < 4; ++i) CHECK(a.loss[i] == b.loss[i]);
  CHECK(a.gd == b.gd);
  CHECK(a.gs == b.gs);
  CHECK(a.assigned == b.assigned);
}

TEST_CASE("det_loss cpu: gradient scale and forward-only") {
  const LossCase c = ye::test::loss::random_case(8, 2, 64, 64, 3, 5);
  const Result a = run(c);
  const Result b = run(c, c.shape, 1024.0f);
  for (int i = 0; i < 4; ++i) CHECK(a.loss[i] == b.loss[i]);
  for (size_t i = 0; i < a.gs.size(); ++i) REQUIRE(double(b.gs[i]) == doctest::Approx(1024.0 * a.gs[i]).epsilon(1e-6));
  for (size_t i = 0; i < a.gd.size(); ++i) REQUIRE(double(b.gd[i]) == doctest::Approx(1024.0 * a.gd[i]).epsilon(1e-6));
  const Result f = run(c, c.shape, 1.0f, false);
  for (int i = 0; i < 4; ++i) CHECK(a.loss[i] == f.loss[i]);
  CHECK(std::isnan(f.gd[0]));  // untouched
}

TEST_CASE("det_loss cpu: bad inputs are reported") {
  LossCase c = ye::test::loss::random_case(2, 2, 64, 64, 3, 3);
  DetLossShape s = c.shape;
  s.max_boxes = 2;  // image 0 has 3 boxes
  CHECK_THROWS_AS(run(c, s), ye::Error);
  c.targets[0] = 5.0f;  // image index outside the batch
  CHECK_THROWS_AS(run(c), ye::Error);
  c.targets[0] = 0.0f;
  float loss[4];
  DetLossInputs in;
  in.pred_distri = c.distri.data();
  in.pred_scores = c.scores.data();
  in.anchors = c.anchors.data();
  in.strides = c.strides.data();
  in.dtype = ye::DType::f16;
  DetLossOutputs out;
  out.loss = loss;
  CHECK_THROWS_AS(cpu::det_loss(c.shape, {}, in, out), ye::Error);
}

}  // namespace

// DetectionLoss on Tensors: head-level gradients equal the raw kernel's (B, A, 64) / (B, A, nc) gradients
// laid back into each level; with grad_scale (the AMP loss scale folded into the loss kernel) the same
// losses, gradients equal to the scaled loss's backward to rounding, and a backward seeded with anything
// but the grad_scale tensor itself is refused.
#include <doctest/doctest.h>

#include "common/harness.h"
#include "yolo/loss/detection_loss.h"

using namespace ye;

namespace {
// Two images of 64x64 (strides 8/16/32: 8x8, 4x4, 2x2 cells), 3 classes, a few boxes.
std::vector<Tensor> head_outputs(uint64_t seed) {
  std::vector<Tensor> feats;
  for (int64_t hw : {8, 4, 2})
    feats.push_back(test::random_uniform(Shape{2, hw, hw, 64 + 3}, seed + uint64_t(hw), -2.f, 2.f)
                        .set_requires_grad(true));
  return feats;
}

Tensor targets() {
  return Tensor::from_vector({0, 1, 0.5f, 0.5f, 0.4f, 0.3f, 0, 2, 0.2f, 0.3f, 0.2f, 0.2f, 1, 0, 0.7f, 0.6f, 0.3f, 0.5f},
                             Shape{3, 6});
}
}  // namespace

TEST_CASE("detection loss gradients per head level are the kernel's gradients at the level's anchors") {
  const uint64_t seed = test::fresh_seed();
  yolo::DetectionLoss loss(3);
  std::vector<Tensor> feats = head_outputs(seed);
  yolo::LossResult r = loss(feats, targets(), 64, 64);
  r.total.backward();

  const int64_t B = 2, no = 67;
  std::vector<std::pair<int, int>> hw{{8, 8}, {4, 4}, {2, 2}};
  std::vector<float> anchors, strides;
  yolo::make_anchors(hw, {8, 16, 32}, anchors, strides);
  const int64_t A = int64_t(strides.size());
  std::vector<float> pd(size_t(B * A * 64)), ps(size_t(B * A * 3));
  int64_t a0 = 0;
  for (const Tensor& f : feats) {
    const std::vector<float> v = f.to_vector();
    const int64_t cells = f.dim(1) * f.dim(2);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t a = 0; a < cells; ++a)
        for (int64_t ch = 0; ch < no; ++ch) {
          const float x = v[size_t((b * cells + a) * no + ch)];
          if (ch < 64) pd[size_t((b * A + a0 + a) * 64 + ch)] = x;
          else ps[size_t((b * A + a0 + a) * 3 + ch - 64)] = x;
        }
    a0 += cells;
  }
  const std::vector<float> t = targets().to_vector();
  std::vector<float> gd(pd.size()), gs(ps.size());
  float l4[4];
  kernels::DetLossShape shape{int(B), int(A), 3, 2, 64, 64};
  kernels::cpu::det_loss(shape, loss.params(),
                         {pd.data(), ps.data(), DType::f32, anchors.data(), strides.data(), t.data(), 3, nullptr},
                         {l4, gd.data(), gs.data(), nullptr, nullptr, nullptr});
  CHECK(r.components.to_vector()[3] == l4[3]);
  a0 = 0;
  for (const Tensor& f : feats) {
    const std::vector<float> g = f.grad().to_vector();
    const int64_t cells = f.dim(1) * f.dim(2);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t a = 0; a < cells; ++a)
        for (int64_t ch = 0; ch < no; ++ch) {
          const float want =
              ch < 64 ? gd[size_t((b * A + a0 + a) * 64 + ch)] : gs[size_t((b * A + a0 + a) * 3 + ch - 64)];
          REQUIRE(g[size_t((b * cells + a) * no + ch)] == want);
        }
    a0 += cells;
  }
}

TEST_CASE("detection loss with grad_scale writes pre-scaled gradients and needs the same seed") {
  const uint64_t seed = test::fresh_seed();
  yolo::DetectionLoss loss(3);
  const Tensor scale = Tensor::full(Shape{1}, 1024.0f);

  std::vector<Tensor> plain = head_outputs(seed), folded = head_outputs(seed);
  yolo::LossResult a = loss(plain, targets(), 64, 64);
  ops::mul(a.total, scale).backward();
  yolo::LossResult b = loss(folded, targets(), 64, 64, scale);
  CHECK(a.components.to_vector() == b.components.to_vector());
  b.total.backward(scale);
  for (size_t i = 0; i < plain.size(); ++i) {
    const std::vector<float> ga = plain[i].grad().to_vector();
    test::check_close(folded[i].grad().to_vector(), ga, 1e-4, 1e-5, "level " + std::to_string(i));
    double norm = 0;
    for (float v : ga) norm += double(v) * v;
    CHECK(norm > 0);  // the targets reach every level's gradient
  }

  std::vector<Tensor> wrong = head_outputs(seed);
  yolo::LossResult c = loss(wrong, targets(), 64, 64, scale);
  CHECK_THROWS_WITH_AS(c.total.backward(Tensor::full(Shape{1}, 1024.0f)), doctest::Contains("pre-scaled"),
                       std::exception);
  CHECK_THROWS_WITH_AS(loss(head_outputs(seed), targets(), 64, 64, Tensor::full(Shape{2}, 1.0f)),
                       doctest::Contains("grad_scale"), std::exception);
}

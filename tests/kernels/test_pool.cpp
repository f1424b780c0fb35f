// max_pool2d and upsample_nearest2x on the CPU: forward against direct loops (SPPF's 5x5/s1/p2 and a
// strided 3x3 on odd sizes), and numeric gradient checks (inputs with distinct values, so no ties).
#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
// Distinct values spaced 0.01 apart in random order: a small perturbation never changes an argmax.
Tensor distinct_values(const Shape& s, uint64_t seed) {
  std::vector<float> v(size_t(s.numel()));
  std::iota(v.begin(), v.end(), 0.f);
  std::shuffle(v.begin(), v.end(), std::mt19937_64(seed));
  for (float& f : v) f = f * 0.01f - 1.f;
  return Tensor::from_vector(v, s);
}

std::vector<float> naive_pool(const Tensor& x, int k, int s, int p) {
  auto xv = x.to_vector();
  int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3);
  int64_t Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1;
  std::vector<float> out;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < Ho; ++oy)
      for (int64_t ox = 0; ox < Wo; ++ox)
        for (int64_t c = 0; c < C; ++c) {
          float m = -std::numeric_limits<float>::infinity();
          for (int64_t ky = 0; ky < k; ++ky)
            for (int64_t kx = 0; kx < k; ++kx) {
              int64_t iy = oy * s - p + ky, ix = ox * s - p + kx;
              if (iy >= 0 && iy < H && ix >= 0 && ix < W) m = std::max(m, xv[size_t(((n * H + iy) * W + ix) * C + c)]);
            }
          out.push_back(m);
        }
  return out;
}
}  // namespace

TEST_CASE("max_pool2d forward and gradient") {
  struct P {
    Shape x;
    int k, s, p;
  };
  for (P c : {P{{2, 9, 7, 5}, 5, 1, 2}, P{{1, 13, 11, 3}, 3, 2, 1}, P{{1, 6, 6, 4}, 2, 2, 0}}) {
    INFO("pool ", c.k, "/", c.s, "/", c.p, " on ", c.x.str());
    Tensor x = distinct_values(c.x, test::fresh_seed());
    Tensor y = ops::max_pool2d(x, c.k, c.s, c.p);
    test::check_close(y.to_vector(), naive_pool(x, c.k, c.s, c.p), 0, 0, "max_pool2d forward");
    x.set_requires_grad(true);
    CHECK(test::gradient_check([c](const std::vector<Tensor>& t) { return ops::max_pool2d(t[0], c.k, c.s, c.p); },
                               {x}, 1e-3));
  }
}

TEST_CASE("upsample_nearest2x forward and gradient") {
  Tensor x = test::random_uniform(Shape{2, 3, 5, 7}, test::fresh_seed());
  Tensor y = ops::upsample_nearest2x(x);
  REQUIRE(y.shape() == Shape{2, 6, 10, 7});
  auto xv = x.to_vector(), yv = y.to_vector();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t oy = 0; oy < 6; ++oy)
      for (int64_t ox = 0; ox < 10; ++ox)
        for (int64_t c = 0; c < 7; ++c)
          REQUIRE(yv[size_t(((n * 6 + oy) * 10 + ox) * 7 + c)] == xv[size_t(((n * 3 + oy / 2) * 5 + ox / 2) * 7 + c)]);
  x.set_requires_grad(true);
  CHECK(test::gradient_check([](const std::vector<Tensor>& t) { return ops::upsample_nearest2x(t[0]); }, {x}));
}

TEST_CASE("upsample_nearest2x into its channels of a concat buffer: the concat takes the buffer, gradients match") {
  Tensor x = test::random_uniform(Shape{2, 3, 5, 7}, test::fresh_seed());
  Tensor skip = test::random_uniform(Shape{2, 6, 10, 4}, test::fresh_seed());
  Tensor buf = Tensor::empty(Shape{2, 6, 10, 11});
  Tensor up = ops::upsample_nearest2x(x, buf.narrow_view(-1, 0, 7));
  CHECK(up.same_storage(buf));
  Tensor cat = ops::concat({up, ops::copy_into(buf.narrow_view(-1, 7, 4), skip)}, -1);
  CHECK(cat.same_storage(buf));
  CHECK(cat.to_vector() == ops::concat({ops::upsample_nearest2x(x), skip}, -1).to_vector());
  CHECK_THROWS_AS(ops::upsample_nearest2x(x, Tensor::empty(Shape{2, 6, 10, 6})), Error);  // wrong shape
  x.set_requires_grad(true);
  skip.set_requires_grad(true);
  Tensor w = test::random_uniform(Shape{2, 6, 10, 11}, test::fresh_seed());
  CHECK(test::gradient_check(  // the backward reads the concat gradient's slice in place
      [](const std::vector<Tensor>& t) {
        Tensor b = Tensor::empty(Shape{2, 6, 10, 11});
        Tensor c = ops::concat({ops::upsample_nearest2x(t[0], b.narrow_view(-1, 0, 7)),
                                ops::copy_into(b.narrow_view(-1, 7, 4), t[1])},
                               -1);
        return ops::mul(c, t[2]);
      },
      {x, skip, w}));
}

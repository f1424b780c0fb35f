// concat / split / permute, softmax over a dimension and the DFL expectation on the CPU: values
// against direct computation and numeric gradient checks.
#include <doctest/doctest.h>

#include <cmath>

#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

TEST_CASE("concat along channels writes every input into its slice; gradients are its slices") {
  Tensor a = test::random_uniform(Shape{2, 3, 4, 5}, test::fresh_seed());
  Tensor b = test::random_uniform(Shape{2, 3, 4, 3}, test::fresh_seed());
  Tensor c = test::random_uniform(Shape{2, 3, 4, 1}, test::fresh_seed());
  Tensor y = ops::concat({a, b, c}, -1);
  REQUIRE(y.shape() == Shape{2, 3, 4, 9});
  auto av = a.to_vector(), bv = b.to_vector(), cv = c.to_vector(), yv = y.to_vector();
  for (int64_t p = 0; p < 24; ++p) {
    for (int64_t k = 0; k < 5; ++k) REQUIRE(yv[size_t(p * 9 + k)] == av[size_t(p * 5 + k)]);
    for (int64_t k = 0; k < 3; ++k) REQUIRE(yv[size_t(p * 9 + 5 + k)] == bv[size_t(p * 3 + k)]);
    REQUIRE(yv[size_t(p * 9 + 8)] == cv[size_t(p)]);
  }
  a.set_requires_grad(true);
  b.set_requires_grad(true);
  c.set_requires_grad(true);
  CHECK(test::gradient_check([](const std::vector<Tensor>& t) { return ops::concat({t[0], t[1], t[2]}, 3); }, {a, b, c}));
  CHECK(test::gradient_check([](const std::vector<Tensor>& t) { return ops::concat({t[0], t[0]}, 1); }, {a}));
}

TEST_CASE("split along channels gives narrow views that carry gradients") {
  Tensor x = test::random_uniform(Shape{1, 3, 2, 6}, test::fresh_seed()).set_requires_grad(true);
  auto parts = ops::split(x, {2, 4}, -1);
  REQUIRE(parts.size() == 2);
  CHECK(parts[1].shape() == Shape{1, 3, 2, 4});
  CHECK(parts[1].to_vector()[0] == x.to_vector()[2]);
  CHECK(test::gradient_check(
      [](const std::vector<Tensor>& t) {
        auto p = ops::split(t[0], {2, 4}, 3);
        return ops::concat({ops::mul(p[1], p[1]), p[0]}, 3);
      },
      {x}));
}

TEST_CASE("permute reorders dimensions; gradient through the inverse") {
  Tensor x = test::random_uniform(Shape{2, 3, 4, 5}, test::fresh_seed());
  Tensor y = ops::permute(x, {0, 2, 3, 1});
  REQUIRE(y.shape() == Shape{2, 4, 5, 3});
  auto xv = x.to_vector(), yv = y.to_vector();
  CHECK(yv[size_t(((1 * 4 + 2) * 5 + 3) * 3 + 1)] == xv[size_t(((1 * 3 + 1) * 4 + 2) * 5 + 3)]);
  x.set_requires_grad(true);
  CHECK(test::gradient_check(
      [](const std::vector<Tensor>& t) { return ops::mul(ops::permute(t[0], {3, 1, 0, 2}), ops::permute(t[0], {3, 1, 0, 2})); },
      {x}));
}

TEST_CASE("softmax over the last and a middle dimension") {
  Tensor x = test::random_uniform(Shape{3, 7, 5}, test::fresh_seed(), -3.f, 3.f);
  for (int dim : {2, 1}) {
    INFO("dim ", dim);
    Tensor y = ops::softmax(x, dim);
    auto xv = x.to_vector(), yv = y.to_vector();
    int64_t len = x.dim(dim), inner = dim == 2 ? 1 : 5;
    for (int64_t o = 0; o < 3; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        double s = 0;
        for (int64_t k = 0; k < len; ++k) s += std::exp(double(xv[size_t(o * len * inner + k * inner + i)]));
        for (int64_t k = 0; k < len; ++k) {
          size_t j = size_t(o * len * inner + k * inner + i);
          REQUIRE(std::fabs(yv[j] - std::exp(double(xv[j])) / s) < 1e-6);
        }
      }
    Tensor xg = x.clone().set_requires_grad(true);
    CHECK(test::gradient_check([dim](const std::vector<Tensor>& t) { return ops::softmax(t[0], dim); }, {xg}, 1e-3));
  }
}

TEST_CASE("DFL expectation over 16 side-major bins") {
  Tensor x = test::random_uniform(Shape{2, 5, 64}, test::fresh_seed(), -4.f, 4.f);
  Tensor y = ops::dfl_expectation(x);
  REQUIRE(y.shape() == Shape{2, 5, 4});
  auto xv = x.to_vector(), yv = y.to_vector();
  for (int64_t r = 0; r < 40; ++r) {
    double s = 0, e = 0;
    for (int k = 0; k < 16; ++k) s += std::exp(double(xv[size_t(r * 16 + k)]));
    for (int k = 0; k < 16; ++k) e += k * std::exp(double(xv[size_t(r * 16 + k)])) / s;
    REQUIRE(std::fabs(yv[size_t(r)] - e) < 1e-4);
  }
  x.set_requires_grad(true);
  CHECK(test::gradient_check([](const std::vector<Tensor>& t) { return ops::dfl_expectation(t[0]); }, {x}, 1e-3));
}

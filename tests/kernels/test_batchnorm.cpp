// batch_norm op on the CPU: training forward against direct maths, the running-statistics update
// (momentum 0.03, unbiased variance), eval mode, the fused SiLU, and numeric gradient checks.
#include <doctest/doctest.h>

#include <cmath>

#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
struct BnInputs {
  Tensor x, w, b, rm, rv;
};
BnInputs make(const Shape& s) {
  int64_t C = s[-1];
  BnInputs in;
  in.x = test::random_uniform(s, test::fresh_seed(), -2.f, 3.f);
  in.w = test::random_uniform(Shape{C}, test::fresh_seed(), 0.5f, 1.5f);
  in.b = test::random_uniform(Shape{C}, test::fresh_seed(), -0.5f, 0.5f);
  in.rm = test::random_uniform(Shape{C}, test::fresh_seed(), -0.2f, 0.2f);
  in.rv = test::random_uniform(Shape{C}, test::fresh_seed(), 0.5f, 2.f);
  return in;
}
}  // namespace

TEST_CASE("batch_norm training forward, running update and fused SiLU") {
  BnInputs in = make(Shape{2, 5, 7, 11});
  const int64_t C = 11, rows = 70;
  auto xv = in.x.to_vector(), wv = in.w.to_vector(), bv = in.b.to_vector();
  auto rm0 = in.rm.to_vector(), rv0 = in.rv.to_vector();
  for (bool silu : {false, true}) {
    Tensor rm = in.rm.clone(), rv = in.rv.clone();
    Tensor y = ops::batch_norm(in.x, in.w, in.b, rm, rv, {true, 0.03f, 1e-3f, silu});
    auto yv = y.to_vector(), rmv = rm.to_vector(), rvv = rv.to_vector();
    std::vector<float> expect(size_t(rows * C)), erm(static_cast<size_t>(C)), erv(static_cast<size_t>(C));
    for (int64_t c = 0; c < C; ++c) {
      double m = 0, v = 0;
      for (int64_t r = 0; r < rows; ++r) m += xv[size_t(r * C + c)];
      m /= rows;
      for (int64_t r = 0; r < rows; ++r) v += std::pow(xv[size_t(r * C + c)] - m, 2);
      double var = v / rows, unbiased = v / (rows - 1);
      for (int64_t r = 0; r < rows; ++r) {
        double z = (xv[size_t(r * C + c)] - m) / std::sqrt(var + 1e-3) * wv[size_t(c)] + bv[size_t(c)];
        expect[size_t(r * C + c)] = float(silu ? z / (1 + std::exp(-z)) : z);
      }
      erm[size_t(c)] = float(0.97 * rm0[size_t(c)] + 0.03 * m);
      erv[size_t(c)] = float(0.97 * rv0[size_t(c)] + 0.03 * unbiased);
    }
    test::check_close(yv, expect, 1e-5, 1e-4, "bn forward");
    test::check_close(rmv, erm, 1e-6, 1e-5, "running mean");
    test::check_close(rvv, erv, 1e-6, 1e-5, "running var");
  }
}

TEST_CASE("batch_norm eval uses the running statistics and leaves them alone") {
  BnInputs in = make(Shape{1, 3, 4, 5});
  Tensor rm = in.rm.clone(), rv = in.rv.clone();
  Tensor y = ops::batch_norm(in.x, in.w, in.b, rm, rv, {false, 0.03f, 1e-3f, false});
  auto xv = in.x.to_vector(), yv = y.to_vector(), rmv = in.rm.to_vector(), rvv = in.rv.to_vector();
  auto wv = in.w.to_vector(), bv = in.b.to_vector();
  std::vector<float> expect(xv.size());
  for (size_t i = 0; i < xv.size(); ++i) {
    size_t c = i % 5;
    expect[i] = float((xv[i] - rmv[c]) / std::sqrt(double(rvv[c]) + 1e-3) * wv[c] + bv[c]);
  }
  test::check_close(yv, expect, 1e-5, 1e-4, "bn eval");
  test::check_close(rm, in.rm, 0, 0, "running mean untouched");
  test::check_close(rv, in.rv, 0, 0, "running var untouched");
}

TEST_CASE("batch_norm gradients (training and eval, with and without SiLU)") {
  for (bool training : {true, false})
    for (bool silu : {false, true}) {
      INFO("training=", training, " silu=", silu);
      BnInputs in = make(Shape{2, 3, 5, 7});
      in.x.set_requires_grad(true);
      in.w.set_requires_grad(true);
      in.b.set_requires_grad(true);
      Tensor rm = in.rm, rv = in.rv;
      ops::BatchNormArgs args{training, 0.03f, 1e-3f, silu};
      CHECK(test::gradient_check(
          [=](const std::vector<Tensor>& t) { return ops::batch_norm(t[0], t[1], t[2], rm.clone(), rv.clone(), args); },
          {in.x, in.w, in.b}, 5e-3));
    }
}

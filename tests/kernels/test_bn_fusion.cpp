// batch_norm's forward fusions on the CPU (ops::BatchNormFusion): a residual added in the BN pass and
// an output written into a channel slice of a wider buffer must give exactly the values and gradients
// of the separate ops (batch_norm, then add, then a copy), also when the incoming gradient is a strided
// slice of a wider one; the rest of the buffer stays untouched; numeric gradient check with the residual.
#include <doctest/doctest.h>

#include <cmath>

#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
struct Params {
  Tensor w, b, rm, rv;
};
Params params(int64_t C) {
  return {test::random_uniform(Shape{C}, test::fresh_seed(), 0.5f, 1.5f),
          test::random_uniform(Shape{C}, test::fresh_seed(), -0.5f, 0.5f),
          test::random_uniform(Shape{C}, test::fresh_seed(), -0.2f, 0.2f),
          test::random_uniform(Shape{C}, test::fresh_seed(), 0.5f, 2.f)};
}

std::vector<float> grad_of(const Tensor& t) { return t.grad().to_vector(); }
}  // namespace

TEST_CASE("batch_norm fused residual into a channel slice equals batch_norm + add + copy, values and gradients") {
  const int64_t C = 8, wide = 20, at = 4;
  for (bool training : {true, false})
    for (bool silu : {true, false}) {
      INFO("training=", training, " silu=", silu);
      const Params p = params(C);
      const ops::BatchNormArgs args{training, 0.03f, 1e-3f, silu};
      Tensor x = test::random_uniform(Shape{2, 3, 5, C}, test::fresh_seed(), -2.f, 3.f);
      // The residual is itself a channel slice of a wider tensor (C2f's chained blocks).
      Tensor r_wide = test::random_uniform(Shape{2, 3, 5, wide}, test::fresh_seed());
      Tensor gup = test::random_uniform(Shape{2, 3, 5, C + 3}, test::fresh_seed());  // upstream gradient

      auto run = [&](bool fused, Tensor& xg, Tensor& rg, Tensor& wg, Tensor& bg) {
        xg = x.clone().set_requires_grad(true);
        rg = r_wide.clone().set_requires_grad(true);
        wg = p.w.clone().set_requires_grad(true);
        bg = p.b.clone().set_requires_grad(true);
        Tensor r = ops::narrow(rg, -1, at, C);
        Tensor buf = Tensor::full(Shape{2, 3, 5, C + 3}, 7.0f);
        Tensor y;
        if (fused) {
          y = ops::batch_norm(xg, wg, bg, p.rm.clone(), p.rv.clone(), args, {r, buf.narrow_view(-1, 0, C)});
        } else {
          y = ops::copy_into(buf.narrow_view(-1, 0, C), ops::add(r, ops::batch_norm(xg, wg, bg, p.rm.clone(),
                                                                                   p.rv.clone(), args)));
        }
        Tensor tail = ops::copy_into(buf.narrow_view(-1, C, 3), Tensor::full(Shape{2, 3, 5, 3}, 1.0f));
        Tensor whole = ops::concat({y, tail}, -1);
        CHECK(whole.data() == buf.data());  // the concat of adjacent slices is the buffer itself
        ops::sum(ops::mul(whole, gup)).backward();  // y's gradient arrives as a strided slice
        return buf.to_vector();
      };
      Tensor xf, rf, wf, bf, xu, ru, wu, bu;
      const std::vector<float> yf = run(true, xf, rf, wf, bf), yu = run(false, xu, ru, wu, bu);
      CHECK(yf == yu);
      for (int64_t i = 0; i < int64_t(yf.size()); ++i)
        if (i % (C + 3) >= C) REQUIRE(yf[size_t(i)] == 1.0f);
      CHECK(grad_of(xf) == grad_of(xu));
      CHECK(grad_of(rf) == grad_of(ru));
      CHECK(grad_of(wf) == grad_of(wu));
      CHECK(grad_of(bf) == grad_of(bu));
    }
}

TEST_CASE("batch_norm with a residual passes a numeric gradient check") {
  const int64_t C = 7;
  const Params p = params(C);
  Tensor x = test::random_uniform(Shape{2, 3, 5, C}, test::fresh_seed(), -2.f, 3.f).set_requires_grad(true);
  Tensor r = test::random_uniform(Shape{2, 3, 5, C}, test::fresh_seed()).set_requires_grad(true);
  Tensor w = p.w.clone().set_requires_grad(true), b = p.b.clone().set_requires_grad(true);
  const ops::BatchNormArgs args{true, 0.03f, 1e-3f, true};
  Tensor rm = p.rm, rv = p.rv;
  CHECK(test::gradient_check(
      [=](const std::vector<Tensor>& t) {
        return ops::batch_norm(t[0], t[1], t[2], rm.clone(), rv.clone(), args, {t[3], Tensor()});
      },
      {x, w, b, r}, 5e-3));
}

TEST_CASE("batch_norm fusion arguments are checked") {
  const Params p = params(4);
  Tensor x = test::random_uniform(Shape{2, 3, 4}, test::fresh_seed());
  const ops::BatchNormArgs args{};
  CHECK_THROWS_WITH_AS(ops::batch_norm(x, p.w, p.b, p.rm, p.rv, args, {Tensor::zeros(Shape{2, 3, 5}), Tensor()}),
                       doctest::Contains("residual/out"), std::exception);
  Tensor wide = Tensor::zeros(Shape{2, 5, 4});  // a slice along a middle dim: rows not uniformly spaced
  CHECK_THROWS_WITH_AS(ops::batch_norm(x, p.w, p.b, p.rm, p.rv, args, {Tensor(), wide.narrow_view(1, 0, 3)}),
                       doctest::Contains("channel slice"), std::exception);
}

TEST_CASE("concat copies inputs that are not adjacent slices of one buffer, in order") {
  Tensor buf = test::random_uniform(Shape{2, 3, 6}, test::fresh_seed());
  Tensor a = buf.narrow_view(-1, 0, 2), b = buf.narrow_view(-1, 2, 4);
  CHECK(ops::concat({a, b}, -1).data() == buf.data());
  Tensor swapped = ops::concat({b, a}, -1);
  CHECK(swapped.data() != buf.data());
  std::vector<float> v = buf.to_vector(), s = swapped.to_vector();
  for (int64_t row = 0; row < 6; ++row)
    for (int64_t c = 0; c < 6; ++c)
      REQUIRE(s[size_t(row * 6 + c)] == v[size_t(row * 6 + (c < 4 ? c + 2 : c - 4))]);
  Tensor gap = ops::concat({buf.narrow_view(-1, 0, 2), buf.narrow_view(-1, 3, 3)}, -1);
  CHECK(gap.data() != buf.data());
  CHECK(gap.dim(2) == 5);
}

// Autograd: numeric gradient checks of every first op and of slice gradients accumulated in place,
// accumulation across backward calls (micro-batches), no-grad scopes, shared inputs, graph release, the
// parameter arena and its per-forward low-precision weight copy.
#include "common/harness.h"
#include "engine/nn_ops.h"
#include "engine/param_arena.h"
#include "engine/weight_cast.h"

using namespace ye;

namespace {
Tensor leaf(const Shape& s, float lo = -1.0f, float hi = 1.0f) {
  Tensor t = test::random_uniform(s, test::fresh_seed(), lo, hi);
  t.set_requires_grad(true);
  return t;
}
}  // namespace

TEST_CASE("gradient checks: broadcasting binary ops") {
  CHECK(test::gradient_check([](auto& x) { return ops::add(x[0], x[1]); }, {leaf({3, 4}), leaf({4})}));
  CHECK(test::gradient_check([](auto& x) { return ops::sub(x[0], x[1]); }, {leaf({3, 1}), leaf({3, 5})}));
  CHECK(test::gradient_check([](auto& x) { return ops::mul(x[0], x[1]); }, {leaf({2, 3, 5}), leaf({3, 1})}));
  CHECK(test::gradient_check([](auto& x) { return ops::div(x[0], x[1]); }, {leaf({4, 3}), leaf({3}, 0.5f, 2.0f)}));
  // max/min: inputs kept 0.3 apart so central differences never straddle the kink.
  Tensor a = leaf({13});
  std::vector<float> av = a.to_vector(), bv(av.size());
  for (size_t i = 0; i < av.size(); ++i) bv[i] = av[i] + (i % 2 ? 0.3f : -0.3f);
  Tensor b = Tensor::from_vector(bv, {13});
  b.set_requires_grad(true);
  CHECK(test::gradient_check([](auto& x) { return ops::maximum(x[0], x[1]); }, {a, b}));
  CHECK(test::gradient_check([](auto& x) { return ops::minimum(x[0], x[1]); }, {a, b}));
}

TEST_CASE("gradient checks: unary and scalar ops") {
  auto check_unary = [](Tensor (*f)(const Tensor&), float lo, float hi) {
    return test::gradient_check([f](auto& x) { return f(x[0]); }, {leaf({1, 13, 17, 3}, lo, hi)}, 1e-2, 2e-3, 2e-2);
  };
  CHECK(check_unary(ops::neg, -2, 2));
  CHECK(check_unary(ops::sigmoid, -3, 3));
  CHECK(check_unary(ops::silu, -3, 3));
  CHECK(check_unary(ops::exp, -2, 2));
  CHECK(check_unary(ops::log, 0.5f, 3));
  CHECK(check_unary(ops::sqrt, 0.5f, 3));
  CHECK(check_unary(ops::square, -2, 2));
  CHECK(check_unary(ops::abs, 0.1f, 2));
  CHECK(test::gradient_check([](auto& x) { return ops::affine(x[0], -1.5f, 0.25f); }, {leaf({7})}));
  CHECK(test::gradient_check([](auto& x) { return ops::pow_scalar(x[0], 3.0f); }, {leaf({7}, 0.5f, 2.0f)}));
}

TEST_CASE("gradient checks: reductions, views and matmul") {
  CHECK(test::gradient_check([](auto& x) { return ops::sum(x[0]); }, {leaf({3, 5})}));
  CHECK(test::gradient_check([](auto& x) { return ops::sum(x[0], 1); }, {leaf({3, 5, 2})}));
  CHECK(test::gradient_check([](auto& x) { return ops::mean(x[0], 0, true); }, {leaf({3, 5})}));
  CHECK(test::gradient_check([](auto& x) { return ops::mean(x[0]); }, {leaf({4, 3})}));
  CHECK(test::gradient_check([](auto& x) { return ops::narrow(x[0], 1, 2, 3); }, {leaf({2, 7, 3})}));
  CHECK(test::gradient_check([](auto& x) { return ops::slice(x[0], 1, 3); }, {leaf({4, 3})}));
  CHECK(test::gradient_check([](auto& x) { return ops::reshape(x[0], {6, 2}); }, {leaf({3, 4})}));
  CHECK(test::gradient_check([](auto& x) { return ops::contiguous(ops::narrow(x[0], 1, 1, 2)); }, {leaf({3, 4})}));
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      Shape sa = ta ? Shape{2, 4, 3} : Shape{2, 3, 4}, sb = tb ? Shape{2, 5, 4} : Shape{2, 4, 5};
      CHECK(test::gradient_check([ta, tb](auto& x) { return ops::matmul(x[0], x[1], ta, tb); }, {leaf(sa), leaf(sb)}));
    }
  CHECK(test::gradient_check([](auto& x) { return ops::matmul(x[0], x[1]); }, {leaf({3, 4}), leaf({4, 2})}));
}

TEST_CASE("a narrow view of a leaf and the leaf itself both feed gradients") {
  Tensor x = leaf({2, 6});
  CHECK(test::gradient_check(
      [](auto& v) { return ops::add(ops::mul(ops::narrow(v[0], 1, 0, 3), ops::narrow(v[0], 1, 3, 3)), ops::sum(v[0])); },
      {x}));
}

// Narrows of a non-leaf go into their slice of its pending gradient (engine/grad_accumulator.h): slices
// that tile it, leave gaps or overlap, along with whole-tensor contributions, nested and along two dims.
TEST_CASE("gradient checks: slices of an intermediate tensor accumulate into its gradient") {
  auto with_weights = [](const Tensor& t, const Tensor& w) { return ops::sum(ops::mul(t, w)); };
  const Shape s{2, 6, 3};
  CHECK(test::gradient_check(  // tiling: split into three
      [&](auto& x) {
        std::vector<Tensor> p = ops::split(ops::silu(x[0]), {2, 3, 1}, 1);
        return ops::add(ops::add(with_weights(p[0], x[1]), ops::sum(ops::square(p[1]))), ops::sum(p[2]));
      },
      {leaf(s), leaf({2, 2, 3})}));
  CHECK(test::gradient_check(  // gaps: channels 2..3 get no gradient
      [&](auto& x) {
        Tensor h = ops::silu(x[0]);
        return ops::add(with_weights(ops::narrow(h, 1, 0, 2), x[1]), ops::sum(ops::square(ops::narrow(h, 1, 4, 2))));
      },
      {leaf(s), leaf({2, 2, 3})}));
  CHECK(test::gradient_check(  // overlapping slices, and a whole contribution (C2f's cv1 output)
      [&](auto& x) {
        Tensor h = ops::mul_scalar(ops::silu(x[0]), 1.5f);
        Tensor a = with_weights(ops::narrow(h, 1, 0, 4), x[1]), b = ops::sum(ops::square(ops::narrow(h, 1, 2, 4)));
        return ops::add(ops::add(a, b), with_weights(h, x[2]));
      },
      {leaf(s), leaf({2, 4, 3}), leaf(s)}));
  CHECK(test::gradient_check(  // C2f: concat[h, f(h's second half)]; h's gradient is the concat's slice
      [&](auto& x) {             // (a view; on CUDA f's half is added into it in place)
        Tensor h = ops::silu(x[0]);
        Tensor m = ops::mul(ops::square(ops::narrow(h, 2, 1, 2)), x[2]);
        return with_weights(ops::concat({h, m}, 2), x[1]);
      },
      {leaf(s), leaf({2, 6, 5}), leaf({2, 6, 2})}));
  CHECK(test::gradient_check(  // a slice of a slice; slices along two dims of one tensor
      [&](auto& x) {
        Tensor h = ops::silu(x[0]);
        Tensor inner = ops::narrow(ops::narrow(h, 1, 1, 4), 1, 1, 2);
        return ops::add(with_weights(inner, x[1]), ops::sum(ops::square(ops::narrow(h, 2, 1, 2))));
      },
      {leaf(s), leaf({2, 2, 3})}));
}

TEST_CASE("a gradient reused by two inputs is not modified by accumulating into one of them") {
  Tensor x = Tensor::from_vector({1, 2}, {2});
  x.set_requires_grad(true);
  Tensor h = ops::mul_scalar(x, 3.0f);
  Tensor z = ops::add(ops::add(h, h), ops::mul(h, h));  // add's backward hands the same g to both inputs
  ops::sum(z).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{3 * (2 + 2 * 3), 3 * (2 + 2 * 6)});
}

TEST_CASE("gradients accumulate across backward calls until zeroed") {
  Tensor x = Tensor::from_vector({1, 2, 3}, {3});
  x.set_requires_grad(true);
  ops::sum(ops::mul_scalar(x, 2.0f)).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{2, 2, 2});
  ops::sum(ops::square(x)).backward();
  CHECK(x.grad().to_vector() == std::vector<float>{4, 6, 8});
  x.zero_grad();
  CHECK(x.grad().to_vector() == std::vector<float>{0, 0, 0});
}

TEST_CASE("an input used twice gets both contributions; second backward through a freed graph fails") {
  Tensor x = Tensor::from_vector({3}, {1});
  x.set_requires_grad(true);
  Tensor y = ops::mul(x, x);
  Tensor z = ops::add(y, x);
  z.backward();
  CHECK(x.grad().item() == 7.0f);
  CHECK_THROWS_AS(z.backward(), Error);
}

TEST_CASE("no-grad scope records nothing") {
  Tensor x = leaf({3});
  {
    NoGradGuard ng;
    Tensor y = ops::silu(x);
    CHECK_FALSE(y.requires_grad());
  }
  CHECK(ops::silu(x).requires_grad());
  CHECK_THROWS_AS(ops::sum(x.detach()).backward(), Error);
}

TEST_CASE("the parameter arena holds values and grads contiguously and keeps module views working") {
  Tensor w = Tensor::from_vector({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector({5, 6, 7}, {3});
  ParameterArena arena;
  arena.adopt({{"w", w}, {"b", b}}, Device::cpu());
  CHECK(w.same_storage(arena.values()));
  CHECK(b.same_storage(arena.values()));
  CHECK(arena.entries()[1].offset % ParameterArena::kAlign == 0);
  CHECK(w.to_vector() == std::vector<float>{1, 2, 3, 4});
  CHECK(b.to_vector() == std::vector<float>{5, 6, 7});
  CHECK(w.requires_grad());
  Tensor x = Tensor::from_vector({1, 1}, {1, 2});
  ops::sum(ops::add(ops::matmul(x, w), ops::narrow(b, 0, 0, 2))).backward();
  CHECK(w.grad().same_storage(arena.grads()));
  CHECK(w.grad().to_vector() == std::vector<float>{1, 1, 1, 1});
  CHECK(b.grad().to_vector() == std::vector<float>{1, 1, 0});
  std::vector<float> all = arena.grads().to_vector();
  CHECK(all[size_t(arena.entries()[1].offset)] == 1.0f);
  arena.zero_grad();
  CHECK(b.grad().to_vector() == std::vector<float>{0, 0, 0});
  ops::fill_(arena.values(), 0.5f);  // one pass over memory updates every parameter
  CHECK(w.to_vector() == std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f});
}

TEST_CASE("a low-precision cast of a leaf with a grad buffer accumulates its gradient without a cast back") {
  for (DType low : {DType::f16, DType::bf16}) {
    INFO(dtype_name(low));
    Tensor w = Tensor::from_vector({1, 2, 3, 4}, Shape{4}).set_requires_grad(true);
    w.set_grad(Tensor::full(Shape{4}, 0.5f));  // an existing f32 grad (the arena's)
    Tensor up = Tensor::from_vector({1, -2, 0.25f, 8}, Shape{4});
    ops::sum(ops::mul(ops::cast(ops::cast(w, low), DType::f32), up)).backward();
    CHECK(w.grad().dtype() == DType::f32);
    CHECK(w.grad().to_vector() == std::vector<float>{1.5f, -1.5f, 0.75f, 8.5f});
    Tensor fresh = Tensor::from_vector({1, 2, 3, 4}, Shape{4}).set_requires_grad(true);  // no grad yet
    ops::sum(ops::mul(ops::cast(ops::cast(fresh, low), DType::f32), up)).backward();
    CHECK(fresh.grad().dtype() == DType::f32);
    CHECK(fresh.grad().to_vector() == up.to_vector());
  }
}

TEST_CASE("inside a weight-cast scope a parameter's cast is a view of the arena's one low copy") {
  for (DType low : {DType::f16, DType::bf16}) {
    INFO(dtype_name(low));
    Tensor w = test::random_uniform(Shape{3, 5}, test::fresh_seed());
    Tensor b = test::random_uniform(Shape{7}, test::fresh_seed());
    Tensor other = test::random_uniform(Shape{4}, test::fresh_seed()).set_requires_grad(true);  // not in the arena
    ParameterArena arena;
    arena.adopt({{"w", w}, {"b", b}}, Device::cpu());
    const std::vector<float> w_cast = ops::cast(w, low).to_vector(), b_cast = ops::cast(b, low).to_vector();
    Tensor up = test::random_uniform(Shape{3, 5}, test::fresh_seed());
    {
      WeightCastScope scope(arena, low);
      Tensor wl = ops::cast(w, low), bl = ops::cast(b, low), ol = ops::cast(other, low);
      CHECK(wl.same_storage(arena.low_copy(low)));
      CHECK(bl.same_storage(arena.low_copy(low)));
      CHECK(bl.offset() == arena.entries()[1].offset);
      CHECK_FALSE(ol.same_storage(arena.low_copy(low)));
      CHECK(ops::cast(w, DType::f32).same_storage(w));  // other dtypes are untouched
      CHECK(wl.to_vector() == w_cast);
      CHECK(bl.to_vector() == b_cast);
      ops::sum(ops::mul(ops::cast(wl, DType::f32), up)).backward();
      CHECK(w.grad().to_vector() == ops::cast(ops::cast(up, low), DType::f32).to_vector());
      ops::fill_(arena.values(), 0.25f);  // a new step's weights reach the low copy when a scope opens
    }
    CHECK_FALSE(ops::cast(w, low).same_storage(arena.low_copy(low)));  // no scope: a cast of its own
    WeightCastScope again(arena, low);
    CHECK(ops::cast(w, low).to_vector() == std::vector<float>(15, 0.25f));
  }
}

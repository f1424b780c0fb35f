// CUDA against CPU for every first op, in f32 (1e-5 relative), f16 and bf16 (stated tolerances),
// forward and gradients, on fresh random inputs; CUDA memory is poisoned (NaN) at allocation.
#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
struct Prec {
  DType dtype;
  double atol, rtol;
};
// f16 keeps 11 significant bits, bf16 8: tolerances a few ulps of the output scale.
const Prec kPrecisions[] = {{DType::f32, 1e-5, 1e-5}, {DType::f16, 4e-3, 4e-3}, {DType::bf16, 3e-2, 3e-2}};

Tensor leaf(const Shape& s, float lo = -1.0f, float hi = 1.0f) {
  // Values representable in bf16 so every precision starts from the same inputs.
  Tensor t = ops::cast(ops::cast(test::random_uniform(s, test::fresh_seed(), lo, hi), DType::bf16), DType::f32);
  t.set_requires_grad(true);
  return t;
}

void each_precision(const std::string& name, const test::TensorFn& fn, const std::vector<Tensor>& inputs,
                    double scale = 1.0) {
  for (const Prec& p : kPrecisions)
    test::compare_cuda_to_cpu(fn, inputs, p.dtype, p.atol * scale, p.rtol * scale,
                              name + " " + std::string(dtype_name(p.dtype)));
}
}  // namespace

TEST_CASE("binary ops with broadcasting, CUDA vs CPU") {
  each_precision("add", [](auto& x) { return ops::add(x[0], x[1]); }, {leaf({2, 13, 17, 5}), leaf({5})});
  each_precision("sub", [](auto& x) { return ops::sub(x[0], x[1]); }, {leaf({7, 1, 3}), leaf({7, 9, 3})});
  each_precision("mul", [](auto& x) { return ops::mul(x[0], x[1]); }, {leaf({4, 33}), leaf({4, 1})});
  each_precision("div", [](auto& x) { return ops::div(x[0], x[1]); }, {leaf({300}), leaf({300}, 0.5f, 2.0f)}, 2.0);
  each_precision("maximum", [](auto& x) { return ops::maximum(x[0], x[1]); }, {leaf({257}), leaf({257})});
  each_precision("minimum", [](auto& x) { return ops::minimum(x[0], x[1]); }, {leaf({3, 5}), leaf({1})});
}

TEST_CASE("unary and scalar ops, CUDA vs CPU") {
  Shape s{2, 13, 17, 24};
  each_precision("neg", [](auto& x) { return ops::neg(x[0]); }, {leaf(s)});
  each_precision("sigmoid", [](auto& x) { return ops::sigmoid(x[0]); }, {leaf(s, -4, 4)});
  each_precision("silu", [](auto& x) { return ops::silu(x[0]); }, {leaf(s, -4, 4)});
  each_precision("exp", [](auto& x) { return ops::exp(x[0]); }, {leaf(s, -2, 2)}, 2.0);
  each_precision("log", [](auto& x) { return ops::log(x[0]); }, {leaf(s, 0.5f, 4)}, 2.0);
  each_precision("sqrt", [](auto& x) { return ops::sqrt(x[0]); }, {leaf(s, 0.5f, 4)});
  each_precision("square", [](auto& x) { return ops::square(x[0]); }, {leaf(s)});
  each_precision("relu", [](auto& x) { return ops::relu(x[0]); }, {leaf(s)});
  each_precision("abs", [](auto& x) { return ops::abs(x[0]); }, {leaf(s)});
  each_precision("affine", [](auto& x) { return ops::affine(x[0], 1.5f, -0.25f); }, {leaf(s)});
  each_precision("pow", [](auto& x) { return ops::pow_scalar(x[0], 2.5f); }, {leaf(s, 0.5f, 2)}, 2.0);
}

TEST_CASE("reductions and matmul, CUDA vs CPU") {
  // Sums of n terms: tolerance grows with sqrt(n) in low precision.
  each_precision("sum all", [](auto& x) { return ops::sum(x[0]); }, {leaf({3, 1000})}, 20.0);
  each_precision("sum dim0", [](auto& x) { return ops::sum(x[0], 0); }, {leaf({600, 40})}, 20.0);
  each_precision("sum dim1", [](auto& x) { return ops::sum(x[0], 1); }, {leaf({7, 513, 3})}, 20.0);
  each_precision("sum last", [](auto& x) { return ops::sum(x[0], -1, true); }, {leaf({70, 300})}, 20.0);
  each_precision("mean", [](auto& x) { return ops::mean(x[0], 1); }, {leaf({5, 64, 9})}, 4.0);
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      Shape sa = ta ? Shape{3, 64, 33} : Shape{3, 33, 64}, sb = tb ? Shape{3, 17, 64} : Shape{3, 64, 17};
      each_precision("matmul", [ta, tb](auto& x) { return ops::matmul(x[0], x[1], ta, tb); }, {leaf(sa), leaf(sb)}, 8.0);
    }
  each_precision("narrow", [](auto& x) { return ops::narrow(x[0], 3, 5, 7); }, {leaf({2, 3, 4, 20})});
  each_precision("reshape", [](auto& x) { return ops::reshape(x[0], {12, 10}); }, {leaf({3, 4, 10})});
}

TEST_CASE("slice gradients of an intermediate tensor (tiling, gaps, overlap, with a whole one), CUDA vs CPU") {
  // NHWC with channel slices, as C2f's cv1 output and Detect's box/class split; 8-channel multiples
  // take the 16-byte strided accumulate, odd ones the scalar path.
  for (int64_t c : {16, 5}) {
    const Shape s{2, 7, 9, 4 * c};
    each_precision("split", [c](auto& x) {
      std::vector<Tensor> p = ops::split(ops::silu(x[0]), {c, 3 * c}, -1);
      return ops::add(ops::sum(ops::mul(p[0], x[1])), ops::sum(ops::square(p[1])));
    }, {leaf(s), leaf({2, 7, 9, c})}, 20.0);
    each_precision("narrow + whole", [c](auto& x) {
      Tensor h = ops::silu(x[0]);
      Tensor part = ops::mul(ops::narrow(h, -1, 2 * c, c), x[1]);
      Tensor gap = ops::narrow(h, -1, 0, c), overlap = ops::narrow(h, -1, 2 * c - 1, c);
      return ops::add(ops::add(ops::sum(part), ops::sum(ops::mul(h, x[2]))),
                      ops::add(ops::sum(ops::square(gap)), ops::sum(ops::square(overlap))));
    }, {leaf(s), leaf({2, 7, 9, c}), leaf(s)}, 20.0);
    each_precision("concat of a tensor and a block of its second half (C2f)", [c](auto& x) {
      Tensor h = ops::silu(x[0]);  // h's gradient: the concat's slice, the block's half added in place
      Tensor m = ops::mul(ops::square(ops::narrow(h, -1, 2 * c, 2 * c)), x[1]);
      return ops::sum(ops::mul(ops::concat({h, m}, -1), x[2]));
    }, {leaf(s), leaf({2, 7, 9, 2 * c}), leaf({2, 7, 9, 6 * c})}, 20.0);
  }
}

TEST_CASE("add_ into a channel slice on the device agrees with the CPU") {
  for (int64_t c : {24, 3}) {
    Tensor base = test::random_uniform({3, 5, 2 * c}, test::fresh_seed(), -1, 1);
    Tensor src = test::random_uniform({3, 5, c}, test::fresh_seed(), -1, 1);
    Tensor cpu = base.clone();
    ops::add_(cpu.narrow_view(2, c / 2, c), src, -0.5f);
    for (DType t : {DType::f32, DType::f16}) {
      Tensor dev = ops::cast(base, t).to(Device::cuda(0));
      ops::add_(dev.narrow_view(2, c / 2, c), ops::cast(src, t).to(Device::cuda(0)), -0.5f);
      test::check_close(ops::cast(dev, DType::f32).to(Device::cpu()), cpu, t == DType::f32 ? 1e-6 : 4e-3, 1e-3,
                        "add_ slice " + std::string(dtype_name(t)));
    }
  }
}

TEST_CASE("casts and copies on the device agree with the CPU") {
  Tensor x = test::random_uniform({1000}, test::fresh_seed(), -100, 100);
  for (DType t : {DType::f16, DType::bf16}) {
    std::vector<float> cpu = ops::cast(x, t).to_vector();
    std::vector<float> gpu = ops::cast(x.to(Device::cuda(0)), t).to_vector();
    CHECK(cpu == gpu);  // round-to-nearest-even on both
  }
  Tensor g = x.to(Device::cuda(0)).reshape_view({10, 100});
  CHECK(g.narrow_view(1, 10, 30).contiguous().to_vector() == x.reshape_view({10, 100}).narrow_view(1, 10, 30).contiguous().to_vector());
}

// conv2d op on the CPU: forward against a naive direct convolution (groups, depthwise, stride 2 on odd
// sizes, 1x1), numeric gradient checks of input, weight and bias, and the OIHW layout round trip.
#include <doctest/doctest.h>

#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
// Direct NHWC convolution in double, weight (O, kh, kw, C/groups).
std::vector<float> naive_conv(const Tensor& x, const Tensor& w, const Tensor& b, int stride, int pad, int groups) {
  auto xv = x.to_vector(), wv = w.to_vector();
  std::vector<float> bv = b.defined() ? b.to_vector() : std::vector<float>();
  int64_t N = x.dim(0), H = x.dim(1), W = x.dim(2), C = x.dim(3), O = w.dim(0), KH = w.dim(1), KW = w.dim(2);
  int64_t cg = C / groups, og = O / groups;
  int64_t Ho = (H + 2 * pad - KH) / stride + 1, Wo = (W + 2 * pad - KW) / stride + 1;
  std::vector<float> out(size_t(N * Ho * Wo * O));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oy = 0; oy < Ho; ++oy)
      for (int64_t ox = 0; ox < Wo; ++ox)
        for (int64_t o = 0; o < O; ++o) {
          int64_t grp = o / og;
          double acc = bv.empty() ? 0.0 : bv[size_t(o)];
          for (int64_t ky = 0; ky < KH; ++ky)
            for (int64_t kx = 0; kx < KW; ++kx) {
              int64_t iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              for (int64_t c = 0; c < cg; ++c)
                acc += double(xv[size_t(((n * H + iy) * W + ix) * C + grp * cg + c)]) *
                       wv[size_t(((o * KH + ky) * KW + kx) * cg + c)];
            }
          out[size_t(((n * Ho + oy) * Wo + ox) * O + o)] = float(acc);
        }
  return out;
}

struct Case {
  const char* name;
  Shape x, w;
  int stride, pad, groups;
  bool bias;
};

const Case kCases[] = {
    {"3x3 s2 p1 odd input, bias", {1, 13, 17, 24}, {5, 3, 3, 24}, 2, 1, 1, true},
    {"1x1 s1 pointwise", {2, 5, 7, 12}, {9, 1, 1, 12}, 1, 0, 1, false},
    {"depthwise 3x3 s1 p1", {2, 9, 11, 10}, {10, 3, 3, 1}, 1, 1, 10, false},
    {"depthwise 3x3 s2 p1 odd", {1, 9, 7, 6}, {6, 3, 3, 1}, 2, 1, 6, true},
    {"groups=2 5x5 s1 p2", {1, 7, 6, 6}, {4, 5, 5, 3}, 1, 2, 2, false},
    {"3x3 s1 p0 valid", {2, 6, 5, 3}, {7, 3, 3, 3}, 1, 0, 1, true},
};
}  // namespace

TEST_CASE("conv2d forward matches a direct convolution") {
  for (const Case& c : kCases) {
    INFO(c.name);
    Tensor x = test::random_uniform(c.x, test::fresh_seed());
    Tensor w = test::random_uniform(c.w, test::fresh_seed());
    Tensor b = c.bias ? test::random_uniform(Shape{c.w[0]}, test::fresh_seed()) : Tensor();
    Tensor y = ops::conv2d(x, w, b, {c.stride, c.pad, c.groups});
    test::check_close(y.to_vector(), naive_conv(x, w, b, c.stride, c.pad, c.groups), 1e-5, 1e-4, c.name);
  }
}

TEST_CASE("conv2d gradients (input, weight, bias) match central differences") {
  for (const Case& c : kCases) {
    INFO(c.name);
    Tensor x = test::random_uniform(c.x, test::fresh_seed()).set_requires_grad(true);
    Tensor w = test::random_uniform(c.w, test::fresh_seed(), -0.5f, 0.5f).set_requires_grad(true);
    std::vector<Tensor> in{x, w};
    if (c.bias) in.push_back(test::random_uniform(Shape{c.w[0]}, test::fresh_seed()).set_requires_grad(true));
    ops::Conv2dArgs args{c.stride, c.pad, c.groups};
    bool bias = c.bias;
    CHECK(test::gradient_check(
        [args, bias](const std::vector<Tensor>& t) { return ops::conv2d(t[0], t[1], bias ? t[2] : Tensor(), args); },
        in));
  }
}

TEST_CASE("conv weight OIHW <-> (O, kh, kw, I) round trip") {
  Tensor oihw = test::random_uniform(Shape{4, 3, 2, 5}, test::fresh_seed());
  Tensor ours = ops::conv_weight_from_oihw(oihw);
  CHECK(ours.shape() == Shape{4, 2, 5, 3});
  auto a = oihw.to_vector(), b = ours.to_vector();
  // element (o, i, y, x) of OIHW sits at (o, y, x, i) in ours.
  CHECK(b[((1 * 2 + 1) * 5 + 3) * 3 + 2] == a[((1 * 3 + 2) * 2 + 1) * 5 + 3]);
  test::check_close(ops::conv_weight_to_oihw(ours), oihw, 0, 0, "round trip");
}

TEST_CASE("conv2d rejects mismatched channels and groups") {
  Tensor x = Tensor::zeros(Shape{1, 4, 4, 6});
  CHECK_THROWS(ops::conv2d(x, Tensor::zeros(Shape{4, 3, 3, 5}), Tensor(), {1, 1, 1}));
  CHECK_THROWS(ops::conv2d(x, Tensor::zeros(Shape{5, 3, 3, 3}), Tensor(), {1, 1, 2}));
}

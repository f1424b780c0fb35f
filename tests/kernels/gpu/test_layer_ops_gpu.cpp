// CUDA vs CPU for every layer op (conv2d incl. depthwise/groups/stride 2 on odd sizes, batch_norm with
// and without fused SiLU in training and eval, max_pool2d, upsample, concat, permute, softmax, DFL) on
// fresh random inputs, forward and gradients, in f32 (TF32 off), f16 and bf16 (pointwise convs both as
// cuBLAS GEMMs and through cuDNN; channel-slice operands strided or packed; fewer than 8 channels
// zero-padded or not; the u8 input with its zero channel tail). Outputs come from the caching allocator,
// which the GPU test main poisons (NaN), so an unwritten element fails.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>

#include <algorithm>
#include <numeric>
#include <random>

#include "common/harness.h"
#include "engine/nn_ops.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/cudnn_conv.h"
#endif

using namespace ye;

namespace {
struct Tol {
  DType dtype;
  double atol, rtol;
};
// f32: cuDNN FMA maths vs Eigen, no TF32. f16/bf16: inputs rounded to the dtype, f32 accumulation.
const Tol kTols[] = {{DType::f32, 2e-5, 1e-4}, {DType::f16, 2e-2, 2e-2}, {DType::bf16, 8e-2, 6e-2}};

Tensor grad_input(const Shape& s, float lo = -1.f, float hi = 1.f) {
  return test::random_uniform(s, test::fresh_seed(), lo, hi).set_requires_grad(true);
}

// Distinct values 2/numel apart in random order (no ties in any dtype for small tensors).
Tensor distinct(const Shape& s) {
  std::vector<float> v(size_t(s.numel()));
  std::iota(v.begin(), v.end(), 0.f);
  std::shuffle(v.begin(), v.end(), std::mt19937_64(test::fresh_seed()));
  for (float& f : v) f = f * (2.0f / float(v.size())) - 1.f;
  return Tensor::from_vector(v, s).set_requires_grad(true);
}
}  // namespace

TEST_CASE("conv2d CUDA (cuDNN NHWC) matches CPU") {
  ops::set_allow_tf32(Device::cuda(0), false);
  struct Case {
    Shape x, w;
    ops::Conv2dArgs a;
    bool bias;
  };
  const Case cases[] = {
      {{2, 13, 17, 24}, {16, 3, 3, 24}, {2, 1, 1}, true},   // stride 2 on odd input
      {{2, 9, 11, 20}, {36, 1, 1, 20}, {1, 0, 1}, false},   // 1x1
      {{2, 12, 10, 32}, {32, 3, 3, 1}, {1, 1, 32}, false},  // depthwise
      {{1, 11, 9, 24}, {24, 3, 3, 1}, {2, 1, 24}, true},    // depthwise stride 2, odd
      {{1, 8, 7, 12}, {8, 5, 5, 6}, {1, 2, 2}, false},      // groups 2
      {{3, 7, 9, 3}, {16, 3, 3, 3}, {2, 1, 1}, false},      // 3 input channels (first layer)
      {{2, 6, 8, 5}, {8, 3, 3, 5}, {1, 1, 1}, true},        // 5 channels, with bias
  };
  for (const Case& c : cases)
    for (const Tol& t : kTols) {
      INFO("x ", c.x.str(), " w ", c.w.str(), " dtype ", dtype_name(t.dtype));
      std::vector<Tensor> in{grad_input(c.x), grad_input(c.w, -0.3f, 0.3f)};
      if (c.bias) in.push_back(grad_input(Shape{c.w[0]}));
      bool bias = c.bias;
      ops::Conv2dArgs a = c.a;
      test::compare_cuda_to_cpu(
          [a, bias](const std::vector<Tensor>& v) { return ops::conv2d(v[0], v[1], bias ? v[2] : Tensor(), a); }, in,
          t.dtype, t.atol, t.rtol, "conv2d");
    }
}

TEST_CASE("pointwise conv2d as a cuBLAS GEMM (YE_CONV_GEMM=1) and through cuDNN (=0) matches CPU") {
  ops::set_allow_tf32(Device::cuda(0), false);
  // Shapes of their own (fresh plans, so the setting decides), with a bias, odd row counts, C != O.
  for (const char* mode : {"1", "0"}) {
    setenv("YE_CONV_GEMM", mode, 1);
    const int64_t o = mode[0] == '1' ? 40 : 44;
    for (const Tol& t : kTols) {
      INFO("YE_CONV_GEMM=", mode, " dtype ", dtype_name(t.dtype));
      std::vector<Tensor> in{grad_input({3, 7, 9, 24}), grad_input({o, 1, 1, 24}, -0.3f, 0.3f), grad_input(Shape{o})};
      test::compare_cuda_to_cpu(
          [](const std::vector<Tensor>& v) { return ops::conv2d(v[0], v[1], v[2], {1, 0, 1}); }, in, t.dtype, t.atol,
          t.rtol, "pointwise conv2d");
    }
  }
  unsetenv("YE_CONV_GEMM");
}

TEST_CASE("conv2d on channel slices (strided x and dy, YE_CONV_STRIDED=1) and packed (=0) matches CPU") {
  ops::set_allow_tf32(Device::cuda(0), false);
  // x: channels 8..23 of 40-channel rows; the output sits in a concat, so dy is a slice of wider rows.
  // 3x3 through cuDNN; 1x1 as the GEMM (YE_CONV_GEMM=1, o = 16) and through cuDNN (=0, o = 24: own plans).
  struct Config {
    int64_t k, o;
    const char* gemm;
  };
  for (const char* mode : {"1", "0"}) {
    setenv("YE_CONV_STRIDED", mode, 1);
    for (const Config& c : {Config{3, 16, nullptr}, Config{1, 16, "1"}, Config{1, 24, "0"}}) {
      if (c.gemm) setenv("YE_CONV_GEMM", c.gemm, 1);
      for (const Tol& t : kTols) {
        INFO("YE_CONV_STRIDED=", mode, " k ", c.k, " o ", c.o, " dtype ", dtype_name(t.dtype));
        std::vector<Tensor> in{grad_input({2, 9, 11, 40}), grad_input({c.o, c.k, c.k, 16}, -0.3f, 0.3f),
                               grad_input({2, 9, 11, 8}), grad_input(Shape{c.o})};
        const int pad = int(c.k / 2);
        test::compare_cuda_to_cpu(  // the bias gradient: a per-channel sum of the dy slice, read in place
            [pad](const std::vector<Tensor>& v) {
              Tensor y = ops::conv2d(ops::narrow(v[0], 3, 8, 16), v[1], v[3], {1, pad, 1});
              return ops::concat({y, v[2]}, -1);
            },
            in, t.dtype, t.atol, t.rtol, "conv2d on slices");
      }
      unsetenv("YE_CONV_GEMM");
    }
  }
  unsetenv("YE_CONV_STRIDED");
}

TEST_CASE("conv2d over fewer than 8 channels, zero-padded to 8 (YE_CONV_PAD=1) and as it is (=0), matches CPU") {
  ops::set_allow_tf32(Device::cuda(0), false);
  for (const char* mode : {"1", "0"}) {
    setenv("YE_CONV_PAD", mode, 1);
    const int64_t c = mode[0] == '1' ? 3 : 5;
    for (const Tol& t : kTols) {
      INFO("YE_CONV_PAD=", mode, " dtype ", dtype_name(t.dtype));
      std::vector<Tensor> in{grad_input({2, 11, 13, c}), grad_input({16, 3, 3, c}, -0.3f, 0.3f), grad_input(Shape{16})};
      test::compare_cuda_to_cpu(
          [](const std::vector<Tensor>& v) { return ops::conv2d(v[0], v[1], v[2], {2, 1, 1}); }, in, t.dtype, t.atol,
          t.rtol, "conv2d, few channels");
    }
  }
  unsetenv("YE_CONV_PAD");
}

TEST_CASE("u8 images to an f16 input with a zero channel tail: scaled_cast, pad_last_dim without a copy, conv2d") {
  if (!test::cuda_present()) return;
  ops::set_allow_tf32(Device::cuda(0), false);
  const Shape s{2, 7, 9, 3};
  std::vector<uint8_t> bytes(size_t(s.numel()));
  std::mt19937_64 rng(test::fresh_seed());
  for (uint8_t& b : bytes) b = uint8_t(rng() % 256);
  Tensor raw_cpu = Tensor::from_blob_copy(bytes.data(), s, DType::u8, Device::cpu());
  Tensor raw = Tensor::from_blob_copy(bytes.data(), s, DType::u8, Device::cuda(0));
  const float scale = 1.0f / 255.0f;
  Tensor ref = ops::scaled_cast(raw_cpu, DType::f32, scale);
  CHECK(ref.to_vector()[5] == float(bytes[5]) * scale);
  for (DType dt : {DType::f16, DType::bf16}) {
    INFO("dtype ", dtype_name(dt));
    Tensor x = ops::scaled_cast(raw, dt, scale, 8);
    CHECK(x.shape() == s);
    test::check_close(ops::cast(x, DType::f32).to(Device::cpu()), ref, 0, dt == DType::f16 ? 1e-3 : 8e-3, "values");
    Tensor wide = ops::pad_last_dim(x, 8);
    CHECK(wide.same_storage(x));
    std::vector<float> tail = ops::cast(wide, DType::f32).to(Device::cpu()).to_vector();
    float tail_abs = 0;
    for (size_t i = 0; i < tail.size(); ++i)
      if (i % 8 >= 3) tail_abs += std::fabs(tail[i]);
    CHECK(tail_abs == 0.0f);
    Tensor copy = ops::pad_last_dim(ops::contiguous(x), 8);  // not a scaled_cast view: a padded copy
    CHECK_FALSE(copy.same_storage(x));
    test::check_close(ops::cast(copy, DType::f32).to(Device::cpu()), ops::cast(wide, DType::f32).to(Device::cpu()), 0,
                      0, "padded copy");
    Tensor w = test::random_uniform({16, 3, 3, 3}, test::fresh_seed(), -0.3f, 0.3f);
    Tensor y = ops::conv2d(x, ops::to(w, Device::cuda(0)), Tensor(), {2, 1, 1});
    test::check_close(ops::cast(y, DType::f32).to(Device::cpu()), ops::conv2d(ref, w, Tensor(), {2, 1, 1}), 2e-2,
                      dt == DType::f16 ? 2e-2 : 6e-2, "stem conv");
  }
}

TEST_CASE("conv2d backward on CUDA is bitwise reproducible in f16 (deterministic cuDNN algorithms)") {
  if (!test::cuda_present()) return;
  // The RGB stem at training size, where cuDNN's fastest backward-filter algorithm uses atomics.
  Tensor x = ops::cast(test::random_uniform({8, 320, 320, 3}, test::fresh_seed(), 0, 1), DType::f16).to(Device::cuda(0));
  Tensor w0 = test::random_uniform({16, 3, 3, 3}, test::fresh_seed(), -0.3f, 0.3f).to(Device::cuda(0));
  Tensor r = ops::cast(test::random_uniform({8, 160, 160, 16}, test::fresh_seed()), DType::f16).to(Device::cuda(0));
  std::vector<std::vector<float>> grads;
  for (int run = 0; run < 3; ++run) {
    Tensor w = w0.clone();
    w.set_requires_grad(true);
    ops::sum(ops::mul(ops::conv2d(x, w, Tensor(), {2, 1, 1}), r)).backward();
    grads.push_back(w.grad().to_vector());
  }
  CHECK(grads[1] == grads[0]);
  CHECK(grads[2] == grads[0]);
}

TEST_CASE("conv2d CUDA: f32 master weight with f16 input, and the algorithm cache") {
#ifdef YE_WITH_CUDA
  if (!test::cuda_present()) return;
  Tensor x = test::random_uniform(Shape{2, 10, 10, 16}, test::fresh_seed());
  Tensor w = test::random_uniform(Shape{24, 3, 3, 16}, test::fresh_seed(), -0.3f, 0.3f);
  Tensor wc = w.clone().set_requires_grad(true);
  ops::sum(ops::conv2d(x, wc, Tensor(), {1, 1, 1})).backward();
  Tensor wg = w.to(Device::cuda(0)).set_requires_grad(true);
  Tensor xg = ops::cast(x, DType::f16).to(Device::cuda(0));
  size_t plans = cuda::cudnn_conv_plan_count(0);
  Tensor y = ops::conv2d(xg, wg, Tensor(), {1, 1, 1});
  CHECK(y.dtype() == DType::f16);
  ops::sum(ops::cast(y, DType::f32)).backward();
  REQUIRE(wg.grad().defined());
  CHECK(wg.grad().dtype() == DType::f32);
  test::check_close(wg.grad().to(Device::cpu()), wc.grad(), 0.5, 2e-2, "f32 master weight grad");
  size_t after_first = cuda::cudnn_conv_plan_count(0);
  CHECK(after_first >= plans);
  ops::conv2d(xg, wg, Tensor(), {1, 1, 1});
  CHECK(cuda::cudnn_conv_plan_count(0) == after_first);
#endif
}

TEST_CASE("batch_norm CUDA (fused SiLU or not, training and eval) matches CPU") {
  // C=40, 48, 80 and 96 take the 16-byte kernels (f16 48 channels: 42 row lanes, a non-power-of-two
  // tree), C=3 the one-channel-per-thread ones.
  for (const Shape& s : {Shape{4, 33, 37, 40}, Shape{2, 40, 40, 48}, Shape{2, 9, 11, 80}, Shape{3, 7, 13, 96},
                         Shape{2, 5, 7, 3}})
    for (bool training : {true, false})
      for (bool silu : {false, true})
        for (const Tol& t : kTols) {
          INFO(s.str(), " training=", training, " silu=", silu, " dtype ", dtype_name(t.dtype));
          int64_t C = s[-1];
          std::vector<Tensor> in{grad_input(s, -2.f, 3.f), grad_input(Shape{C}, 0.5f, 1.5f),
                                 grad_input(Shape{C}, -0.5f, 0.5f),
                                 test::random_uniform(Shape{C}, test::fresh_seed(), -0.2f, 0.2f),
                                 test::random_uniform(Shape{C}, test::fresh_seed(), 0.5f, 2.f)};
          ops::BatchNormArgs a{training, 0.03f, 1e-3f, silu};
          test::compare_cuda_to_cpu(
              [a](const std::vector<Tensor>& v) {
                auto f32 = [](const Tensor& x) { return ops::cast(x, DType::f32).clone(); };
                return ops::batch_norm(v[0], ops::cast(v[1], DType::f32), ops::cast(v[2], DType::f32), f32(v[3]),
                                       f32(v[4]), a);
              },
              // weight/bias gradients sum N*H*W low-precision terms: the absolute error grows with sqrt(count)
              in, t.dtype, t.dtype == DType::f32 ? t.atol : t.atol * std::sqrt(double(s.numel() / C)) / 8.0,
              t.rtol, "batch_norm");
        }
}

TEST_CASE("batch_norm CUDA running statistics match CPU") {
  if (!test::cuda_present()) return;
  Tensor x = test::random_uniform(Shape{8, 20, 20, 24}, test::fresh_seed(), -1.f, 4.f);
  Tensor w = Tensor::full(Shape{24}, 1.f), b = Tensor::zeros(Shape{24});
  Tensor rm = Tensor::zeros(Shape{24}), rv = Tensor::full(Shape{24}, 1.f);
  Device d = Device::cuda(0);
  Tensor rmg = rm.to(d), rvg = rv.to(d);
  ops::batch_norm(x, w, b, rm, rv, {true, 0.03f, 1e-3f, true});
  ops::batch_norm(ops::cast(x, DType::bf16).to(d), w.to(d), b.to(d), rmg, rvg, {true, 0.03f, 1e-3f, true});
  test::check_close(rmg.to(Device::cpu()), rm, 1e-4, 1e-2, "running mean (bf16 input)");
  test::check_close(rvg.to(Device::cpu()), rv, 1e-4, 1e-2, "running var (bf16 input)");
}

TEST_CASE("max_pool2d and upsample CUDA match CPU") {
  struct P {
    Shape s;
    int k, st, p;
  };
  for (const Tol& t : kTols)
    for (P c : {P{{1, 7, 7, 4}, 5, 1, 2}, P{{1, 9, 5, 3}, 3, 2, 1}}) {
      INFO("pool ", c.k, "/", c.st, "/", c.p, " dtype ", dtype_name(t.dtype));
      test::compare_cuda_to_cpu([c](const std::vector<Tensor>& v) { return ops::max_pool2d(v[0], c.k, c.st, c.p); },
                                {distinct(c.s)}, t.dtype, t.atol, t.rtol, "max_pool2d");
    }
  for (const Tol& t : kTols) {
    test::compare_cuda_to_cpu([](const std::vector<Tensor>& v) { return ops::max_pool2d(v[0], 5, 1, 2); },
                              {grad_input(Shape{2, 20, 20, 64})}, DType::f32, 0, 0, "max_pool2d SPPF f32");
    for (int64_t c : {13, 16, 64})  // 16-byte vector path when the channels allow it
      test::compare_cuda_to_cpu([](const std::vector<Tensor>& v) { return ops::upsample_nearest2x(v[0]); },
                                {grad_input(Shape{2, 7, 9, c})}, t.dtype, t.atol, t.rtol, "upsample_nearest2x");
    for (int64_t c : {13, 16})  // into its channels of a concat buffer (the neck), gradient read in place
      test::compare_cuda_to_cpu(
          [c](const std::vector<Tensor>& v) {
            Tensor b = Tensor::empty(Shape{2, 14, 18, c + 8}, v[0].dtype(), v[0].device());
            return ops::concat({ops::upsample_nearest2x(v[0], b.narrow_view(-1, 0, c)),
                                ops::copy_into(b.narrow_view(-1, c, 8), v[1])},
                               -1);
          },
          {grad_input(Shape{2, 7, 9, c}), grad_input(Shape{2, 14, 18, 8})}, t.dtype, t.atol, t.rtol,
          "upsample_nearest2x into a concat buffer");
  }
}

TEST_CASE("concat, permute, softmax and DFL CUDA match CPU") {
  for (const Tol& t : kTols) {
    INFO("dtype ", dtype_name(t.dtype));
    // DFL outputs reach 15: absolute error grows with the dtype's spacing there.
    const double dfl_atol = t.dtype == DType::f32 ? 1e-4 : t.dtype == DType::f16 ? 4e-2 : 3e-1;
    test::compare_cuda_to_cpu(
        [](const std::vector<Tensor>& v) { return ops::concat({v[0], v[1], v[2]}, -1); },
        {grad_input(Shape{2, 5, 7, 8}), grad_input(Shape{2, 5, 7, 3}), grad_input(Shape{2, 5, 7, 16})}, t.dtype,
        t.atol, t.rtol, "concat");
    test::compare_cuda_to_cpu([](const std::vector<Tensor>& v) { return ops::permute(v[0], {0, 2, 1, 3}); },
                              {grad_input(Shape{2, 9, 3, 5})}, t.dtype, t.atol, t.rtol, "permute");
    test::compare_cuda_to_cpu([](const std::vector<Tensor>& v) { return ops::softmax(v[0], -1); },
                              {grad_input(Shape{6, 37, 400}, -4.f, 4.f)}, t.dtype, t.atol / 10, t.rtol, "softmax rows");
    test::compare_cuda_to_cpu([](const std::vector<Tensor>& v) { return ops::softmax(v[0], 1); },
                              {grad_input(Shape{3, 17, 6}, -4.f, 4.f)}, t.dtype, t.atol / 10, t.rtol, "softmax cols");
    test::compare_cuda_to_cpu([](const std::vector<Tensor>& v) { return ops::dfl_expectation(v[0]); },
                              {grad_input(Shape{2, 300, 64}, -5.f, 5.f)}, t.dtype, dfl_atol, t.rtol, "dfl");
  }
}

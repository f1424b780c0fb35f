// CUDA max_pool2d (5x5/s1/p2, SPPF's pool) forward and backward against the CPU on fresh random inputs:
// the strip backward (channels a multiple of 4, widths not a multiple of the strip, tiny planes, tied
// maxima) and the general gather (other channel counts), bitwise in f32 (the same order of additions as
// the CPU's scatter), within rounding in f16/bf16 (on inputs exact in the dtype), and SPPF's chain of three
// pools. Outputs come from the caching allocator, NaN-poisoned by the GPU test main.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
Tensor input(const Shape& s) { return test::random_uniform(s, test::fresh_seed()).set_requires_grad(true); }

// Seven distinct levels only: most 5x5 windows hold tied maxima (first in scan order wins on both).
Tensor tied_input(const Shape& s) {
  std::vector<float> v = test::random_uniform(s, test::fresh_seed()).to_vector();
  for (float& f : v) f = std::round(f * 3.f) / 3.f;
  return Tensor::from_vector(v, s).set_requires_grad(true);
}

// Each (image, channel) plane a random permutation of the integers -h*w/2 .. h*w/2 - 1: no ties, and
// exact in f16 and bf16 for planes up to 512 pixels, so the low-precision argmax equals the CPU's.
Tensor exact_distinct(const Shape& s) {
  const int64_t hw = s[1] * s[2], C = s[3];
  std::vector<float> v(size_t(s.numel()));
  std::vector<float> plane(static_cast<size_t>(hw));
  std::mt19937_64 rng(test::fresh_seed());
  for (int64_t n = 0; n < s[0]; ++n)
    for (int64_t c = 0; c < C; ++c) {
      std::iota(plane.begin(), plane.end(), -float(hw / 2));
      std::shuffle(plane.begin(), plane.end(), rng);
      for (int64_t p = 0; p < hw; ++p) v[size_t((n * hw + p) * C + c)] = plane[size_t(p)];
    }
  return Tensor::from_vector(v, s).set_requires_grad(true);
}

Tensor pool5(const std::vector<Tensor>& v) { return ops::max_pool2d(v[0], 5, 1, 2); }
}  // namespace

TEST_CASE("max_pool2d 5x5/s1/p2 CUDA forward and backward match the CPU (bitwise in f32)") {
  // C % 4 == 0 takes the strip backward; 6 and 13 channels the general gather.
  for (const Shape& s : {Shape{2, 20, 20, 64}, Shape{2, 13, 11, 12}, Shape{1, 3, 2, 8}, Shape{3, 7, 9, 4},
                         Shape{1, 9, 17, 6}, Shape{2, 5, 19, 13}}) {
    INFO("shape ", s.str());
    test::compare_cuda_to_cpu(pool5, {input(s)}, DType::f32, 0, 0, "max_pool2d 5/1/2 f32");
    test::compare_cuda_to_cpu(pool5, {tied_input(s)}, DType::f32, 0, 0, "max_pool2d 5/1/2 f32, tied maxima");
    // Gradients sum up to 25 incoming values rounded to the dtype.
    test::compare_cuda_to_cpu(pool5, {exact_distinct(s)}, DType::f16, 2e-2, 2e-2, "max_pool2d 5/1/2 f16");
    test::compare_cuda_to_cpu(pool5, {exact_distinct(s)}, DType::bf16, 8e-2, 6e-2, "max_pool2d 5/1/2 bf16");
  }
}

TEST_CASE("SPPF's three chained 5x5 pools and their concat: CUDA gradients match the CPU") {
  auto sppf = [](const std::vector<Tensor>& v) {
    Tensor y1 = ops::max_pool2d(v[0], 5, 1, 2), y2 = ops::max_pool2d(y1, 5, 1, 2), y3 = ops::max_pool2d(y2, 5, 1, 2);
    return ops::concat({v[0], y1, y2, y3}, -1);
  };
  test::compare_cuda_to_cpu(sppf, {input(Shape{2, 20, 20, 32})}, DType::f32, 1e-6, 1e-6, "SPPF pools f32");
  test::compare_cuda_to_cpu(sppf, {tied_input(Shape{2, 20, 20, 32})}, DType::f32, 1e-6, 1e-6, "SPPF pools f32, ties");
  test::compare_cuda_to_cpu(sppf, {exact_distinct(Shape{2, 20, 20, 32})}, DType::f16, 2e-2, 2e-2, "SPPF pools f16");
}

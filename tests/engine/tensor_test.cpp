// Tensor basics: creation, views (slice, strided narrow, reshape), copies, dtype conversion, errors.
#include <cmath>

#include "common/harness.h"
#include "engine/allocator.h"

using namespace ye;

TEST_CASE("creation and host round trip") {
  Tensor t = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.numel() == 6);
  CHECK(t.is_contiguous());
  CHECK(t.to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(Tensor::zeros({3}).to_vector() == std::vector<float>{0, 0, 0});
  CHECK(Tensor::full({2}, 2.5f).to_vector() == std::vector<float>{2.5f, 2.5f});
  CHECK(Tensor::from_vector({7}, {1}).item() == 7.0f);
}

TEST_CASE("views share storage: slice along dim 0, narrow along channels with a stride") {
  Tensor t = Tensor::from_vector({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});  // NHWC-like [3, C=4]
  Tensor s = t.slice_view(1, 3);
  CHECK(s.shape() == Shape{2, 4});
  CHECK(s.same_storage(t));
  CHECK(s.to_vector() == std::vector<float>{4, 5, 6, 7, 8, 9, 10, 11});
  Tensor n = t.narrow_view(1, 1, 2);
  CHECK_FALSE(n.is_contiguous());
  CHECK(n.strides()[0] == 4);
  CHECK(n.to_vector() == std::vector<float>{1, 2, 5, 6, 9, 10});
  Tensor c = n.contiguous();
  CHECK(c.is_contiguous());
  CHECK_FALSE(c.same_storage(t));
  CHECK(c.to_vector() == n.to_vector());
  Tensor r = t.reshape_view({2, 6});
  CHECK(r.same_storage(t));
  CHECK(r.to_vector() == t.to_vector());
  CHECK_THROWS_AS(n.reshape_view({6}), Error);
  CHECK_THROWS_AS(t.slice_view(2, 4), Error);
  CHECK_THROWS_AS(t.narrow_view(1, 3, 2), Error);
}

TEST_CASE("writes through a narrow view land in the base tensor") {
  Tensor t = Tensor::zeros({2, 3, 4});
  ops::copy_(t.narrow_view(2, 2, 2), Tensor::full({2, 3, 2}, 1.0f));
  std::vector<float> v = t.to_vector();
  for (int i = 0; i < 24; ++i) CHECK(v[size_t(i)] == ((i % 4) >= 2 ? 1.0f : 0.0f));
}

TEST_CASE("casts f32 <-> f16 <-> bf16 round to nearest") {
  Tensor x = Tensor::from_vector({1.0f, -2.5f, 0.1f, 65504.0f, 3.14159265f}, {5});
  Tensor h = ops::cast(x, DType::f16);
  CHECK(h.dtype() == DType::f16);
  std::vector<float> hv = h.to_vector();
  CHECK(hv[0] == 1.0f);
  CHECK(hv[1] == -2.5f);
  CHECK(hv[2] == doctest::Approx(0.0999755859375f));  // nearest f16 to 0.1
  CHECK(hv[3] == 65504.0f);
  CHECK(hv[4] == doctest::Approx(3.140625f));
  std::vector<float> bv = ops::cast(x, DType::bf16).to_vector();
  CHECK(bv[2] == doctest::Approx(0.10009765625f));  // nearest bf16 to 0.1
  CHECK(bv[4] == doctest::Approx(3.140625f));
  CHECK(ops::cast(ops::cast(h, DType::bf16), DType::f32).to_vector()[0] == 1.0f);
  Tensor u8 = ops::cast(Tensor::from_vector({0.f, 127.6f, 300.f}, {3}), DType::u8);
  CHECK(ops::cast(u8, DType::f32).to_vector() == std::vector<float>{0.f, 128.f, 255.f});
}

TEST_CASE("shape and device errors are clear") {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4});
  try {
    ops::add(a, b);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("do not broadcast") != std::string::npos);
  }
  CHECK_THROWS_AS(ops::matmul(Tensor::zeros({2, 3}), Tensor::zeros({2, 3})), Error);
  CHECK_THROWS_AS(Device::parse("gpu0"), Error);
  CHECK(Device::parse("1") == Device::cuda(1));
  CHECK(Device::parse("cuda:2").index == 2);
  CHECK(Device::parse("cpu").is_cpu());
  if (!built_with_cuda()) CHECK_THROWS_AS(Tensor::zeros({1}, DType::f32, Device::cuda(0)), Error);
}

TEST_CASE("poisoned allocations read as NaN in the tests") {
  CHECK(poison_allocations());
  Tensor t = Tensor::empty({4});
  for (float v : t.to_vector()) CHECK(std::isnan(v));
}

// Forward values of the first ops against hand-computed results (broadcasting, reductions, matmul,
// the scaled byte cast and its zero-padded rows).
#include <cmath>

#include "common/harness.h"

using namespace ye;

TEST_CASE("binary ops broadcast numpy-style") {
  Tensor a = Tensor::from_vector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor row = Tensor::from_vector({10, 20, 30}, {3});
  Tensor col = Tensor::from_vector({100, 200}, {2, 1});
  CHECK(ops::add(a, row).to_vector() == std::vector<float>{11, 22, 33, 14, 25, 36});
  CHECK(ops::sub(a, col).to_vector() == std::vector<float>{-99, -98, -97, -196, -195, -194});
  CHECK(ops::mul(a, row).to_vector() == std::vector<float>{10, 40, 90, 40, 100, 180});
  CHECK(ops::div(a, Tensor::full({1}, 2.0f)).to_vector() == std::vector<float>{0.5, 1, 1.5, 2, 2.5, 3});
  CHECK(ops::maximum(a, Tensor::full({1}, 3.5f)).to_vector() == std::vector<float>{3.5, 3.5, 3.5, 4, 5, 6});
  CHECK(ops::minimum(a, row).to_vector() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(ops::add(col, row).shape() == Shape{2, 3});
}

TEST_CASE("unary and scalar ops") {
  Tensor x = Tensor::from_vector({-2, -0.5, 0, 1, 3}, {5});
  std::vector<float> v = x.to_vector();
  auto sig = [](float t) { return 1.0f / (1.0f + std::exp(-t)); };
  std::vector<float> s = ops::sigmoid(x).to_vector(), si = ops::silu(x).to_vector();
  for (size_t i = 0; i < v.size(); ++i) {
    CHECK(s[i] == doctest::Approx(sig(v[i])).epsilon(1e-6));
    CHECK(si[i] == doctest::Approx(v[i] * sig(v[i])).epsilon(1e-6));
  }
  CHECK(ops::relu(x).to_vector() == std::vector<float>{0, 0, 0, 1, 3});
  CHECK(ops::abs(x).to_vector() == std::vector<float>{2, 0.5, 0, 1, 3});
  CHECK(ops::affine(x, 2.0f, 1.0f).to_vector() == std::vector<float>{-3, 0, 1, 3, 7});
  CHECK(ops::square(x).to_vector() == std::vector<float>{4, 0.25, 0, 1, 9});
  CHECK(ops::exp(Tensor::from_vector({0, 1}, {2})).to_vector()[1] == doctest::Approx(std::exp(1.0f)));
  CHECK(ops::log(Tensor::from_vector({1, 4}, {2})).to_vector()[1] == doctest::Approx(std::log(4.0f)));
  CHECK(ops::pow_scalar(Tensor::from_vector({2, 3}, {2}), 3.0f).to_vector() == std::vector<float>{8, 27});
}

TEST_CASE("sum and mean over everything and per axis") {
  Tensor x = Tensor::from_vector({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, {2, 3, 2});
  CHECK(ops::sum(x).item() == 78.0f);
  CHECK(ops::mean(x).item() == 6.5f);
  CHECK(ops::sum(x, 0).to_vector() == std::vector<float>{8, 10, 12, 14, 16, 18});
  CHECK(ops::sum(x, 1).to_vector() == std::vector<float>{9, 12, 27, 30});
  CHECK(ops::sum(x, 2, true).shape() == Shape{2, 3, 1});
  CHECK(ops::sum(x, -1).to_vector() == std::vector<float>{3, 7, 11, 15, 19, 23});
  CHECK(ops::mean(x, 1).to_vector() == std::vector<float>{3, 4, 9, 10});
}

TEST_CASE("matmul with transposes and batches against a naive product") {
  uint64_t seed = test::fresh_seed();
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      int64_t m = 5, k = 7, n = 3, b = 2;
      Tensor A = test::random_uniform(ta ? Shape{b, k, m} : Shape{b, m, k}, seed + 1);
      Tensor B = test::random_uniform(tb ? Shape{b, n, k} : Shape{b, k, n}, seed + 2);
      std::vector<float> a = A.to_vector(), bb = B.to_vector(), ref(size_t(b * m * n));
      for (int64_t z = 0; z < b; ++z)
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double s = 0;
            for (int64_t q = 0; q < k; ++q) {
              float av = ta ? a[size_t(z * k * m + q * m + i)] : a[size_t(z * m * k + i * k + q)];
              float bv = tb ? bb[size_t(z * n * k + j * k + q)] : bb[size_t(z * k * n + q * n + j)];
              s += double(av) * bv;
            }
            ref[size_t(z * m * n + i * n + j)] = float(s);
          }
      test::check_close(ops::matmul(A, B, ta, tb).to_vector(), ref, 1e-5, 1e-5, "matmul");
    }
}

TEST_CASE("random numbers are reproducible per seed and have the right moments") {
  Generator g1(42), g2(42), g3(43);
  Tensor a = Tensor::empty({10000}), b = Tensor::empty({10000}), c = Tensor::empty({10000});
  ops::uniform_(a, -1, 1, g1);
  ops::uniform_(b, -1, 1, g2);
  ops::uniform_(c, -1, 1, g3);
  CHECK(a.to_vector() == b.to_vector());
  CHECK(a.to_vector() != c.to_vector());
  std::vector<float> u = a.to_vector();
  double mean = 0;
  for (float v : u) {
    CHECK(v >= -1.0f);
    CHECK(v <= 1.0f);
    mean += v;
  }
  CHECK(mean / 10000 == doctest::Approx(0.0).epsilon(0.03));
  Tensor n = Tensor::empty({20000});
  ops::normal_(n, 2.0f, 3.0f, g1);
  std::vector<float> nv = n.to_vector();
  double m = 0, m2 = 0;
  for (float v : nv) m += v;
  m /= double(nv.size());
  for (float v : nv) m2 += (v - m) * (v - m);
  CHECK(m == doctest::Approx(2.0).epsilon(0.05));
  CHECK(std::sqrt(m2 / double(nv.size())) == doctest::Approx(3.0).epsilon(0.03));
  Tensor next = Tensor::empty({4});
  ops::uniform_(next, 0, 1, g2);  // the generator advanced: a second draw differs from the first
  CHECK(next.to_vector() != std::vector<float>(u.begin(), u.begin() + 4));
}

TEST_CASE("scaled_cast of bytes, with a zero row tail that pad_last_dim widens without a copy") {
  const std::vector<uint8_t> bytes{0, 51, 255, 10, 20, 30};
  Tensor raw = Tensor::from_blob_copy(bytes.data(), {2, 3}, DType::u8, Device::cpu());
  const float s = 1.0f / 255.0f;
  const std::vector<float> want{0, 51 * s, 255 * s, 10 * s, 20 * s, 30 * s};
  CHECK(ops::scaled_cast(raw, DType::f32, s).to_vector() == want);
  Tensor x = ops::scaled_cast(raw, DType::f32, s, 4);
  CHECK(x.shape() == Shape{2, 3});
  CHECK(x.to_vector() == want);
  Tensor wide = ops::pad_last_dim(x, 4);
  CHECK(wide.same_storage(x));
  CHECK(wide.to_vector() == std::vector<float>{0, 51 * s, 255 * s, 0, 10 * s, 20 * s, 30 * s, 0});
  // Any other tensor is copied into zeros, and so is a view of the padded rows (it does not inherit them).
  Tensor view = x.narrow_view(1, 0, 2);
  Tensor padded = ops::pad_last_dim(view, 4);
  CHECK_FALSE(padded.same_storage(x));
  CHECK(padded.to_vector() == std::vector<float>{0, 51 * s, 0, 0, 10 * s, 20 * s, 0, 0});
  CHECK(test::gradient_check([](auto& v) { return ops::mul(ops::pad_last_dim(v[0], 5), v[1]); },
                             {test::random_uniform({2, 3, 2}, test::fresh_seed()).set_requires_grad(true),
                              test::random_uniform({2, 3, 5}, test::fresh_seed()).set_requires_grad(true)}));
}

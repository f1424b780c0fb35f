// The vectorised row paths of the CUDA elementwise kernels (kernels/strided_layout.h) against the CPU,
// bit for bit: channel concat / split copies, strided views made contiguous, casts, same-shape and
// broadcast binary ops, and fills, at channel counts and offsets that do and do not allow 16-byte
// accesses (so both the vector and the scalar row kernels and the generic walk run), and add_ of a
// low-precision gradient into an f32 accumulator.
#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
Tensor rounded(const Shape& s, DType t) {
  return ops::cast(ops::cast(test::random_uniform(s, test::fresh_seed(), -3, 3), t), DType::f32);
}

std::vector<float> on_gpu(const Tensor& cpu_f32, DType t) { return ops::cast(cpu_f32.to(Device::cuda(0)), t).to_vector(); }
}  // namespace

TEST_CASE("channel concat and split on CUDA equal the CPU bit for bit") {
  for (DType t : {DType::f32, DType::f16, DType::bf16})
    for (std::vector<int64_t> cs : {std::vector<int64_t>{32, 32}, {16, 8, 24}, {3, 5}, {8, 7, 9}, {64, 128, 64}}) {
      INFO(dtype_name(t), " channels ", cs.size(), " first ", cs[0]);
      std::vector<Tensor> cpu, gpu;
      for (int64_t c : cs) {
        cpu.push_back(rounded({2, 9, 11, c}, t));
        gpu.push_back(ops::cast(cpu.back().to(Device::cuda(0)), t));
      }
      Tensor cat_cpu = ops::concat(cpu, 3), cat_gpu = ops::concat(gpu, 3);
      CHECK(cat_gpu.to_vector() == cat_cpu.to_vector());
      auto parts_cpu = ops::split(cat_cpu, cs, 3), parts_gpu = ops::split(cat_gpu, cs, 3);
      for (size_t k = 0; k < cs.size(); ++k) CHECK(parts_gpu[k].contiguous().to_vector() == parts_cpu[k].contiguous().to_vector());
      // A window starting at an odd channel (no 16-byte alignment) and one along H (rows of whole pixels).
      CHECK(cat_gpu.narrow_view(3, 1, 3).contiguous().to_vector() == cat_cpu.narrow_view(3, 1, 3).contiguous().to_vector());
      CHECK(cat_gpu.narrow_view(1, 2, 5).contiguous().to_vector() == cat_cpu.narrow_view(1, 2, 5).contiguous().to_vector());
    }
}

TEST_CASE("casts on CUDA round as the CPU at every size and offset") {
  for (int64_t n : {1, 7, 8, 9, 4096, 4099, 100003}) {
    Tensor x = test::random_uniform({n}, test::fresh_seed(), -100, 100);
    for (DType t : {DType::f16, DType::bf16}) {
      INFO("n ", n, " ", dtype_name(t));
      CHECK(on_gpu(x, t) == ops::cast(x, t).to_vector());
      if (n > 3) {  // misaligned source: a view starting at element 3
        Tensor g = x.to(Device::cuda(0)).narrow_view(0, 3, n - 3);
        CHECK(ops::cast(g, t).to_vector() == ops::cast(x.narrow_view(0, 3, n - 3).contiguous(), t).to_vector());
        Tensor h = ops::cast(g, t);
        CHECK(ops::cast(h, DType::f32).to_vector() == ops::cast(ops::cast(x.narrow_view(0, 3, n - 3).contiguous(), t), DType::f32).to_vector());
      }
    }
  }
}

TEST_CASE("binary ops on CUDA (same shape, per-channel and per-row broadcast) equal the CPU bit for bit") {
  for (DType t : {DType::f32, DType::f16, DType::bf16})
    for (int64_t c : {1, 3, 8, 24, 64, 65}) {
      INFO(dtype_name(t), " C ", c);
      Tensor a = rounded({3, 7, 5, c}, t), b = rounded({3, 7, 5, c}, t), ch = rounded({c}, t), px = rounded({3, 7, 5, 1}, t);
      auto gpu = [t](const Tensor& x) { return ops::cast(x.to(Device::cuda(0)), t); };
      auto expect = [t](const Tensor& r) { return ops::cast(ops::cast(r, t), DType::f32).to_vector(); };
      CHECK(ops::cast(ops::add(gpu(a), gpu(b)), DType::f32).to_vector() == expect(ops::add(a, b)));
      CHECK(ops::cast(ops::mul(gpu(a), gpu(ch)), DType::f32).to_vector() == expect(ops::mul(a, ch)));
      CHECK(ops::cast(ops::sub(gpu(px), gpu(a)), DType::f32).to_vector() == expect(ops::sub(px, a)));
      CHECK(ops::cast(ops::maximum(gpu(a), gpu(px)), DType::f32).to_vector() == expect(ops::maximum(a, px)));
    }
}

TEST_CASE("fills on CUDA write every element and nothing else") {
  for (int64_t n : {1, 5, 8, 13, 1000, 1003})
    for (DType t : {DType::f32, DType::f16, DType::bf16}) {
      INFO("n ", n, " ", dtype_name(t));
      Tensor z = Tensor::zeros({n + 2}, t, Device::cuda(0));
      Tensor inner = z.narrow_view(0, 1, n);  // starts one element in: not 16-byte aligned
      ops::fill_(inner, 2.5f);
      std::vector<float> v = ops::cast(z, DType::f32).to_vector();
      CHECK(v.front() == 0.0f);
      CHECK(v.back() == 0.0f);
      for (int64_t i = 1; i <= n; ++i) CHECK(v[size_t(i)] == 2.5f);
      Tensor full = Tensor::empty({n}, t, Device::cuda(0));
      ops::fill_(full, -1.0f);
      for (float f : ops::cast(full, DType::f32).to_vector()) CHECK(f == -1.0f);
    }
}

TEST_CASE("add_ accumulates f16 and bf16 gradients into f32 on CUDA as cast-then-add does") {
  for (DType t : {DType::f16, DType::bf16})
    for (int64_t n : {1, 1000, 100003}) {
      INFO(dtype_name(t), " n ", n);
      Tensor acc = test::random_uniform({n}, test::fresh_seed(), -1, 1);
      Tensor g = ops::cast(test::random_uniform({n}, test::fresh_seed(), -2, 2), t);
      Tensor expect = acc.clone();
      ops::add_(expect, ops::cast(g, DType::f32), 0.5f);
      Tensor acc_gpu = acc.to(Device::cuda(0));
      ops::add_(acc_gpu, g.to(Device::cuda(0)), 0.5f);
      CHECK(acc_gpu.to_vector() == expect.to_vector());
    }
}

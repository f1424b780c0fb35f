// batch_norm's forward fusions on CUDA (residual added in the BN pass, output and incoming gradient as
// channel slices of wider buffers): against the CPU in f32/f16/bf16 with gradients, and bit for bit
// against the separate ops (batch_norm, add, copy) on the device, on the 16-byte paths (C % 8 == 0,
// aligned slices) and the one-element paths (odd C, slices off 16-byte alignment).
#include <doctest/doctest.h>

#include "common/harness.h"
#include "engine/nn_ops.h"

using namespace ye;

namespace {
// Output into channels [at, at + C) of a (N, H, W, C + extra) buffer whose other channels come from
// `tail`; the whole buffer is returned (one aliased concat), so y's gradient arrives strided. The
// residual is channels [at, at + C) of the wider input t[3].
Tensor fused_into_buffer(const std::vector<Tensor>& t, int64_t at, int64_t extra, bool fused, bool silu) {
  const Tensor& x = t[0];
  const int64_t C = x.dim(3);
  Shape wide{x.dim(0), x.dim(1), x.dim(2), C + extra};
  Tensor buf = Tensor::empty(wide, x.dtype(), x.device());
  Tensor r = ops::narrow(t[3], -1, at, C);
  Tensor rm = Tensor::zeros(Shape{C}, DType::f32, x.device()), rv = Tensor::full(Shape{C}, 1.f, DType::f32, x.device());
  const ops::BatchNormArgs args{true, 0.03f, 1e-3f, silu};
  const Tensor w = ops::cast(t[1], DType::f32), b = ops::cast(t[2], DType::f32);  // BN parameters stay f32
  Tensor y;
  if (fused)
    y = ops::batch_norm(x, w, b, rm, rv, args, {r, buf.narrow_view(-1, at, C)});
  else
    y = ops::copy_into(buf.narrow_view(-1, at, C), ops::add(r, ops::batch_norm(x, w, b, rm, rv, args)));
  Tensor head = ops::copy_into(buf.narrow_view(-1, 0, at), ops::narrow(t[4], -1, 0, at));
  Tensor tail = ops::copy_into(buf.narrow_view(-1, at + C, extra - at), ops::narrow(t[4], -1, at, extra - at));
  return ops::concat({head, y, tail}, -1);
}

std::vector<Tensor> inputs(int64_t C, int64_t extra) {
  std::vector<Tensor> in{test::random_uniform(Shape{2, 9, 7, C}, test::fresh_seed(), -2.f, 3.f),
                         test::random_uniform(Shape{C}, test::fresh_seed(), 0.5f, 1.5f),
                         test::random_uniform(Shape{C}, test::fresh_seed(), -0.5f, 0.5f),
                         test::random_uniform(Shape{2, 9, 7, C + extra}, test::fresh_seed()),
                         test::random_uniform(Shape{2, 9, 7, extra}, test::fresh_seed())};
  for (Tensor& t : in) t.set_requires_grad(true);
  return in;
}

struct Case {
  int64_t C, at, extra;
};
}  // namespace

TEST_CASE("fused batch_norm + residual into a channel slice on CUDA matches the CPU with gradients") {
  if (!test::cuda_present()) return;
  for (const Case& k : {Case{32, 16, 48}, Case{64, 0, 32}, Case{12, 3, 9}, Case{16, 8, 8}})
    for (bool silu : {true, false})
      for (DType t : {DType::f32, DType::f16, DType::bf16}) {
        INFO("C ", k.C, " at ", k.at, " ", dtype_name(t), " silu ", silu);
        const double atol = t == DType::f32 ? 1e-4 : t == DType::f16 ? 2e-2 : 8e-2;
        test::compare_cuda_to_cpu(
            [k, silu](const std::vector<Tensor>& in) { return fused_into_buffer(in, k.at, k.extra, true, silu); },
            inputs(k.C, k.extra), t, atol, 2e-2, "bn fusion");
      }
}

TEST_CASE("fused batch_norm + residual on CUDA equals batch_norm, add and copy bit for bit") {
  if (!test::cuda_present()) return;
  for (const Case& k : {Case{32, 16, 48}, Case{12, 3, 9}, Case{128, 64, 64}})
    for (DType t : {DType::f32, DType::f16, DType::bf16}) {
      INFO("C ", k.C, " at ", k.at, " ", dtype_name(t));
      std::vector<Tensor> cpu = inputs(k.C, k.extra);
      std::vector<std::vector<float>> outs[2];
      for (bool fused : {true, false}) {
        std::vector<Tensor> dev;
        for (const Tensor& c : cpu)
          dev.push_back(ops::cast(c.detach(), t).to(Device::cuda(0)).clone().set_requires_grad(true));
        Tensor y = fused_into_buffer(dev, k.at, k.extra, fused, true);
        Tensor w = ops::cast(test::random_uniform(y.shape(), 7), t).to(Device::cuda(0));
        ops::sum(ops::mul(y, w)).backward();
        auto& o = outs[fused ? 0 : 1];
        o.push_back(y.to_vector());
        for (const Tensor& d : dev) o.push_back(d.grad().to_vector());
      }
      REQUIRE(outs[0].size() == outs[1].size());
      for (size_t i = 0; i < outs[0].size(); ++i) CHECK_MESSAGE(outs[0][i] == outs[1][i], "tensor ", i, " differs");
    }
}

// batch_norm op (channels last, optional fused SiLU): training statistics with the running update, or
// eval with the running statistics; backward saves only x and the per-channel mean/invstd and
// recomputes bn(x) (and the SiLU) from them. CPU: kernels/batchnorm.h; CUDA: kernels/cuda/batchnorm_cuda.h.
#include <cmath>

#include "engine/nn_ops.h"
#include "engine/recompute.h"
#include "engine/ops/dispatch.h"
#include "kernels/batchnorm.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/batchnorm_cuda.h"
#endif

namespace ye::ops {
namespace {

void check_param(const Tensor& t, const Tensor& x, int64_t C, const char* what) {
  YE_CHECK(t.defined() && t.dtype() == DType::f32 && t.ndim() == 1 && t.dim(0) == C && t.is_contiguous(),
           "batch_norm: ", what, " must be a contiguous f32 tensor of shape [", C, "]");
  detail::check_same_device(x, t, "batch_norm");
}

kernels::BnParams params(const Tensor& mean, const Tensor& invstd, const Tensor& w, const Tensor& b, bool silu) {
  kernels::BnParams p;
  p.mean = mean.data_as<float>();
  p.invstd = invstd.data_as<float>();
  p.weight = w.data_as<float>();
  p.bias = b.data_as<float>();
  p.silu = silu;
  return p;
}

// y = bn(x) (and SiLU) with the given statistics; also the recipe of a recomputed output.
Tensor normalize(const Tensor& x, const Tensor& mean, const Tensor& invstd, const Tensor& w, const Tensor& b,
                 bool silu) {
  const int64_t C = x.dim(-1), rows = C ? x.numel() / C : 0;
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  kernels::BnParams p = params(mean, invstd, w, b, silu);
  if (x.device().is_cpu()) {
    kernels::cpu::bn_forward(x.data_as<float>(), rows, C, p, y.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::bn_forward(x.dtype(), x.data(), rows, C, p, y.data(), detail::stream(x));
#endif
  }
  return y;
}

// Per-channel mean and invstd (training: batch statistics + running update; eval: from running stats).
void statistics(const Tensor& x, int64_t rows, int64_t C, const Tensor& rm, const Tensor& rv,
                const BatchNormArgs& a, const Tensor& mean, const Tensor& invstd) {
  if (x.device().is_cpu()) {
    float* m = mean.data_as<float>();
    float* is = invstd.data_as<float>();
    float* prm = rm.data_as<float>();
    float* prv = rv.data_as<float>();
    if (!a.training) {
      for (int64_t c = 0; c < C; ++c) {
        m[c] = prm[c];
        is[c] = float(1.0 / std::sqrt(double(prv[c]) + double(a.eps)));
      }
      return;
    }
    std::vector<float> var_unbiased(static_cast<size_t>(C));
    kernels::cpu::bn_stats(x.data_as<float>(), rows, C, a.eps, m, is, var_unbiased.data());
    for (int64_t c = 0; c < C; ++c) {
      prm[c] = (1.0f - a.momentum) * prm[c] + a.momentum * m[c];
      prv[c] = (1.0f - a.momentum) * prv[c] + a.momentum * var_unbiased[size_t(c)];
    }
    return;
  }
#ifdef YE_WITH_CUDA
  cudaStream_t s = detail::stream(x);
  if (!a.training) {
    kernels::cuda::bn_eval_stats(rm.data_as<float>(), rv.data_as<float>(), C, a.eps, mean.data_as<float>(),
                                 invstd.data_as<float>(), s);
    return;
  }
  Tensor partials = Tensor::empty(Shape{int64_t(kernels::cuda::bn_partials_floats(rows, C))}, DType::f32, x.device());
  kernels::cuda::bn_stats(x.dtype(), x.data(), rows, C, a.eps, a.momentum, rm.data_as<float>(), rv.data_as<float>(),
                          mean.data_as<float>(), invstd.data_as<float>(), partials.data_as<float>(), s);
#else
  YE_REQUIRE_CUDA_BUILD(x.device());
#endif
}

std::vector<Tensor> backward(const Tensor& x, const Tensor& gy0, const Tensor& mean, const Tensor& invstd,
                             const Tensor& w, const Tensor& b, bool silu, bool training, bool need_dx) {
  Tensor gy = gy0.dtype() == x.dtype() ? gy0.contiguous() : cast(gy0, x.dtype()).contiguous();
  const int64_t C = x.dim(-1), rows = x.numel() / C;
  Tensor sum_dz = Tensor::empty(Shape{C}, DType::f32, x.device());
  Tensor sum_dzx = Tensor::empty(Shape{C}, DType::f32, x.device());
  Tensor dx = need_dx ? Tensor::empty(x.shape(), x.dtype(), x.device()) : Tensor();
  kernels::BnParams p = params(mean, invstd, w, b, silu);
  if (x.device().is_cpu()) {
    kernels::cpu::bn_backward_reduce(x.data_as<float>(), gy.data_as<float>(), rows, C, p, sum_dz.data_as<float>(),
                                     sum_dzx.data_as<float>());
    if (need_dx)
      kernels::cpu::bn_backward_input(x.data_as<float>(), gy.data_as<float>(), rows, C, p, training,
                                      sum_dz.data_as<float>(), sum_dzx.data_as<float>(), dx.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    cudaStream_t s = detail::stream(x);
    Tensor partials =
        Tensor::empty(Shape{int64_t(kernels::cuda::bn_partials_floats(rows, C))}, DType::f32, x.device());
    kernels::cuda::bn_backward_reduce(x.dtype(), x.data(), gy.data(), rows, C, p, sum_dz.data_as<float>(),
                                      sum_dzx.data_as<float>(), partials.data_as<float>(), s);
    if (need_dx)
      kernels::cuda::bn_backward_input(x.dtype(), x.data(), gy.data(), rows, C, p, training, sum_dz.data_as<float>(),
                                       sum_dzx.data_as<float>(), dx.data(), s);
#endif
  }
  // dL/dweight = sum(dz * xhat), dL/dbias = sum(dz).
  return {dx, sum_dzx, sum_dz};
}
}  // namespace

Tensor batch_norm(const Tensor& x0, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, const BatchNormArgs& args) {
  YE_CHECK(x0.ndim() >= 1 && dtype_is_float(x0.dtype()), "batch_norm: bad input ", x0.shape().str());
  const int64_t C = x0.dim(-1), rows = C ? x0.numel() / C : 0;
  check_param(weight, x0, C, "weight");
  check_param(bias, x0, C, "bias");
  check_param(running_mean, x0, C, "running_mean");
  check_param(running_var, x0, C, "running_var");
  YE_CHECK(!args.training || rows > 1, "batch_norm in training needs more than one value per channel, got input ",
           x0.shape().str());
  Tensor x = x0.contiguous();
  if (x.device().is_cpu()) detail::check_cpu_f32(x, "batch_norm");
  Tensor mean = Tensor::empty(Shape{C}, DType::f32, x.device());
  Tensor invstd = Tensor::empty(Shape{C}, DType::f32, x.device());
  statistics(x, rows, C, running_mean, running_var, args, mean, invstd);
  Tensor y = normalize(x, mean, invstd, weight, bias, args.silu);
  if (any_requires_grad({x0, weight, bias})) {
    Tensor sx = x.detach(), sw = weight.detach(), sb = bias.detach();
    bool silu = args.silu, training = args.training, need_dx = x0.requires_grad();
    record_op(y, args.silu ? "batch_norm_silu" : "batch_norm", {x0, weight, bias},
              [=](const Tensor& g) { return backward(sx, g, mean, invstd, sw, sb, silu, training, need_dx); });
    // x and the statistics stay saved by this node until its backward, which runs after every consumer's.
    attach_recipe(y, [=] { return normalize(sx, mean, invstd, sw, sb, silu); });
  }
  return y;
}

}  // namespace ye::ops

// batch_norm op (channels last, optional fused SiLU and residual add, output into a channel slice):
// training statistics with the running update, or eval with the running statistics; backward saves only
// x and the per-channel mean/invstd and recomputes bn(x) (and the SiLU) from them.
// CPU: kernels/batchnorm.h; CUDA: kernels/cuda/batchnorm_cuda.h.
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

// y = bn(x) (and SiLU, plus the residual r) with the given statistics, into `out` when defined (rows
// may be strided; r's too); also the recipe of a recomputed output (then into a new tensor).
Tensor normalize(const Tensor& x, const Tensor& mean, const Tensor& invstd, const Tensor& w, const Tensor& b,
                 bool silu, const Tensor& r = Tensor(), const Tensor& out = Tensor()) {
  const int64_t C = x.dim(-1), rows = C ? x.numel() / C : 0;
  Tensor y = out.defined() ? out : Tensor::empty(x.shape(), x.dtype(), x.device());
  kernels::BnParams p = params(mean, invstd, w, b, silu);
  p.ld_y = channel_row_stride(y);
  if (r.defined()) {
    p.residual = r.data();
    p.ld_res = channel_row_stride(r);
  }
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

// A tensor whose rows (rows, C) are uniformly strided: t itself, else a contiguous copy.
Tensor row_strided(const Tensor& t) { return channel_row_stride(t) ? t : t.contiguous(); }

std::vector<Tensor> backward(const Tensor& x, const Tensor& gy0, const Tensor& mean, const Tensor& invstd,
                             const Tensor& w, const Tensor& b, bool silu, bool training, bool need_dx) {
  // A channel slice of a wider gradient (concat-free blocks) is read in place.
  Tensor gy = gy0.dtype() == x.dtype() ? row_strided(gy0) : cast(gy0, x.dtype()).contiguous();
  const int64_t C = x.dim(-1), rows = x.numel() / C;
  Tensor sum_dz = Tensor::empty(Shape{C}, DType::f32, x.device());
  Tensor sum_dzx = Tensor::empty(Shape{C}, DType::f32, x.device());
  Tensor dx = need_dx ? Tensor::empty(x.shape(), x.dtype(), x.device()) : Tensor();
  kernels::BnParams p = params(mean, invstd, w, b, silu);
  p.ld_dy = channel_row_stride(gy);
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

int64_t channel_row_stride(const Tensor& t) {
  const int n = t.ndim();
  if (n == 0) return 0;
  const Shape& st = t.strides();
  if (st[n - 1] != 1 && t.dim(n - 1) > 1) return 0;
  if (n == 1) return t.dim(0);
  const int64_t ld = st[n - 2];
  if (ld < t.dim(n - 1)) return 0;
  for (int i = n - 3; i >= 0; --i)
    if (st[i] != st[i + 1] * t.dim(i + 1)) return 0;
  return ld;
}

Tensor batch_norm(const Tensor& x0, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, const BatchNormArgs& args) {
  return batch_norm(x0, weight, bias, running_mean, running_var, args, BatchNormFusion{});
}

Tensor batch_norm(const Tensor& x0, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, const BatchNormArgs& args, const BatchNormFusion& fusion) {
  YE_CHECK(x0.ndim() >= 1 && dtype_is_float(x0.dtype()), "batch_norm: bad input ", x0.shape().str());
  const int64_t C = x0.dim(-1), rows = C ? x0.numel() / C : 0;
  check_param(weight, x0, C, "weight");
  check_param(bias, x0, C, "bias");
  check_param(running_mean, x0, C, "running_mean");
  check_param(running_var, x0, C, "running_var");
  YE_CHECK(!args.training || rows > 1, "batch_norm in training needs more than one value per channel, got input ",
           x0.shape().str());
  for (const Tensor* t : {&fusion.residual, &fusion.out}) {
    if (!t->defined()) continue;
    detail::check_same_device(x0, *t, "batch_norm");
    detail::check_same_dtype(x0, *t, "batch_norm");
    YE_CHECK(t->shape() == x0.shape(), "batch_norm: residual/out ", t->shape().str(), " for input ",
             x0.shape().str());
  }
  YE_CHECK(!fusion.out.defined() || (channel_row_stride(fusion.out) && !fusion.out.requires_grad()),
           "batch_norm: out must be a channel slice without autograd state, got strides ",
           fusion.out.strides().str());
  Tensor x = x0.contiguous();
  if (x.device().is_cpu()) detail::check_cpu_f32(x, "batch_norm");
  Tensor r = fusion.residual.defined() ? row_strided(fusion.residual) : Tensor();
  Tensor mean = Tensor::empty(Shape{C}, DType::f32, x.device());
  Tensor invstd = Tensor::empty(Shape{C}, DType::f32, x.device());
  statistics(x, rows, C, running_mean, running_var, args, mean, invstd);
  Tensor y = normalize(x, mean, invstd, weight, bias, args.silu, r, fusion.out);
  std::vector<Tensor> inputs{x0, weight, bias};
  if (r.defined()) inputs.push_back(fusion.residual);
  if (any_requires_grad(inputs)) {
    Tensor sx = x.detach(), sw = weight.detach(), sb = bias.detach();
    bool silu = args.silu, training = args.training, need_dx = x0.requires_grad(), res = r.defined();
    const char* name =
        silu ? (res ? "batch_norm_silu_add" : "batch_norm_silu") : (res ? "batch_norm_add" : "batch_norm");
    record_op(y, name, inputs, [=](const Tensor& g) {
      std::vector<Tensor> grads = backward(sx, g, mean, invstd, sw, sb, silu, training, need_dx);
      if (res) grads.push_back(g);  // d(y + r)/dr = 1
      return grads;
    });
    // x and the statistics stay saved by this node until its backward, which runs after every consumer's.
    SavedActivation sr = res ? SavedActivation(fusion.residual) : SavedActivation();
    attach_recipe(y, [=] { return normalize(sx, mean, invstd, sw, sb, silu, res ? sr.get() : Tensor()); });
  }
  return y;
}

}  // namespace ye::ops

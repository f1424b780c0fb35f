// SyncBN (see sync_batch_norm.h): statistics from all-reduced shifted sums (kernels/sync_bn.h), then
// the batch-norm forward and backward passes of kernels/batchnorm.h with those statistics; backward
// scales the all-reduced sums by local/global rows so the local input-gradient pass sees the means
// over every rank's rows.
#include "engine/dist/sync_batch_norm.h"

#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#include "kernels/batchnorm.h"
#include "kernels/sync_bn.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/batchnorm_cuda.h"
#include "kernels/cuda/sync_bn_cuda.h"
#endif

namespace ye::dist {
namespace {

kernels::BnParams bn_params(const Tensor& mean, const Tensor& invstd, const Tensor& w, const Tensor& b, bool silu) {
  kernels::BnParams p;
  p.mean = mean.data_as<float>();
  p.invstd = invstd.data_as<float>();
  p.weight = w.data_as<float>();
  p.bias = b.data_as<float>();
  p.silu = silu;
  return p;
}

Tensor f32_on(int64_t n, Device d) { return Tensor::empty(Shape{n}, DType::f32, d); }

// sums (2C+1) of this rank, all-reduced, then mean/invstd and the running update.
Tensor global_statistics(const Tensor& x, int64_t rows, int64_t C, const Tensor& rm, const Tensor& rv,
                         const ops::BatchNormArgs& a, const Tensor& mean, const Tensor& invstd, Communicator& comm) {
  Tensor sums = f32_on(kernels::sync_bn_sums_floats(C), x.device());
  float* prm = rm.data_as<float>();
  if (x.device().is_cpu()) {
    kernels::cpu::sync_bn_local_sums(x.data_as<float>(), rows, C, prm, sums.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    Tensor partials = f32_on(int64_t(kernels::cuda::sync_bn_partials_floats(rows, C)), x.device());
    kernels::cuda::sync_bn_local_sums(x.dtype(), x.data(), rows, C, prm, sums.data_as<float>(),
                                      partials.data_as<float>(), ops::detail::stream(x));
#endif
  }
  comm.all_reduce(sums, ReduceOp::sum);
  if (x.device().is_cpu()) {
    kernels::cpu::sync_bn_finalize(sums.data_as<float>(), C, prm, a.eps, a.momentum, prm, rv.data_as<float>(),
                                   mean.data_as<float>(), invstd.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::sync_bn_finalize(sums.data_as<float>(), C, prm, a.eps, a.momentum, prm, rv.data_as<float>(),
                                    mean.data_as<float>(), invstd.data_as<float>(), ops::detail::stream(x));
#endif
  }
  return sums;
}

struct Saved {
  Tensor x, w, b, mean, invstd, sums;
  bool silu = false, need_dx = false;
};

std::vector<Tensor> backward(const Saved& s, const Tensor& gy0, Communicator& comm) {
  const Tensor& x = s.x;
  Tensor gy = gy0.dtype() == x.dtype() ? gy0.contiguous() : ops::cast(gy0, x.dtype()).contiguous();
  const int64_t C = x.dim(-1), rows = x.numel() / C;
  Tensor local = f32_on(2 * C, x.device());  // [sum dz, sum dz*xhat] of this rank's rows
  float* sum_dz = local.data_as<float>();
  kernels::BnParams p = bn_params(s.mean, s.invstd, s.w, s.b, s.silu);
  const bool cpu = x.device().is_cpu();
  if (cpu) {
    kernels::cpu::bn_backward_reduce(x.data_as<float>(), gy.data_as<float>(), rows, C, p, sum_dz, sum_dz + C);
  } else {
#ifdef YE_WITH_CUDA
    Tensor partials = f32_on(int64_t(kernels::cuda::bn_partials_floats(rows, C)), x.device());
    kernels::cuda::bn_backward_reduce(x.dtype(), x.data(), gy.data(), rows, C, p, sum_dz, sum_dz + C,
                                      partials.data_as<float>(), ops::detail::stream(x));
#endif
  }
  // dL/dweight = sum(dz * xhat), dL/dbias = sum(dz) over this rank's rows (copies: `local` is reduced).
  Tensor dbias = local.narrow_view(0, 0, C).clone(), dweight = local.narrow_view(0, C, C).clone();
  if (!s.need_dx) return {Tensor(), dweight, dbias};
  comm.all_reduce(local, ReduceOp::sum);
  Tensor dx = Tensor::empty(x.shape(), x.dtype(), x.device());
  const float* global_rows = s.sums.data_as<float>() + 2 * C;
  if (cpu) {
    kernels::cpu::sync_bn_scale_by_rows(sum_dz, 2 * C, float(rows), global_rows);
    kernels::cpu::bn_backward_input(x.data_as<float>(), gy.data_as<float>(), rows, C, p, true, sum_dz, sum_dz + C,
                                    dx.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    cudaStream_t st = ops::detail::stream(x);
    kernels::cuda::sync_bn_scale_by_rows(sum_dz, 2 * C, float(rows), global_rows, st);
    kernels::cuda::bn_backward_input(x.dtype(), x.data(), gy.data(), rows, C, p, true, sum_dz, sum_dz + C, dx.data(),
                                     st);
#endif
  }
  return {dx, dweight, dbias};
}
}  // namespace

Tensor sync_batch_norm(const Tensor& x0, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                       const Tensor& running_var, const ops::BatchNormArgs& args, Communicator& comm) {
  if (!args.training) return ops::batch_norm(x0, weight, bias, running_mean, running_var, args);
  YE_CHECK(x0.ndim() >= 1 && dtype_is_float(x0.dtype()), "sync_batch_norm: bad input ", x0.shape().str());
  YE_CHECK(x0.device() == comm.device(), "sync_batch_norm: input on ", x0.device().str(), ", communicator on ",
           comm.device().str());
  const int64_t C = x0.dim(-1), rows = C ? x0.numel() / C : 0;
  for (const Tensor* t : {&weight, &bias, &running_mean, &running_var})
    YE_CHECK(t->defined() && t->dtype() == DType::f32 && t->ndim() == 1 && t->dim(0) == C && t->is_contiguous() &&
                 t->device() == x0.device(),
             "sync_batch_norm: weight, bias and running statistics must be contiguous f32 [", C, "] on ",
             x0.device().str());
  YE_CHECK(rows >= 1, "sync_batch_norm: empty input ", x0.shape().str());
  Tensor x = x0.contiguous();
  if (x.device().is_cpu()) ops::detail::check_cpu_f32(x, "sync_batch_norm");
  Saved s;
  s.mean = f32_on(C, x.device());
  s.invstd = f32_on(C, x.device());
  s.sums = global_statistics(x, rows, C, running_mean, running_var, args, s.mean, s.invstd, comm);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  kernels::BnParams p = bn_params(s.mean, s.invstd, weight, bias, args.silu);
  if (x.device().is_cpu()) {
    kernels::cpu::bn_forward(x.data_as<float>(), rows, C, p, y.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::bn_forward(x.dtype(), x.data(), rows, C, p, y.data(), ops::detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (any_requires_grad({x0, weight, bias})) {
    s.x = x.detach(), s.w = weight.detach(), s.b = bias.detach();
    s.silu = args.silu, s.need_dx = x0.requires_grad();
    Communicator* c = &comm;
    record_op(y, args.silu ? "sync_batch_norm_silu" : "sync_batch_norm", {x0, weight, bias},
              [s, c](const Tensor& g) { return backward(s, g, *c); });
  }
  return y;
}

}  // namespace ye::dist

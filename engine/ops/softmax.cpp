// softmax over a dimension and the DFL expectation (softmax over bins dotted with 0..bins-1), with
// backward. CPU: kernels/softmax.h; CUDA: kernels/cuda/softmax_cuda.h.
#include "engine/nn_ops.h"
#include "engine/ops/dispatch.h"
#include "kernels/softmax.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/softmax_cuda.h"
#endif

namespace ye::ops {
namespace {
Tensor softmax_backward(const Tensor& y, const Tensor& gy0, int64_t outer, int64_t len, int64_t inner) {
  Tensor gy = gy0.contiguous();
  Tensor gx = Tensor::empty(y.shape(), y.dtype(), y.device());
  if (y.device().is_cpu()) {
    kernels::cpu::softmax_backward(y.data_as<float>(), gy.data_as<float>(), outer, len, inner, gx.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::softmax_backward(y.dtype(), y.data(), gy.data(), outer, len, inner, gx.data(), detail::stream(y));
#endif
  }
  return gx;
}
}  // namespace

Tensor softmax(const Tensor& x0, int dim) {
  if (dim < 0) dim += x0.ndim();
  YE_CHECK(dim >= 0 && dim < x0.ndim(), "softmax: dim ", dim, " out of range for ", x0.shape().str());
  Tensor x = x0.contiguous();
  int64_t outer = 1, inner = 1, len = x.dim(dim);
  for (int i = 0; i < dim; ++i) outer *= x.dim(i);
  for (int i = dim + 1; i < x.ndim(); ++i) inner *= x.dim(i);
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "softmax");
    kernels::cpu::softmax_forward(x.data_as<float>(), outer, len, inner, y.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::softmax_forward(x.dtype(), x.data(), outer, len, inner, y.data(), detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (any_requires_grad({x0})) {
    Tensor sy = y.detach();
    record_op(y, "softmax", {x0}, [sy, outer, len, inner](const Tensor& g) -> std::vector<Tensor> {
      return {softmax_backward(sy, g, outer, len, inner)};
    });
  }
  return y;
}

Tensor dfl_expectation(const Tensor& x0, int bins) {
  YE_CHECK(x0.ndim() == 3 && x0.dim(2) == 4 * bins && bins >= 1 && bins <= 64,
           "dfl_expectation: input must be (B, A, 4*bins) with bins <= 64, got ", x0.shape().str(), " for bins=", bins);
  Tensor x = x0.contiguous();
  const int64_t rows = x.numel() / bins;
  Tensor out = Tensor::empty(Shape{x.dim(0), x.dim(1), 4}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "dfl_expectation");
    kernels::cpu::dfl_forward(x.data_as<float>(), rows, bins, out.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::dfl_forward(x.dtype(), x.data(), rows, bins, out.data(), detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (any_requires_grad({x0})) {
    Tensor sx = x.detach();
    record_op(out, "dfl_expectation", {x0}, [sx, rows, bins](const Tensor& g0) -> std::vector<Tensor> {
      Tensor g = g0.contiguous();
      Tensor gx = Tensor::empty(sx.shape(), sx.dtype(), sx.device());
      if (sx.device().is_cpu()) {
        kernels::cpu::dfl_backward(sx.data_as<float>(), g.data_as<float>(), rows, bins, gx.data_as<float>());
      } else {
#ifdef YE_WITH_CUDA
        kernels::cuda::dfl_backward(sx.dtype(), sx.data(), g.data(), rows, bins, gx.data(), detail::stream(sx));
#endif
      }
      return {gx};
    });
  }
  return out;
}

}  // namespace ye::ops

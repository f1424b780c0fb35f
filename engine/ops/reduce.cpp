// Reductions: sum and mean over all elements or one dimension, with backward (broadcast of the grad).
#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/elementwise_cuda.h"
#endif

namespace ye::ops {
namespace {
Tensor sum_forward(const Tensor& x0, int64_t outer, int64_t len, int64_t inner, const Shape& out_shape) {
  Tensor x = x0.contiguous();
  Tensor out = Tensor::empty(out_shape, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "sum");
    kernels::cpu::sum_axis(x.data_as<float>(), out.data_as<float>(), outer, len, inner);
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::sum_axis(x.dtype(), x.data(), out.data(), outer, len, inner, detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  return out;
}

// Gradient of a sum: the output gradient broadcast back over the reduced dimension.
Tensor expand_grad(const Tensor& g, const Shape& keep_shape, const Shape& in_shape) {
  Tensor gk = reshape(g, keep_shape);
  Tensor zeros = Tensor::zeros(in_shape, g.dtype(), g.device());
  return add(zeros, gk);
}
}  // namespace

Tensor sum(const Tensor& x) {
  Tensor out = sum_forward(x, 1, x.numel(), 1, Shape{1});
  if (any_requires_grad({x})) {
    Shape in = x.shape();
    record_op(out, "sum", {x}, [in](const Tensor& g) -> std::vector<Tensor> {
      Shape ones;
      ones.n = in.n;
      for (int i = 0; i < in.n; ++i) ones.d[i] = 1;
      return {expand_grad(g, ones, in)};
    });
  }
  return out;
}

Tensor sum(const Tensor& x, int dim, bool keepdim) {
  if (dim < 0) dim += x.ndim();
  YE_CHECK(dim >= 0 && dim < x.ndim(), "sum over dim ", dim, " of a ", x.ndim(), "-D tensor");
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < dim; ++i) outer *= x.dim(i);
  for (int i = dim + 1; i < x.ndim(); ++i) inner *= x.dim(i);
  Shape keep = x.shape();
  keep.d[dim] = 1;
  Shape out_shape = keep;
  if (!keepdim) {
    out_shape.n = 0;
    for (int i = 0; i < x.ndim(); ++i)
      if (i != dim) out_shape.d[out_shape.n++] = x.dim(i);
    if (out_shape.n == 0) out_shape = Shape{1};
  }
  Tensor out = sum_forward(x, outer, x.dim(dim), inner, out_shape);
  if (any_requires_grad({x})) {
    Shape in = x.shape();
    record_op(out, "sum_dim", {x}, [keep, in](const Tensor& g) -> std::vector<Tensor> {
      return {expand_grad(g, keep, in)};
    });
  }
  return out;
}

Tensor mean(const Tensor& x) { return mul_scalar(sum(x), 1.0f / float(x.numel())); }

Tensor mean(const Tensor& x, int dim, bool keepdim) {
  if (dim < 0) dim += x.ndim();
  return mul_scalar(sum(x, dim, keepdim), 1.0f / float(x.dim(dim)));
}

}  // namespace ye::ops

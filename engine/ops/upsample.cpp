// upsample_nearest2x op on NHWC: forward copies each pixel to a 2x2 block (into a channel slice of a
// concat buffer when asked), backward sums the block (reading a concat gradient's slice in place).
#include "engine/nn_ops.h"
#include "engine/ops/dispatch.h"
#include "engine/recompute.h"
#include "kernels/pool.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/pool_cuda.h"
#endif

namespace ye::ops {
namespace {
// A tensor with rows of pixels `row` elements apart, or a packed copy (row = its channels).
Tensor rows_or_packed(const Tensor& t, int64_t& row) {
  row = channel_row_stride(t);
  if (row > 0) return t;
  row = t.dim(3);
  return t.contiguous();
}
}  // namespace

Tensor upsample_nearest2x(const Tensor& x0, const Tensor& out) {
  YE_CHECK(x0.ndim() == 4, "upsample_nearest2x: input must be NHWC 4-D, got ", x0.shape().str());
  Tensor x = x0.contiguous();
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  const Shape shape{n, 2 * h, 2 * w, c};
  Tensor y = out.defined() ? out : Tensor::empty(shape, x.dtype(), x.device());
  if (out.defined()) {
    detail::check_same_device(x, out, "upsample_nearest2x");
    detail::check_same_dtype(x, out, "upsample_nearest2x");
    YE_CHECK(out.shape() == shape && !out.requires_grad(), "upsample_nearest2x: destination ", out.shape().str(),
             " for ", shape.str(), " (it must carry no autograd state)");
  }
  int64_t row = c;
  Tensor dst = rows_or_packed(y, row);  // a destination that is not rows of pixels gets a packed copy
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "upsample_nearest2x");
    kernels::cpu::upsample_nearest2x_forward(x.data_as<float>(), n, h, w, c, dst.data_as<float>(), row);
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::upsample_nearest2x_forward(x.dtype(), x.data(), n, h, w, c, dst.data(), row, detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (!dst.same_storage(y)) copy_(y, dst);
  if (any_requires_grad({x0})) {
    record_op(y, "upsample_nearest2x", {x0}, [n, h, w, c](const Tensor& gy0) -> std::vector<Tensor> {
      int64_t gy_row = c;
      Tensor gy = gy0.device().is_cpu() ? gy0.contiguous() : rows_or_packed(gy0, gy_row);
      Tensor gx = Tensor::empty(Shape{n, h, w, c}, gy.dtype(), gy.device());
      if (gy.device().is_cpu()) {
        kernels::cpu::upsample_nearest2x_backward(gy.data_as<float>(), n, h, w, c, gx.data_as<float>(), c);
      } else {
#ifdef YE_WITH_CUDA
        kernels::cuda::upsample_nearest2x_backward(gy.dtype(), gy.data(), n, h, w, c, gx.data(), gy_row,
                                                   detail::stream(gy));
#endif
      }
      return {gx};
    });
    if (RecipePtr r = recipe_of(x0)) attach_recipe(y, [r] { return upsample_nearest2x(r->materialize()); });
  }
  return y;
}

}  // namespace ye::ops

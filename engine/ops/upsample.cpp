// upsample_nearest2x op on NHWC: forward copies each pixel to a 2x2 block, backward sums the block.
#include "engine/nn_ops.h"
#include "engine/ops/dispatch.h"
#include "engine/recompute.h"
#include "kernels/pool.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/pool_cuda.h"
#endif

namespace ye::ops {

Tensor upsample_nearest2x(const Tensor& x0) {
  YE_CHECK(x0.ndim() == 4, "upsample_nearest2x: input must be NHWC 4-D, got ", x0.shape().str());
  Tensor x = x0.contiguous();
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  Tensor y = Tensor::empty(Shape{n, 2 * h, 2 * w, c}, x.dtype(), x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "upsample_nearest2x");
    kernels::cpu::upsample_nearest2x_forward(x.data_as<float>(), n, h, w, c, y.data_as<float>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::upsample_nearest2x_forward(x.dtype(), x.data(), n, h, w, c, y.data(), detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (any_requires_grad({x0})) {
    record_op(y, "upsample_nearest2x", {x0}, [n, h, w, c](const Tensor& gy0) -> std::vector<Tensor> {
      Tensor gy = gy0.contiguous();
      Tensor gx = Tensor::empty(Shape{n, h, w, c}, gy.dtype(), gy.device());
      if (gy.device().is_cpu()) {
        kernels::cpu::upsample_nearest2x_backward(gy.data_as<float>(), n, h, w, c, gx.data_as<float>());
      } else {
#ifdef YE_WITH_CUDA
        kernels::cuda::upsample_nearest2x_backward(gy.dtype(), gy.data(), n, h, w, c, gx.data(), detail::stream(gy));
#endif
      }
      return {gx};
    });
    if (RecipePtr r = recipe_of(x0)) attach_recipe(y, [r] { return upsample_nearest2x(r->materialize()); });
  }
  return y;
}

}  // namespace ye::ops

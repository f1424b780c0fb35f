// max_pool2d op on NHWC (argmax kept for the backward, i32 per output element).
#include "engine/nn_ops.h"
#include "engine/ops/dispatch.h"
#include "kernels/pool.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/pool_cuda.h"
#endif

namespace ye::ops {

Tensor max_pool2d(const Tensor& x0, int kernel, int stride, int pad) {
  YE_CHECK(x0.ndim() == 4, "max_pool2d: input must be NHWC 4-D, got ", x0.shape().str());
  YE_CHECK(kernel >= 1 && stride >= 1 && pad >= 0 && 2 * pad <= kernel, "max_pool2d: bad kernel/stride/pad ",
           kernel, "/", stride, "/", pad);
  kernels::PoolGeom g;
  g.n = x0.dim(0), g.h = x0.dim(1), g.w = x0.dim(2), g.c = x0.dim(3);
  g.kernel = kernel, g.stride = stride, g.pad = pad;
  YE_CHECK(g.ho() >= 1 && g.wo() >= 1, "max_pool2d: window larger than input ", x0.shape().str());
  Tensor x = x0.contiguous();
  Shape out_shape{g.n, g.ho(), g.wo(), g.c};
  Tensor y = Tensor::empty(out_shape, x.dtype(), x.device());
  Tensor argmax = Tensor::empty(out_shape, DType::i32, x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "max_pool2d");
    kernels::cpu::max_pool2d_forward(g, x.data_as<float>(), y.data_as<float>(), argmax.data_as<int32_t>());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::max_pool2d_forward(x.dtype(), g, x.data(), y.data(), argmax.data_as<int32_t>(), detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (any_requires_grad({x0})) {
    Shape in_shape = x.shape();
    record_op(y, "max_pool2d", {x0}, [g, argmax, in_shape](const Tensor& gy0) -> std::vector<Tensor> {
      Tensor gy = gy0.contiguous();
      Tensor gx = Tensor::empty(in_shape, gy.dtype(), gy.device());
      if (gy.device().is_cpu()) {
        kernels::cpu::max_pool2d_backward(g, gy.data_as<float>(), argmax.data_as<int32_t>(), gx.data_as<float>());
      } else {
#ifdef YE_WITH_CUDA
        kernels::cuda::max_pool2d_backward(gy.dtype(), g, gy.data(), argmax.data_as<int32_t>(), gx.data(),
                                           detail::stream(gy));
#endif
      }
      return {gx};
    });
  }
  return y;
}

}  // namespace ye::ops

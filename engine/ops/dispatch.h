// Internal helpers shared by the op implementations: device checks, the compute stream of a device,
// broadcasting layouts, and a macro that runs a CPU or CUDA branch depending on the tensor's device.
#pragma once
#include "kernels/error.h"
#include "engine/tensor.h"
#include "kernels/elementwise.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#endif

namespace ye::ops::detail {

inline void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  YE_CHECK(a.device() == b.device(), op, ": tensors on different devices (", a.device().str(), " and ",
           b.device().str(), ")");
}

inline void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  YE_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ (", dtype_name(a.dtype()), " and ", dtype_name(b.dtype()),
           ")");
}

inline void check_cpu_f32(const Tensor& t, const char* op) {
  YE_CHECK(t.dtype() == DType::f32, op, " on the CPU supports f32 only, got ", dtype_name(t.dtype()));
}

Shape broadcast_shapes(const Shape& a, const Shape& b);
// Layout for out[i] = a[..] op b[..] with out of shape `out` (contiguous a, b).
kernels::Strided5 broadcast_layout(const Shape& out, const Shape& a, const Shape& b);
// Layout that copies src (any strides) into dst (any strides) of the same shape.
kernels::Strided5 copy_layout(const Tensor& src, const Tensor& dst);

#ifdef YE_WITH_CUDA
inline cudaStream_t stream(const Tensor& t) {
  cuda::set_device(t.device().index);
  return cuda::context(t.device().index).stream;
}
#endif

}  // namespace ye::ops::detail

#define YE_REQUIRE_CUDA_BUILD(dev) YE_FAIL("device ", (dev).str(), " requested but the engine was built without CUDA")

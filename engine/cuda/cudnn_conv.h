// cuDNN convolution on NHWC tensors with KRSC filters (ours: (O, kh, kw, C/groups)): forward, backward
// data and backward filter. Each (shape, dtype, math mode) gets descriptors and, per direction, the
// algorithm chosen once by cuDNN's measured search (cudnnFind*AlgorithmEx), cached in a per-device
// ConvPlanCache; a pointwise direction may run as a cuBLAS GEMM instead, when that timed faster (or
// YE_CONV_GEMM=1/0 says). f16/bf16 on tensor cores with f32 accumulation, f32 with TF32 only when allowed;
// inputs that are channel slices of wider rows go in as strided descriptors (no packing copy).
#pragma once
#include <cstdint>

#include "engine/cuda/context.h"
#include "kernels/conv.h"
#include "kernels/dtype.h"

namespace ye::cuda {

// Row strides (elements from one pixel to the next) of the operands read: x (forward, backward filter)
// and dy (backward data, backward filter) may be channel slices of wider NHWC rows; 0: packed. Outputs
// are packed and overwritten (beta = 0). Pointers are device memory of dtype `dtype`.
struct ConvRows {
  int64_t x = 0, dy = 0;
};

// Each returns false, running nothing, when no algorithm takes the strided operands (the caller packs
// them and calls again); packed operands always run.
bool cudnn_conv_forward(DeviceContext& ctx, const kernels::ConvGeom& g, DType dtype, const void* x, const void* w,
                        void* y, ConvRows rows = {});
bool cudnn_conv_backward_data(DeviceContext& ctx, const kernels::ConvGeom& g, DType dtype, const void* gy,
                              const void* w, void* gx, ConvRows rows = {});
bool cudnn_conv_backward_filter(DeviceContext& ctx, const kernels::ConvGeom& g, DType dtype, const void* x,
                                const void* gy, void* gw, ConvRows rows = {});

// Number of plans (distinct conv shapes) cached on a device; for tests and benchmarks.
size_t cudnn_conv_plan_count(int device);

}  // namespace ye::cuda

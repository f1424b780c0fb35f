// CUDA twins of kernels/pool.h (f32, f16, bf16): NHWC max pooling with argmax, its deterministic
// gather-style backward, and nearest x2 upsampling forward/backward.
#pragma once
#include <cuda_runtime.h>

#include "kernels/dtype.h"
#include "kernels/pool.h"

namespace ye::kernels::cuda {
void max_pool2d_forward(DType t, const PoolGeom& g, const void* x, void* y, int32_t* argmax, cudaStream_t s);
void max_pool2d_backward(DType t, const PoolGeom& g, const void* gy, const int32_t* argmax, void* gx, cudaStream_t s);
// `row`: the pixel stride of y (forward) and gy (backward), c when packed (a channel slice of a concat).
void upsample_nearest2x_forward(DType t, const void* x, int64_t n, int64_t h, int64_t w, int64_t c, void* y,
                                int64_t row, cudaStream_t s);
void upsample_nearest2x_backward(DType t, const void* gy, int64_t n, int64_t h, int64_t w, int64_t c, void* gx,
                                 int64_t row, cudaStream_t s);
}  // namespace ye::kernels::cuda

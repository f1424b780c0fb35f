// CUDA twins of kernels/softmax.h: softmax over the middle axis of (outer, len, inner) and the DFL
// expectation, forward and backward, for f32/f16/bf16 (maths in f32).
#pragma once
#include <cuda_runtime.h>

#include "kernels/dtype.h"

namespace ye::kernels::cuda {
void softmax_forward(DType t, const void* x, int64_t outer, int64_t len, int64_t inner, void* y, cudaStream_t s);
void softmax_backward(DType t, const void* y, const void* gy, int64_t outer, int64_t len, int64_t inner, void* gx,
                      cudaStream_t s);
void dfl_forward(DType t, const void* x, int64_t rows, int64_t bins, void* out, cudaStream_t s);
void dfl_backward(DType t, const void* x, const void* gout, int64_t rows, int64_t bins, void* gx, cudaStream_t s);
}  // namespace ye::kernels::cuda

// Raw softmax over the middle axis of a contiguous (outer, len, inner) view, its backward
// (gx = y * (gy - sum(gy * y))), and the DFL expectation over rows of `bins` logits
// (out = sum_i i * softmax_i) with its backward (gx_i = gout * p_i * (i - out)). CPU f32 here; CUDA
// twins (f32/f16/bf16, maths in f32) in kernels/cuda/softmax_cuda.h.
#pragma once
#include <cstdint>

namespace ye::kernels::cpu {
void softmax_forward(const float* x, int64_t outer, int64_t len, int64_t inner, float* y);
void softmax_backward(const float* y, const float* gy, int64_t outer, int64_t len, int64_t inner, float* gx);
void dfl_forward(const float* x, int64_t rows, int64_t bins, float* out);
void dfl_backward(const float* x, const float* gout, int64_t rows, int64_t bins, float* gx);
}  // namespace ye::kernels::cpu

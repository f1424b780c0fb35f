// CUDA twins of kernels/batchnorm.h on channels-last (rows, C) data of dtype f32/f16/bf16 (statistics,
// affine parameters and partial sums f32). The reductions write per-row-block partials into `partials`
// (bn_partials_floats() floats of device memory, contents on entry irrelevant) and combine them in a
// second small kernel in a fixed order: same inputs, same card -> bitwise the same outputs, no host
// synchronisation, no allocation, capturable in a CUDA graph.
#pragma once
#include <cuda_runtime.h>

#include "kernels/batchnorm.h"
#include "kernels/dtype.h"

namespace ye::kernels::cuda {

size_t bn_partials_floats(int64_t rows, int64_t C);

// Training statistics: mean/invstd (C) from the batch (shifted sums, biased variance), and the running
// update running = (1-momentum)*running + momentum*batch with the unbiased variance (rows > 1).
void bn_stats(DType t, const void* x, int64_t rows, int64_t C, float eps, float momentum, float* running_mean,
              float* running_var, float* mean, float* invstd, float* partials, cudaStream_t s);
// Eval: mean = running_mean, invstd = 1/sqrt(running_var + eps).
void bn_eval_stats(const float* running_mean, const float* running_var, int64_t C, float eps, float* mean,
                   float* invstd, cudaStream_t s);
void bn_forward(DType t, const void* x, int64_t rows, int64_t C, const BnParams& p, void* y, cudaStream_t s);
void bn_backward_reduce(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                        float* sum_dz, float* sum_dz_xhat, float* partials, cudaStream_t s);
void bn_backward_input(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                       bool training, const float* sum_dz, const float* sum_dz_xhat, void* dx, cudaStream_t s);

}  // namespace ye::kernels::cuda

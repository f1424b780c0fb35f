// CUDA twins of kernels/sync_bn.h (SyncBN sums, statistics from the reduced sums, backward scale) on
// channels-last (rows, C) data of dtype f32/f16/bf16; sums and statistics f32. The local sums reduce
// per-block partials (sync_bn_partials_floats() floats of device memory) in a second kernel.
#pragma once
#include <cuda_runtime.h>

#include "kernels/dtype.h"
#include "kernels/sync_bn.h"

namespace ye::kernels::cuda {

size_t sync_bn_partials_floats(int64_t rows, int64_t C);
void sync_bn_local_sums(DType t, const void* x, int64_t rows, int64_t C, const float* shift, float* sums,
                        float* partials, cudaStream_t s);
void sync_bn_finalize(const float* sums, int64_t C, const float* shift, float eps, float momentum,
                      float* running_mean, float* running_var, float* mean, float* invstd, cudaStream_t s);
void sync_bn_scale_by_rows(float* v, int64_t n, float local_rows, const float* global_rows, cudaStream_t s);

}  // namespace ye::kernels::cuda

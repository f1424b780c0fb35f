// Batch-norm passes of batchnorm_vec.cu, used by batchnorm.cu. The elementwise passes need bn_vec_ok:
// channels a multiple of V = 16 / dtype size, at most 256 * V, pointers 16-byte aligned. The partial
// reductions take any C (16-byte accesses when C % V == 0 and the pointers are aligned, else one channel
// per thread), write the partial layout of batchnorm_math.cuh and return its number of row blocks
// (at most bn_vec_row_blocks_max(rows)). BnParams arrive with their row strides resolved (bn_resolved).
#pragma once
#include <cuda_runtime.h>

#include "kernels/batchnorm.h"
#include "kernels/dtype.h"

namespace ye::kernels::cuda {

bool bn_vec_ok(DType t, int64_t C, const void* a, const void* b = nullptr, const void* c = nullptr);
// Row strides (elements) that keep every row of a 16-byte-aligned tensor aligned: multiples of V.
bool bn_vec_strides_ok(DType t, int64_t ld1, int64_t ld2 = 0);
int64_t bn_vec_row_blocks_max(int64_t rows);  // at most this many row blocks of partials
int64_t bn_stats_partial_vec(DType t, const void* x, int64_t rows, int64_t C, float* partials, cudaStream_t s);
int64_t bn_backward_partial_vec(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                                float* partials, cudaStream_t s);
void bn_forward_vec(DType t, const void* x, int64_t rows, int64_t C, const BnParams& p, void* y, cudaStream_t s);
void bn_backward_input_vec(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                           bool training, const float* sum_dz, const float* sum_dz_xhat, void* dx, cudaStream_t s);

}  // namespace ye::kernels::cuda

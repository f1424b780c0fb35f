// Row-major (batched) GEMM on cuBLAS: C[b] = alpha * op(A[b]) * op(B[b]) + beta * C[b], f32/f16/bf16
// operands with f32 accumulation; f32 uses TF32 tensor cores only when the context allows it.
#pragma once
#include <cstdint>

#include "engine/cuda/context.h"
#include "kernels/dtype.h"

namespace ye::cuda {

// lda / ldb: the row strides of A and B as stored (0: packed).
void gemm_row_major(DeviceContext& ctx, DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const void* a, int64_t stride_a, const void* b, int64_t stride_b, float beta,
                    void* c, int64_t stride_c, int64_t batch, int64_t lda = 0, int64_t ldb = 0);

}  // namespace ye::cuda

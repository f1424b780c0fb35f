// cuBLAS GEMM wrapper (see gemm.h): row-major maths mapped onto column-major cuBLAS by computing C^T.
#include "engine/cuda/gemm.h"

#include "kernels/cuda/cuda_check.h"

namespace ye::cuda {

void gemm_row_major(DeviceContext& ctx, DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                    float alpha, const void* a, int64_t stride_a, const void* b, int64_t stride_b, float beta,
                    void* c, int64_t stride_c, int64_t batch, int64_t lda, int64_t ldb) {
  cudaDataType_t type = dtype == DType::f32 ? CUDA_R_32F : dtype == DType::f16 ? CUDA_R_16F : CUDA_R_16BF;
  YE_CHECK(dtype_is_float(dtype), "matmul supports f32, f16 and bf16, got ", dtype_name(dtype));
  cublasComputeType_t compute =
      (dtype == DType::f32 && ctx.allow_tf32) ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  if (lda == 0) lda = trans_a ? m : k;
  if (ldb == 0) ldb = trans_b ? k : n;
  YE_CUBLAS_CHECK(cublasGemmStridedBatchedEx(ctx.cublas, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                                             trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, int(n), int(m), int(k), &alpha, b,
                                             type, int(ldb), stride_b, a, type, int(lda), stride_a, &beta, c, type,
                                             int(n), stride_c, int(batch), compute, CUBLAS_GEMM_DEFAULT));
}

}  // namespace ye::cuda

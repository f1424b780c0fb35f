// Measures the GPU ceilings of bench/common/cuda/gpu_ceilings.h on device 0: the best of several
// repetitions, each timed with CUDA events, after a warm-up; inputs are non-zero random values.
#include "bench/common/cuda/gpu_ceilings.h"

#include <cublasLt.h>
#include <cuda_runtime.h>

#include <algorithm>

#include "bench/common/cuda/gpu_loop.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/elementwise_cuda.h"

namespace ye::bench {
namespace {

// Best time in seconds of `reps` runs of `body` on `stream` after one warm-up run.
template <class F>
double best_seconds(cudaStream_t stream, int reps, F&& body) {
  cudaEvent_t a, b;
  YE_CUDA_CHECK(cudaEventCreate(&a));
  YE_CUDA_CHECK(cudaEventCreate(&b));
  body();
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    YE_CUDA_CHECK(cudaEventRecord(a, stream));
    body();
    YE_CUDA_CHECK(cudaEventRecord(b, stream));
    YE_CUDA_CHECK(cudaEventSynchronize(b));
    float ms = 0;
    YE_CUDA_CHECK(cudaEventElapsedTime(&ms, a, b));
    best = std::min(best, double(ms) / 1e3);
  }
  YE_CUDA_CHECK(cudaEventDestroy(a));
  YE_CUDA_CHECK(cudaEventDestroy(b));
  return best;
}

// One square GEMM D = A * B through cuBLASLt with the given operand type and compute type.
double gemm_tflops(cublasLtHandle_t lt, cudaStream_t stream, DType dt, cublasComputeType_t compute) {
  const int64_t n = 8192;
  const cudaDataType_t type = dt == DType::f16 ? CUDA_R_16F : CUDA_R_32F;
  DeviceBuffer a(size_t(n) * n * dtype_size(dt)), b(a.bytes()), d(a.bytes());
  kernels::cuda::uniform(a.get(), dt, n * n, 0.1f, 1.f, 11, 0, stream);
  kernels::cuda::uniform(b.get(), dt, n * n, -1.f, -0.1f, 12, 0, stream);
  cublasLtMatmulDesc_t op;
  cublasLtMatrixLayout_t layout;
  YE_CUBLAS_CHECK(cublasLtMatmulDescCreate(&op, compute, CUDA_R_32F));
  YE_CUBLAS_CHECK(cublasLtMatrixLayoutCreate(&layout, type, n, n, n));
  cublasLtMatmulPreference_t pref;
  YE_CUBLAS_CHECK(cublasLtMatmulPreferenceCreate(&pref));
  const size_t ws_bytes = size_t(64) << 20;
  DeviceBuffer ws(ws_bytes);
  YE_CUBLAS_CHECK(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes,
                                                       sizeof(ws_bytes)));
  cublasLtMatmulHeuristicResult_t heur{};
  int found = 0;
  YE_CUBLAS_CHECK(
      cublasLtMatmulAlgoGetHeuristic(lt, op, layout, layout, layout, layout, pref, 1, &heur, &found));
  YE_CHECK(found > 0, "cuBLASLt has no GEMM algorithm for the ", dtype_name(dt), " ceiling");
  const float one = 1.f, zero = 0.f;
  const double s = best_seconds(stream, 5, [&] {
    YE_CUBLAS_CHECK(cublasLtMatmul(lt, op, &one, a.get(), layout, b.get(), layout, &zero, d.get(), layout, d.get(),
                                   layout, &heur.algo, ws.get(), ws_bytes, stream));
  });
  cublasLtMatmulPreferenceDestroy(pref);
  cublasLtMatrixLayoutDestroy(layout);
  cublasLtMatmulDescDestroy(op);
  return 2.0 * double(n) * n * n / s / 1e12;
}

}  // namespace

void measure_gpu_ceilings(Ceilings& c) {
  YE_CUDA_CHECK(cudaSetDevice(0));
  cudaDeviceProp prop{};
  YE_CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  c.gpu_name = prop.name;
  c.gpu_l2_bytes = double(prop.l2CacheSize);
  cudaStream_t stream;
  YE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  const size_t bytes = size_t(1) << 30;
  {
    DeviceBuffer src(bytes), dst(bytes);
    kernels::cuda::uniform(src.get(), DType::f32, int64_t(bytes / 4), 0.5f, 1.f, 10, 0, stream);
    const double s = best_seconds(stream, 10, [&] {
      YE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, stream));
    });
    c.gpu_copy_gbs = 2.0 * double(bytes) / s / 1e9;
  }
  cublasLtHandle_t lt;
  YE_CUBLAS_CHECK(cublasLtCreate(&lt));
  c.gpu_f16_tflops = gemm_tflops(lt, stream, DType::f16, CUBLAS_COMPUTE_32F);
  c.gpu_f32_tflops = gemm_tflops(lt, stream, DType::f32, CUBLAS_COMPUTE_32F);
  c.gpu_tf32_tflops = gemm_tflops(lt, stream, DType::f32, CUBLAS_COMPUTE_32F_FAST_TF32);
  cublasLtDestroy(lt);
  YE_CUDA_CHECK(cudaStreamDestroy(stream));
}

}  // namespace ye::bench

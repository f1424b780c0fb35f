// Checking macros for every CUDA runtime, cuBLAS, cuDNN and NCCL call: a failure throws ye::Error
// naming the call, the library's error string, and the file and line. Include only from CUDA code.
#pragma once
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "kernels/error.h"

namespace ye::detail {
const char* cublas_status_name(cublasStatus_t s);
}

#define YE_CUDA_CHECK(call)                                                                     \
  do {                                                                                          \
    cudaError_t ye_err_ = (call);                                                               \
    if (ye_err_ != cudaSuccess) ::ye::detail::fail(__FILE__, __LINE__, "CUDA call ", #call,     \
                                                   " failed: ", cudaGetErrorString(ye_err_));   \
  } while (0)
#define YE_CUBLAS_CHECK(call)                                                                   \
  do {                                                                                          \
    cublasStatus_t ye_st_ = (call);                                                             \
    if (ye_st_ != CUBLAS_STATUS_SUCCESS)                                                        \
      ::ye::detail::fail(__FILE__, __LINE__, "cuBLAS call ", #call, " failed: ",                \
                         ::ye::detail::cublas_status_name(ye_st_));                             \
  } while (0)
#define YE_CUDNN_CHECK(call)                                                                    \
  do {                                                                                          \
    cudnnStatus_t ye_st_ = (call);                                                              \
    if (ye_st_ != CUDNN_STATUS_SUCCESS)                                                         \
      ::ye::detail::fail(__FILE__, __LINE__, "cuDNN call ", #call, " failed: ",                 \
                         cudnnGetErrorString(ye_st_));                                          \
  } while (0)
#define YE_NCCL_CHECK(call)                                                                     \
  do {                                                                                          \
    auto ye_st_ = (call);                                                                       \
    if (ye_st_ != 0) ::ye::detail::fail(__FILE__, __LINE__, "NCCL call ", #call, " failed: ",   \
                                        ncclGetErrorString(ye_st_));                            \
  } while (0)
// After a kernel launch: reports launch-configuration errors at the launch site.
#define YE_CUDA_LAUNCH_CHECK() YE_CUDA_CHECK(cudaGetLastError())

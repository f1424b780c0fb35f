// Device-side helpers for the engine's dtypes: load any float dtype as f32, store f32 as any dtype,
// and a dispatch macro that instantiates a kernel body for f32, f16 and bf16.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "kernels/dtype.h"

namespace ye::kernels::cuda {

template <typename T>
__device__ __forceinline__ float to_f32(T v);
template <>
__device__ __forceinline__ float to_f32<float>(float v) { return v; }
template <>
__device__ __forceinline__ float to_f32<__half>(__half v) { return __half2float(v); }
template <>
__device__ __forceinline__ float to_f32<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <>
__device__ __forceinline__ float to_f32<int32_t>(int32_t v) { return float(v); }
template <>
__device__ __forceinline__ float to_f32<uint8_t>(uint8_t v) { return float(v); }

template <typename T>
__device__ __forceinline__ T from_f32(float v);
template <>
__device__ __forceinline__ float from_f32<float>(float v) { return v; }
template <>
__device__ __forceinline__ __half from_f32<__half>(float v) { return __float2half_rn(v); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ int32_t from_f32<int32_t>(float v) { return int32_t(v); }
template <>
__device__ __forceinline__ uint8_t from_f32<uint8_t>(float v) { return uint8_t(fminf(fmaxf(rintf(v), 0.f), 255.f)); }

inline unsigned grid_for(int64_t n, int block = 256) {
  int64_t g = (n + block - 1) / block;
  return unsigned(g < 65535 * 32 ? (g < 1 ? 1 : g) : 65535 * 32);
}

}  // namespace ye::kernels::cuda

// YE_DISPATCH_FLOAT(dtype, T, body): runs body with T = float, __half or __nv_bfloat16.
#define YE_DISPATCH_FLOAT(dt, T, ...)                                  \
  switch (dt) {                                                        \
    case ::ye::DType::f32: { using T = float; __VA_ARGS__; break; }    \
    case ::ye::DType::f16: { using T = __half; __VA_ARGS__; break; }   \
    case ::ye::DType::bf16: { using T = __nv_bfloat16; __VA_ARGS__; break; } \
    default: throw std::runtime_error("unsupported dtype for this CUDA kernel"); \
  }
#define YE_DISPATCH_ALL(dt, T, ...)                                    \
  switch (dt) {                                                        \
    case ::ye::DType::f32: { using T = float; __VA_ARGS__; break; }    \
    case ::ye::DType::f16: { using T = __half; __VA_ARGS__; break; }   \
    case ::ye::DType::bf16: { using T = __nv_bfloat16; __VA_ARGS__; break; } \
    case ::ye::DType::i32: { using T = int32_t; __VA_ARGS__; break; }  \
    case ::ye::DType::u8: { using T = uint8_t; __VA_ARGS__; break; }   \
  }

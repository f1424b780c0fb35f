// CUDA softmax (a warp per row when the axis is innermost, else a thread per column) and the DFL
// expectation (a thread per row of `bins` logits), forward and backward, maths in f32.
#include <stdexcept>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dtype_cuda.cuh"
#include "kernels/cuda/softmax_cuda.h"

namespace ye::kernels::cuda {
namespace {

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}
__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

constexpr int kWarpsPerBlock = 8;

template <typename T>
__global__ void softmax_rows_kernel(const T* __restrict__ x, int64_t rows, int64_t len, T* __restrict__ y) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; r < rows;
       r += int64_t(gridDim.x) * kWarpsPerBlock) {
    const T* xr = x + r * len;
    T* yr = y + r * len;
    float m = -INFINITY;
    for (int64_t k = lane; k < len; k += 32) m = fmaxf(m, to_f32(xr[k]));
    m = warp_max(m);
    float s = 0.f;
    for (int64_t k = lane; k < len; k += 32) s += __expf(to_f32(xr[k]) - m);
    s = warp_sum(s);
    float inv = 1.0f / s;
    for (int64_t k = lane; k < len; k += 32) yr[k] = from_f32<T>(__expf(to_f32(xr[k]) - m) * inv);
  }
}

template <typename T>
__global__ void softmax_rows_backward_kernel(const T* __restrict__ y, const T* __restrict__ gy, int64_t rows,
                                             int64_t len, T* __restrict__ gx) {
  const int lane = threadIdx.x & 31;
  for (int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; r < rows;
       r += int64_t(gridDim.x) * kWarpsPerBlock) {
    const int64_t base = r * len;
    float dot = 0.f;
    for (int64_t k = lane; k < len; k += 32) dot += to_f32(y[base + k]) * to_f32(gy[base + k]);
    dot = warp_sum(dot);
    for (int64_t k = lane; k < len; k += 32)
      gx[base + k] = from_f32<T>(to_f32(y[base + k]) * (to_f32(gy[base + k]) - dot));
  }
}

template <typename T>
__global__ void softmax_cols_kernel(const T* __restrict__ x, int64_t outer, int64_t len, int64_t inner,
                                    T* __restrict__ y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < outer * inner;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (i / inner) * len * inner + i % inner;
    float m = -INFINITY;
    for (int64_t k = 0; k < len; ++k) m = fmaxf(m, to_f32(x[base + k * inner]));
    float s = 0.f;
    for (int64_t k = 0; k < len; ++k) s += __expf(to_f32(x[base + k * inner]) - m);
    float inv = 1.0f / s;
    for (int64_t k = 0; k < len; ++k) y[base + k * inner] = from_f32<T>(__expf(to_f32(x[base + k * inner]) - m) * inv);
  }
}

template <typename T>
__global__ void softmax_cols_backward_kernel(const T* __restrict__ y, const T* __restrict__ gy, int64_t outer,
                                             int64_t len, int64_t inner, T* __restrict__ gx) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < outer * inner;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t base = (i / inner) * len * inner + i % inner;
    float dot = 0.f;
    for (int64_t k = 0; k < len; ++k) dot += to_f32(y[base + k * inner]) * to_f32(gy[base + k * inner]);
    for (int64_t k = 0; k < len; ++k) {
      int64_t j = base + k * inner;
      gx[j] = from_f32<T>(to_f32(y[j]) * (to_f32(gy[j]) - dot));
    }
  }
}

constexpr int kMaxBins = 64;

template <typename T>
__device__ float dfl_row(const T* x, int64_t bins, float* p) {
  float m = to_f32(x[0]);
  for (int64_t k = 1; k < bins; ++k) m = fmaxf(m, to_f32(x[k]));
  float s = 0.f;
  for (int64_t k = 0; k < bins; ++k) {
    p[k] = __expf(to_f32(x[k]) - m);
    s += p[k];
  }
  float inv = 1.0f / s, e = 0.f;
  for (int64_t k = 0; k < bins; ++k) {
    p[k] *= inv;
    e += float(k) * p[k];
  }
  return e;
}

template <typename T>
__global__ void dfl_forward_kernel(const T* __restrict__ x, int64_t rows, int64_t bins, T* __restrict__ out) {
  float p[kMaxBins];
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += int64_t(gridDim.x) * blockDim.x)
    out[r] = from_f32<T>(dfl_row(x + r * bins, bins, p));
}

template <typename T>
__global__ void dfl_backward_kernel(const T* __restrict__ x, const T* __restrict__ gout, int64_t rows, int64_t bins,
                                    T* __restrict__ gx) {
  float p[kMaxBins];
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += int64_t(gridDim.x) * blockDim.x) {
    float e = dfl_row(x + r * bins, bins, p);
    float g = to_f32(gout[r]);
    for (int64_t k = 0; k < bins; ++k) gx[r * bins + k] = from_f32<T>(g * p[k] * (float(k) - e));
  }
}
}  // namespace

void softmax_forward(DType t, const void* x, int64_t outer, int64_t len, int64_t inner, void* y, cudaStream_t s) {
  if (inner == 1) {
    YE_DISPATCH_FLOAT(t, T, softmax_rows_kernel<T><<<grid_for(outer, kWarpsPerBlock), 32 * kWarpsPerBlock, 0, s>>>(
                                static_cast<const T*>(x), outer, len, static_cast<T*>(y)));
  } else {
    YE_DISPATCH_FLOAT(t, T, softmax_cols_kernel<T><<<grid_for(outer * inner), 256, 0, s>>>(
                                static_cast<const T*>(x), outer, len, inner, static_cast<T*>(y)));
  }
  YE_CUDA_LAUNCH_CHECK();
}

void softmax_backward(DType t, const void* y, const void* gy, int64_t outer, int64_t len, int64_t inner, void* gx,
                      cudaStream_t s) {
  if (inner == 1) {
    YE_DISPATCH_FLOAT(t, T, softmax_rows_backward_kernel<T><<<grid_for(outer, kWarpsPerBlock), 32 * kWarpsPerBlock, 0, s>>>(
                                static_cast<const T*>(y), static_cast<const T*>(gy), outer, len, static_cast<T*>(gx)));
  } else {
    YE_DISPATCH_FLOAT(t, T, softmax_cols_backward_kernel<T><<<grid_for(outer * inner), 256, 0, s>>>(
                                static_cast<const T*>(y), static_cast<const T*>(gy), outer, len, inner,
                                static_cast<T*>(gx)));
  }
  YE_CUDA_LAUNCH_CHECK();
}

void dfl_forward(DType t, const void* x, int64_t rows, int64_t bins, void* out, cudaStream_t s) {
  if (bins > kMaxBins) throw std::runtime_error("dfl_forward: at most 64 bins");
  YE_DISPATCH_FLOAT(t, T, dfl_forward_kernel<T><<<grid_for(rows, 128), 128, 0, s>>>(static_cast<const T*>(x), rows,
                                                                                      bins, static_cast<T*>(out)));
  YE_CUDA_LAUNCH_CHECK();
}

void dfl_backward(DType t, const void* x, const void* gout, int64_t rows, int64_t bins, void* gx, cudaStream_t s) {
  if (bins > kMaxBins) throw std::runtime_error("dfl_backward: at most 64 bins");
  YE_DISPATCH_FLOAT(t, T, dfl_backward_kernel<T><<<grid_for(rows, 128), 128, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(gout), rows, bins, static_cast<T*>(gx)));
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

// Device helpers shared by the batch-norm kernels (batchnorm.cu, batchnorm_vec.cu): SiLU and its
// gradient, Chan's Welford merge, 16-byte loads and stores, alignment.
#pragma once
#include <cstdint>

namespace ye::kernels::cuda::bn {

__device__ __forceinline__ float sigmoidf_dev(float z) { return __fdividef(1.0f, 1.0f + __expf(-z)); }

__device__ __forceinline__ float grad_z(float dy, float z, bool silu) {
  if (!silu) return dy;
  float s = sigmoidf_dev(z);
  return dy * s * (1.0f + z * (1.0f - s));
}

// Chan's combination of two Welford states (n, mean, m2).
__device__ __forceinline__ void welford_merge(float& n, float& mean, float& m2, float nb, float meanb, float m2b) {
  float nt = n + nb;
  if (nt == 0.f) return;
  float d = meanb - mean;
  float f = nb / nt;
  mean += d * f;
  m2 += m2b + d * d * n * f;
  n = nt;
}

// Rows each thread of the vectorised kernels loads before computing (memory-level parallelism).
constexpr int kUnroll = 4;

template <typename T>
__device__ __forceinline__ void load16(T* dst, const T* src) {
  *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src);
}

template <typename T>
__device__ __forceinline__ void store16(T* dst, const T* src) {
  *reinterpret_cast<uint4*>(dst) = *reinterpret_cast<const uint4*>(src);
}

// Loads the rows r0, r0 + step, ... (kUnroll of them, those below `rows`) of V channels at column g * V.
template <typename T, int V>
__device__ __forceinline__ void load_rows(T (&dst)[kUnroll][V], const T* src, int64_t r0, int64_t step, int64_t rows,
                                          int C, int g) {
#pragma unroll
  for (int u = 0; u < kUnroll; ++u)
    if (r0 + u * step < rows) load16(dst[u], src + (r0 + u * step) * C + int64_t(g) * V);
}

inline bool aligned16(const void* ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15u) == 0; }

}  // namespace ye::kernels::cuda::bn

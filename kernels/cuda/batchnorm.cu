// CUDA batch norm (+SiLU) on channels-last data: per-channel Welford statistics and backward sums in
// two stages (blocks of 32 channels x 8 row lanes write partials; one thread per channel combines),
// and elementwise forward / input-gradient passes that recompute bn(x) from x, mean and invstd.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "engine/cuda_check.h"
#include "kernels/cuda/batchnorm_cuda.h"
#include "kernels/cuda/dtype_cuda.cuh"

namespace ye::kernels::cuda {
namespace {
constexpr int kChan = 32, kLanes = 8;

struct Grid2 {
  int chan_blocks, row_blocks;
};

Grid2 reduce_grid(int64_t rows, int64_t C) {
  int cb = int((C + kChan - 1) / kChan);
  int64_t want = (rows + 16 * kLanes - 1) / (16 * kLanes);  // about 16 rows per thread at least
  int64_t cap = std::max<int64_t>(1, 2048 / cb);
  int rb = int(std::max<int64_t>(1, std::min(want, cap)));
  return {cb, rb};
}

__device__ __forceinline__ float sigmoidf_dev(float z) { return 1.0f / (1.0f + __expf(-z)); }

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

template <typename T>
__global__ void stats_partial_kernel(const T* __restrict__ x, int64_t rows, int64_t C, float* __restrict__ part) {
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  float n = 0.f, mean = 0.f, m2 = 0.f;
  if (c < C) {
    for (int64_t r = int64_t(blockIdx.y) * kLanes + threadIdx.y; r < rows; r += int64_t(gridDim.y) * kLanes) {
      float v = to_f32(x[r * C + c]);
      n += 1.f;
      float d = v - mean;
      mean += __fdividef(d, n);
      m2 += d * (v - mean);
    }
  }
  __shared__ float sn[kLanes][kChan], sm[kLanes][kChan], s2[kLanes][kChan];
  sn[threadIdx.y][threadIdx.x] = n;
  sm[threadIdx.y][threadIdx.x] = mean;
  s2[threadIdx.y][threadIdx.x] = m2;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    for (int l = 1; l < kLanes; ++l) welford_merge(n, mean, m2, sn[l][threadIdx.x], sm[l][threadIdx.x], s2[l][threadIdx.x]);
    float* p = part + (int64_t(blockIdx.y) * C + c) * 3;
    p[0] = n;
    p[1] = mean;
    p[2] = m2;
  }
}

__global__ void stats_final_kernel(const float* __restrict__ part, int row_blocks, int64_t C, float eps, float momentum,
                                   float* running_mean, float* running_var, float* mean_out, float* invstd_out) {
  int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float n = 0.f, mean = 0.f, m2 = 0.f;
  for (int b = 0; b < row_blocks; ++b) {
    const float* p = part + (int64_t(b) * C + c) * 3;
    welford_merge(n, mean, m2, p[0], p[1], p[2]);
  }
  float var = m2 / n;
  mean_out[c] = mean;
  invstd_out[c] = rsqrtf(var + eps);
  if (running_mean) {
    float unbiased = n > 1.f ? m2 / (n - 1.f) : var;
    running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * mean;
    running_var[c] = (1.f - momentum) * running_var[c] + momentum * unbiased;
  }
}

__global__ void eval_stats_kernel(const float* rm, const float* rv, int64_t C, float eps, float* mean, float* invstd) {
  int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  mean[c] = rm[c];
  invstd[c] = rsqrtf(rv[c] + eps);
}

template <typename T>
__global__ void forward_kernel(const T* __restrict__ x, int64_t n, int64_t C, BnParams p, T* __restrict__ y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t c = i % C;
    float scale = p.invstd[c] * p.weight[c];
    float z = (to_f32(x[i]) - p.mean[c]) * scale + p.bias[c];
    y[i] = from_f32<T>(p.silu ? z * sigmoidf_dev(z) : z);
  }
}

template <typename T>
__global__ void backward_partial_kernel(const T* __restrict__ x, const T* __restrict__ dy, int64_t rows, int64_t C,
                                        BnParams p, float* __restrict__ part) {
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  float a = 0.f, b = 0.f;
  if (c < C) {
    const float m = p.mean[c], is = p.invstd[c], w = p.weight[c], bb = p.bias[c];
    for (int64_t r = int64_t(blockIdx.y) * kLanes + threadIdx.y; r < rows; r += int64_t(gridDim.y) * kLanes) {
      float xhat = (to_f32(x[r * C + c]) - m) * is;
      float dz = grad_z(to_f32(dy[r * C + c]), xhat * w + bb, p.silu);
      a += dz;
      b += dz * xhat;
    }
  }
  __shared__ float sa[kLanes][kChan], sb[kLanes][kChan];
  sa[threadIdx.y][threadIdx.x] = a;
  sb[threadIdx.y][threadIdx.x] = b;
  __syncthreads();
  if (threadIdx.y == 0 && c < C) {
    for (int l = 1; l < kLanes; ++l) {
      a += sa[l][threadIdx.x];
      b += sb[l][threadIdx.x];
    }
    float* q = part + (int64_t(blockIdx.y) * C + c) * 2;
    q[0] = a;
    q[1] = b;
  }
}

__global__ void backward_final_kernel(const float* __restrict__ part, int row_blocks, int64_t C, float* sum_dz,
                                      float* sum_dz_xhat) {
  int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double a = 0, b = 0;
  for (int r = 0; r < row_blocks; ++r) {
    a += part[(int64_t(r) * C + c) * 2];
    b += part[(int64_t(r) * C + c) * 2 + 1];
  }
  sum_dz[c] = float(a);
  sum_dz_xhat[c] = float(b);
}

template <typename T>
__global__ void backward_input_kernel(const T* __restrict__ x, const T* __restrict__ dy, int64_t n, int64_t C,
                                      BnParams p, bool training, float inv_rows, const float* __restrict__ sum_dz,
                                      const float* __restrict__ sum_dz_xhat, T* __restrict__ dx) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t c = i % C;
    float is = p.invstd[c], w = p.weight[c];
    float xhat = (to_f32(x[i]) - p.mean[c]) * is;
    float dz = grad_z(to_f32(dy[i]), xhat * w + p.bias[c], p.silu);
    float k = w * is;
    float g = training ? k * (dz - sum_dz[c] * inv_rows - xhat * sum_dz_xhat[c] * inv_rows) : k * dz;
    dx[i] = from_f32<T>(g);
  }
}

// Vectorised elementwise passes: each thread owns V = 16 / sizeof(T) consecutive channels (one 16-byte
// load/store per row), keeps their per-channel constants in registers and walks rows; no index maths
// per element. Used when C % V == 0, C / V <= kVecBlock and the pointers are 16-byte aligned.
constexpr int kVecBlock = 256;

template <typename T, int V>
__global__ void forward_vec_kernel(const T* __restrict__ x, int64_t rows, int C, BnParams p, T* __restrict__ y) {
  const int groups = C / V, rows_per_block = kVecBlock / groups;
  const int t = threadIdx.x;
  if (t >= rows_per_block * groups) return;
  const int g = t % groups;
  float scale[V], shift[V];
#pragma unroll
  for (int v = 0; v < V; ++v) {
    int c = g * V + v;
    scale[v] = p.invstd[c] * p.weight[c];
    shift[v] = p.bias[c] - p.mean[c] * scale[v];
  }
  for (int64_t r = int64_t(blockIdx.x) * rows_per_block + t / groups; r < rows;
       r += int64_t(gridDim.x) * rows_per_block) {
    const int64_t off = r * C + int64_t(g) * V;
    alignas(16) T in[V];
    alignas(16) T out[V];
    *reinterpret_cast<uint4*>(in) = *reinterpret_cast<const uint4*>(x + off);
#pragma unroll
    for (int v = 0; v < V; ++v) {
      float z = to_f32(in[v]) * scale[v] + shift[v];
      out[v] = from_f32<T>(p.silu ? z * sigmoidf_dev(z) : z);
    }
    *reinterpret_cast<uint4*>(y + off) = *reinterpret_cast<const uint4*>(out);
  }
}

template <typename T, int V>
__global__ void backward_input_vec_kernel(const T* __restrict__ x, const T* __restrict__ dy, int64_t rows, int C,
                                          BnParams p, bool training, float inv_rows, const float* __restrict__ sum_dz,
                                          const float* __restrict__ sum_dz_xhat, T* __restrict__ dx) {
  const int groups = C / V, rows_per_block = kVecBlock / groups;
  const int t = threadIdx.x;
  if (t >= rows_per_block * groups) return;
  const int g = t % groups;
  float mean[V], invstd[V], w[V], b[V], k[V], a1[V], a2[V];
#pragma unroll
  for (int v = 0; v < V; ++v) {
    int c = g * V + v;
    mean[v] = p.mean[c];
    invstd[v] = p.invstd[c];
    w[v] = p.weight[c];
    b[v] = p.bias[c];
    k[v] = w[v] * invstd[v];
    a1[v] = training ? sum_dz[c] * inv_rows : 0.f;
    a2[v] = training ? sum_dz_xhat[c] * inv_rows : 0.f;
  }
  for (int64_t r = int64_t(blockIdx.x) * rows_per_block + t / groups; r < rows;
       r += int64_t(gridDim.x) * rows_per_block) {
    const int64_t off = r * C + int64_t(g) * V;
    alignas(16) T xin[V];
    alignas(16) T gin[V];
    alignas(16) T out[V];
    *reinterpret_cast<uint4*>(xin) = *reinterpret_cast<const uint4*>(x + off);
    *reinterpret_cast<uint4*>(gin) = *reinterpret_cast<const uint4*>(dy + off);
#pragma unroll
    for (int v = 0; v < V; ++v) {
      float xhat = (to_f32(xin[v]) - mean[v]) * invstd[v];
      float dz = grad_z(to_f32(gin[v]), xhat * w[v] + b[v], p.silu);
      out[v] = from_f32<T>(k[v] * (dz - a1[v] - xhat * a2[v]));
    }
    *reinterpret_cast<uint4*>(dx + off) = *reinterpret_cast<const uint4*>(out);
  }
}

bool aligned16(const void* ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15u) == 0; }

// Blocks for the vectorised passes: enough to fill the device several times over, grid-stride beyond.
unsigned vec_grid(int64_t rows, int C, int V) {
  int64_t rows_per_block = kVecBlock / (C / V);
  int64_t want = (rows + rows_per_block - 1) / rows_per_block;
  return unsigned(std::max<int64_t>(1, std::min<int64_t>(want, 8192)));
}
}  // namespace

size_t bn_partials_floats(int64_t rows, int64_t C) {
  Grid2 g = reduce_grid(rows, C);
  return size_t(g.row_blocks) * size_t(C) * 3;
}

void bn_stats(DType t, const void* x, int64_t rows, int64_t C, float eps, float momentum, float* running_mean,
              float* running_var, float* mean, float* invstd, float* partials, cudaStream_t s) {
  Grid2 g = reduce_grid(rows, C);
  dim3 block(kChan, kLanes), grid(unsigned(g.chan_blocks), unsigned(g.row_blocks));
  YE_DISPATCH_FLOAT(t, T, stats_partial_kernel<T><<<grid, block, 0, s>>>(static_cast<const T*>(x), rows, C, partials));
  YE_CUDA_LAUNCH_CHECK();
  stats_final_kernel<<<unsigned((C + 127) / 128), 128, 0, s>>>(partials, g.row_blocks, C, eps, momentum, running_mean,
                                                               running_var, mean, invstd);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_eval_stats(const float* rm, const float* rv, int64_t C, float eps, float* mean, float* invstd, cudaStream_t s) {
  eval_stats_kernel<<<unsigned((C + 127) / 128), 128, 0, s>>>(rm, rv, C, eps, mean, invstd);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_forward(DType t, const void* x, int64_t rows, int64_t C, const BnParams& p, void* y, cudaStream_t s) {
  int64_t n = rows * C;
  const int V = int(16 / dtype_size(t));
  if (C % V == 0 && C / V <= kVecBlock && aligned16(x) && aligned16(y)) {
    YE_DISPATCH_FLOAT(t, T, forward_vec_kernel<T, 16 / sizeof(T)><<<vec_grid(rows, int(C), V), kVecBlock, 0, s>>>(
                                static_cast<const T*>(x), rows, int(C), p, static_cast<T*>(y)));
    YE_CUDA_LAUNCH_CHECK();
    return;
  }
  YE_DISPATCH_FLOAT(t, T, forward_kernel<T><<<grid_for(n), 256, 0, s>>>(static_cast<const T*>(x), n, C, p,
                                                                          static_cast<T*>(y)));
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_reduce(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                        float* sum_dz, float* sum_dz_xhat, float* partials, cudaStream_t s) {
  Grid2 g = reduce_grid(rows, C);
  dim3 block(kChan, kLanes), grid(unsigned(g.chan_blocks), unsigned(g.row_blocks));
  YE_DISPATCH_FLOAT(t, T, backward_partial_kernel<T><<<grid, block, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(dy), rows, C, p, partials));
  YE_CUDA_LAUNCH_CHECK();
  backward_final_kernel<<<unsigned((C + 127) / 128), 128, 0, s>>>(partials, g.row_blocks, C, sum_dz, sum_dz_xhat);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_input(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                       bool training, const float* sum_dz, const float* sum_dz_xhat, void* dx, cudaStream_t s) {
  int64_t n = rows * C;
  const int V = int(16 / dtype_size(t));
  if (C % V == 0 && C / V <= kVecBlock && aligned16(x) && aligned16(dy) && aligned16(dx)) {
    YE_DISPATCH_FLOAT(t, T, backward_input_vec_kernel<T, 16 / sizeof(T)><<<vec_grid(rows, int(C), V), kVecBlock, 0, s>>>(
                                static_cast<const T*>(x), static_cast<const T*>(dy), rows, int(C), p, training,
                                1.0f / float(rows), sum_dz, sum_dz_xhat, static_cast<T*>(dx)));
    YE_CUDA_LAUNCH_CHECK();
    return;
  }
  YE_DISPATCH_FLOAT(t, T, backward_input_kernel<T><<<grid_for(n), 256, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(dy), n, C, p, training,
                              1.0f / float(rows), sum_dz, sum_dz_xhat, static_cast<T*>(dx)));
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

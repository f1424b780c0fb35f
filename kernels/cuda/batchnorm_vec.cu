// Vectorised CUDA batch-norm passes (kernels/cuda/batchnorm_vec.h): each thread owns V = 16 / sizeof(T)
// consecutive channels of a row (16-byte accesses), keeps their per-channel constants in registers and
// walks rows, loading kUnroll rows before computing; reductions combine a block's row lanes in shared
// memory by a tree and write per-block partials in the layout of the scalar kernels (batchnorm.cu).
#include <algorithm>
#include <stdexcept>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/batchnorm_math.cuh"
#include "kernels/cuda/batchnorm_vec.h"
#include "kernels/cuda/dtype_cuda.cuh"

namespace ye::kernels::cuda {
namespace {
using namespace bn;

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
  const int64_t step = int64_t(gridDim.x) * rows_per_block;
  for (int64_t r0 = int64_t(blockIdx.x) * rows_per_block + t / groups; r0 < rows; r0 += kUnroll * step) {
    alignas(16) T in[kUnroll][V];
    load_rows(in, x, r0, step, rows, C, g);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (r0 + u * step >= rows) break;
      alignas(16) T out[V];
#pragma unroll
      for (int v = 0; v < V; ++v) {
        float z = to_f32(in[u][v]) * scale[v] + shift[v];
        out[v] = from_f32<T>(p.silu ? z * sigmoidf_dev(z) : z);
      }
      store16(y + (r0 + u * step) * C + int64_t(g) * V, out);
    }
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
  const int64_t step = int64_t(gridDim.x) * rows_per_block;
  for (int64_t r0 = int64_t(blockIdx.x) * rows_per_block + t / groups; r0 < rows; r0 += kUnroll * step) {
    alignas(16) T xin[kUnroll][V];
    alignas(16) T gin[kUnroll][V];
    load_rows(xin, x, r0, step, rows, C, g);
    load_rows(gin, dy, r0, step, rows, C, g);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (r0 + u * step >= rows) break;
      alignas(16) T out[V];
#pragma unroll
      for (int v = 0; v < V; ++v) {
        float xhat = (to_f32(xin[u][v]) - mean[v]) * invstd[v];
        float dz = grad_z(to_f32(gin[u][v]), xhat * w[v] + b[v], p.silu);
        out[v] = from_f32<T>(k[v] * (dz - a1[v] - xhat * a2[v]));
      }
      store16(dx + (r0 + u * step) * C + int64_t(g) * V, out);
    }
  }
}

// Vectorised partial reductions (C % V == 0, C / V <= kVecBlock, x and dy 16-byte aligned): thread
// (lane, g) owns channels g*V .. g*V+V-1 and walks rows lane, lane + lanes, ... of its block's share
// with 16-byte loads; lanes combine in shared memory by a tree; partial layouts as the scalar kernels.
constexpr int kVecRowBlocksMax = 1024;

int64_t vec_row_blocks(int64_t rows, int lanes) {
  return std::max<int64_t>(1, std::min<int64_t>(kVecRowBlocksMax, (rows + int64_t(lanes) * 16 - 1) / (int64_t(lanes) * 16)));
}

template <typename T, int V>
__global__ void stats_partial_vec_kernel(const T* __restrict__ x, int64_t rows, int C, float* __restrict__ part) {
  const int groups = C / V, lanes = kVecBlock / groups;
  const int t = threadIdx.x, g = t % groups, lane = t / groups;
  float n = 0.f, mean[V], m2[V];
#pragma unroll
  for (int v = 0; v < V; ++v) mean[v] = m2[v] = 0.f;
  if (lane < lanes) {
    const int64_t step = int64_t(gridDim.x) * lanes;
    for (int64_t r0 = int64_t(blockIdx.x) * lanes + lane; r0 < rows; r0 += kUnroll * step) {
      alignas(16) T in[kUnroll][V];
      load_rows(in, x, r0, step, rows, C, g);
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        if (r0 + u * step >= rows) break;
        n += 1.f;
        const float inv = __fdividef(1.f, n);
#pragma unroll
        for (int v = 0; v < V; ++v) {
          float val = to_f32(in[u][v]), d = val - mean[v];
          mean[v] += d * inv;
          m2[v] += d * (val - mean[v]);
        }
      }
    }
  }
  __shared__ float sn[kVecBlock], smean[kVecBlock * 8], sm2[kVecBlock * 8];
  sn[t] = n;
#pragma unroll
  for (int v = 0; v < V; ++v) smean[t * V + v] = mean[v], sm2[t * V + v] = m2[v];
  __syncthreads();
  for (int step = 1; step < lanes; step *= 2) {
    if (lane % (2 * step) == 0 && lane + step < lanes) {
      const int o = t + step * groups;
#pragma unroll
      for (int v = 0; v < V; ++v) {
        float nn = sn[t], mm = smean[t * V + v], qq = sm2[t * V + v];
        welford_merge(nn, mm, qq, sn[o], smean[o * V + v], sm2[o * V + v]);
        smean[t * V + v] = mm, sm2[t * V + v] = qq;
      }
      sn[t] += sn[o];
    }
    __syncthreads();
  }
  if (lane != 0) return;
#pragma unroll
  for (int v = 0; v < V; ++v) {
    float* p = part + (int64_t(blockIdx.x) * C + int64_t(g) * V + v) * 3;
    p[0] = sn[t];
    p[1] = smean[t * V + v];
    p[2] = sm2[t * V + v];
  }
}

template <typename T, int V>
__global__ void backward_partial_vec_kernel(const T* __restrict__ x, const T* __restrict__ dy, int64_t rows, int C,
                                            BnParams p, float* __restrict__ part) {
  const int groups = C / V, lanes = kVecBlock / groups;
  const int t = threadIdx.x, g = t % groups, lane = t / groups;
  float a[V], b[V], mean[V], invstd[V], w[V], bias[V];
#pragma unroll
  for (int v = 0; v < V; ++v) {
    const int c = g * V + v;
    a[v] = b[v] = 0.f;
    mean[v] = p.mean[c], invstd[v] = p.invstd[c], w[v] = p.weight[c], bias[v] = p.bias[c];
  }
  if (lane < lanes) {
    const int64_t step = int64_t(gridDim.x) * lanes;
    for (int64_t r0 = int64_t(blockIdx.x) * lanes + lane; r0 < rows; r0 += kUnroll * step) {
      alignas(16) T xin[kUnroll][V];
      alignas(16) T gin[kUnroll][V];
      load_rows(xin, x, r0, step, rows, C, g);
      load_rows(gin, dy, r0, step, rows, C, g);
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        if (r0 + u * step >= rows) break;
#pragma unroll
        for (int v = 0; v < V; ++v) {
          float xhat = (to_f32(xin[u][v]) - mean[v]) * invstd[v];
          float dz = grad_z(to_f32(gin[u][v]), xhat * w[v] + bias[v], p.silu);
          a[v] += dz;
          b[v] += dz * xhat;
        }
      }
    }
  }
  __shared__ float sa[kVecBlock * 8], sb[kVecBlock * 8];
#pragma unroll
  for (int v = 0; v < V; ++v) sa[t * V + v] = a[v], sb[t * V + v] = b[v];
  __syncthreads();
  for (int step = 1; step < lanes; step *= 2) {
    if (lane % (2 * step) == 0 && lane + step < lanes) {
      const int o = t + step * groups;
#pragma unroll
      for (int v = 0; v < V; ++v) sa[t * V + v] += sa[o * V + v], sb[t * V + v] += sb[o * V + v];
    }
    __syncthreads();
  }
  if (lane != 0) return;
#pragma unroll
  for (int v = 0; v < V; ++v) {
    float* q = part + (int64_t(blockIdx.x) * C + int64_t(g) * V + v) * 2;
    q[0] = sa[t * V + v];
    q[1] = sb[t * V + v];
  }
}


// Blocks for the vectorised elementwise passes: about two waves of 256-thread blocks, each thread
// walking at least ~8 rows, so its per-channel set-up (up to 7 x V parameter loads) is amortised.
unsigned vec_grid(int64_t rows, int C, int V) {
  int64_t rows_per_block = kVecBlock / (C / V);
  int64_t want = (rows + rows_per_block * 8 - 1) / (rows_per_block * 8);
  return unsigned(std::max<int64_t>(1, std::min<int64_t>(want, 2048)));
}

int lanes_for(DType t, int64_t C) { return kVecBlock / int(C / int64_t(16 / dtype_size(t))); }
}  // namespace

bool bn_vec_ok(DType t, int64_t C, const void* a, const void* b, const void* c) {
  const int64_t V = int64_t(16 / dtype_size(t));
  return C % V == 0 && C / V <= kVecBlock && aligned16(a) && (!b || aligned16(b)) && (!c || aligned16(c));
}

int64_t bn_vec_row_blocks_max(int64_t rows) {
  return std::max<int64_t>(1, std::min<int64_t>(kVecRowBlocksMax, (rows + 15) / 16));
}

int64_t bn_stats_partial_vec(DType t, const void* x, int64_t rows, int64_t C, float* partials, cudaStream_t s) {
  const int64_t rb = vec_row_blocks(rows, lanes_for(t, C));
  YE_DISPATCH_FLOAT(t, T, stats_partial_vec_kernel<T, 16 / sizeof(T)><<<unsigned(rb), kVecBlock, 0, s>>>(
                              static_cast<const T*>(x), rows, int(C), partials));
  YE_CUDA_LAUNCH_CHECK();
  return rb;
}

int64_t bn_backward_partial_vec(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                                float* partials, cudaStream_t s) {
  const int64_t rb = vec_row_blocks(rows, lanes_for(t, C));
  YE_DISPATCH_FLOAT(t, T, backward_partial_vec_kernel<T, 16 / sizeof(T)><<<unsigned(rb), kVecBlock, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(dy), rows, int(C), p, partials));
  YE_CUDA_LAUNCH_CHECK();
  return rb;
}

void bn_forward_vec(DType t, const void* x, int64_t rows, int64_t C, const BnParams& p, void* y, cudaStream_t s) {
  const int V = int(16 / dtype_size(t));
  YE_DISPATCH_FLOAT(t, T, forward_vec_kernel<T, 16 / sizeof(T)><<<vec_grid(rows, int(C), V), kVecBlock, 0, s>>>(
                              static_cast<const T*>(x), rows, int(C), p, static_cast<T*>(y)));
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_input_vec(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                           bool training, const float* sum_dz, const float* sum_dz_xhat, void* dx, cudaStream_t s) {
  const int V = int(16 / dtype_size(t));
  YE_DISPATCH_FLOAT(t, T, backward_input_vec_kernel<T, 16 / sizeof(T)><<<vec_grid(rows, int(C), V), kVecBlock, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(dy), rows, int(C), p, training,
                              1.0f / float(rows), sum_dz, sum_dz_xhat, static_cast<T*>(dx)));
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

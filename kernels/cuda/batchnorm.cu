// CUDA batch norm (+SiLU) on channels-last data: per-channel Welford statistics and backward sums in
// two stages (partials per row block: the vectorised kernels of batchnorm_vec.cu where channels and
// alignment allow, else blocks of 32 channels x 8 row lanes; blocks of 32 x 32 combine them), and
// elementwise forward / input-gradient passes that recompute bn(x) from x, mean and invstd.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/batchnorm_cuda.h"
#include "kernels/cuda/batchnorm_math.cuh"
#include "kernels/cuda/batchnorm_vec.h"
#include "kernels/cuda/dtype_cuda.cuh"

namespace ye::kernels::cuda {
namespace {
using namespace bn;
constexpr int kChan = 32, kLanes = 8, kFinalLanes = 32;

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
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  float n = 0.f, mean = 0.f, m2 = 0.f;
  if (c < C) {
    for (int b = threadIdx.y; b < row_blocks; b += kFinalLanes) {
      const float* p = part + (int64_t(b) * C + c) * 3;
      welford_merge(n, mean, m2, p[0], p[1], p[2]);
    }
  }
  __shared__ float sn[kFinalLanes][kChan], sm[kFinalLanes][kChan], s2[kFinalLanes][kChan];
  sn[threadIdx.y][threadIdx.x] = n;
  sm[threadIdx.y][threadIdx.x] = mean;
  s2[threadIdx.y][threadIdx.x] = m2;
  __syncthreads();
  if (threadIdx.y != 0 || c >= C) return;
  for (int l = 1; l < kFinalLanes; ++l) welford_merge(n, mean, m2, sn[l][threadIdx.x], sm[l][threadIdx.x], s2[l][threadIdx.x]);
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
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  double a = 0, b = 0;
  if (c < C) {
    for (int r = threadIdx.y; r < row_blocks; r += kFinalLanes) {
      a += part[(int64_t(r) * C + c) * 2];
      b += part[(int64_t(r) * C + c) * 2 + 1];
    }
  }
  __shared__ double sa[kFinalLanes][kChan], sb[kFinalLanes][kChan];
  sa[threadIdx.y][threadIdx.x] = a;
  sb[threadIdx.y][threadIdx.x] = b;
  __syncthreads();
  if (threadIdx.y != 0 || c >= C) return;
  for (int l = 1; l < kFinalLanes; ++l) {
    a += sa[l][threadIdx.x];
    b += sb[l][threadIdx.x];
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

}  // namespace

size_t bn_partials_floats(int64_t rows, int64_t C) {
  Grid2 g = reduce_grid(rows, C);
  return size_t(std::max<int64_t>(g.row_blocks, bn_vec_row_blocks_max(rows))) * size_t(C) * 3;
}

void bn_stats(DType t, const void* x, int64_t rows, int64_t C, float eps, float momentum, float* running_mean,
              float* running_var, float* mean, float* invstd, float* partials, cudaStream_t s) {
  if (bn_vec_ok(t, C, x)) {
    const int64_t rb = bn_stats_partial_vec(t, x, rows, C, partials, s);
    stats_final_kernel<<<unsigned((C + kChan - 1) / kChan), dim3(kChan, kFinalLanes), 0, s>>>(
        partials, int(rb), C, eps, momentum, running_mean, running_var, mean, invstd);
    YE_CUDA_LAUNCH_CHECK();
    return;
  }
  Grid2 g = reduce_grid(rows, C);
  dim3 block(kChan, kLanes), grid(unsigned(g.chan_blocks), unsigned(g.row_blocks));
  YE_DISPATCH_FLOAT(t, T, stats_partial_kernel<T><<<grid, block, 0, s>>>(static_cast<const T*>(x), rows, C, partials));
  YE_CUDA_LAUNCH_CHECK();
  stats_final_kernel<<<unsigned(g.chan_blocks), dim3(kChan, kFinalLanes), 0, s>>>(
      partials, g.row_blocks, C, eps, momentum, running_mean, running_var, mean, invstd);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_eval_stats(const float* rm, const float* rv, int64_t C, float eps, float* mean, float* invstd, cudaStream_t s) {
  eval_stats_kernel<<<unsigned((C + 127) / 128), 128, 0, s>>>(rm, rv, C, eps, mean, invstd);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_forward(DType t, const void* x, int64_t rows, int64_t C, const BnParams& p, void* y, cudaStream_t s) {
  int64_t n = rows * C;
  if (bn_vec_ok(t, C, x, y)) {
    bn_forward_vec(t, x, rows, C, p, y, s);
    return;
  }
  YE_DISPATCH_FLOAT(t, T, forward_kernel<T><<<grid_for(n), 256, 0, s>>>(static_cast<const T*>(x), n, C, p,
                                                                          static_cast<T*>(y)));
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_reduce(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                        float* sum_dz, float* sum_dz_xhat, float* partials, cudaStream_t s) {
  if (bn_vec_ok(t, C, x, dy)) {
    const int64_t rb = bn_backward_partial_vec(t, x, dy, rows, C, p, partials, s);
    backward_final_kernel<<<unsigned((C + kChan - 1) / kChan), dim3(kChan, kFinalLanes), 0, s>>>(
        partials, int(rb), C, sum_dz, sum_dz_xhat);
    YE_CUDA_LAUNCH_CHECK();
    return;
  }
  Grid2 g = reduce_grid(rows, C);
  dim3 block(kChan, kLanes), grid(unsigned(g.chan_blocks), unsigned(g.row_blocks));
  YE_DISPATCH_FLOAT(t, T, backward_partial_kernel<T><<<grid, block, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(dy), rows, C, p, partials));
  YE_CUDA_LAUNCH_CHECK();
  backward_final_kernel<<<unsigned(g.chan_blocks), dim3(kChan, kFinalLanes), 0, s>>>(partials, g.row_blocks, C, sum_dz,
                                                                                     sum_dz_xhat);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_input(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                       bool training, const float* sum_dz, const float* sum_dz_xhat, void* dx, cudaStream_t s) {
  int64_t n = rows * C;
  if (bn_vec_ok(t, C, x, dy, dx)) {
    bn_backward_input_vec(t, x, dy, rows, C, p, training, sum_dz, sum_dz_xhat, dx, s);
    return;
  }
  YE_DISPATCH_FLOAT(t, T, backward_input_kernel<T><<<grid_for(n), 256, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(dy), n, C, p, training,
                              1.0f / float(rows), sum_dz, sum_dz_xhat, static_cast<T*>(dx)));
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

// CUDA batch norm (+SiLU) on channels-last data: per-channel statistics and backward sums in two stages
// (per-row-block partials from batchnorm_vec.cu, combined here in double by one block per 32 channels
// in a fixed order, so results repeat bit for bit), and elementwise forward / input-gradient passes that
// recompute bn(x) from x, mean and invstd (16-byte kernels of batchnorm_vec.cu, or one element per
// thread when the channels or the alignment do not allow them).
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "kernels/cuda/batchnorm_cuda.h"
#include "kernels/cuda/batchnorm_math.cuh"
#include "kernels/cuda/batchnorm_vec.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dtype_cuda.cuh"

namespace ye::kernels::cuda {
namespace {
using namespace bn;
constexpr int kChan = 32, kFinalLanes = 32;

// Sums channel c's first and second partials over the P row blocks: lane y takes blocks y, y + 32, ...
// in order, then the lanes combine by a fixed tree; every thread returns the channel's totals.
__device__ __forceinline__ void sum_partials(const float* __restrict__ part, int64_t P, int64_t C, double& a,
                                             double& b) {
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  a = 0, b = 0;
  if (c < C) {
    const float* p1 = part + c;
    const float* p2 = part + P * C + c;
#pragma unroll 4
    for (int64_t q = threadIdx.y; q < P; q += kFinalLanes) {
      a += double(p1[q * C]);
      b += double(p2[q * C]);
    }
  }
  __shared__ double sa[kFinalLanes][kChan], sb[kFinalLanes][kChan];
  sa[threadIdx.y][threadIdx.x] = a;
  sb[threadIdx.y][threadIdx.x] = b;
  __syncthreads();
  for (int step = kFinalLanes / 2; step > 0; step /= 2) {
    if (int(threadIdx.y) < step) {
      sa[threadIdx.y][threadIdx.x] += sa[threadIdx.y + step][threadIdx.x];
      sb[threadIdx.y][threadIdx.x] += sb[threadIdx.y + step][threadIdx.x];
    }
    __syncthreads();
  }
  a = sa[0][threadIdx.x];
  b = sb[0][threadIdx.x];
}

// mean = shift + sum(d) / n, biased var = sum(d^2) / n - (sum(d) / n)^2 (d = x - shift), in double.
__global__ void __launch_bounds__(kChan * kFinalLanes)
    stats_final_kernel(const float* __restrict__ part, int64_t P, int64_t rows, int64_t C, float eps, float momentum,
                       float* running_mean, float* running_var, float* mean_out, float* invstd_out) {
  double s1, s2;
  sum_partials(part, P, C, s1, s2);
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  if (threadIdx.y != 0 || c >= C) return;
  const double n = double(rows), m1 = s1 / n;
  const double var = fmax(s2 / n - m1 * m1, 0.0);
  const float mean = float(double(part[2 * P * C + c]) + m1);
  mean_out[c] = mean;
  invstd_out[c] = float(1.0 / sqrt(var + double(eps)));
  if (running_mean) {
    const float unbiased = float(rows > 1 ? var * n / (n - 1.0) : var);
    running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * mean;
    running_var[c] = (1.f - momentum) * running_var[c] + momentum * unbiased;
  }
}

__global__ void __launch_bounds__(kChan * kFinalLanes)
    backward_final_kernel(const float* __restrict__ part, int64_t P, int64_t C, float* sum_dz, float* sum_dz_xhat) {
  double a, b;
  sum_partials(part, P, C, a, b);
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  if (threadIdx.y != 0 || c >= C) return;
  sum_dz[c] = float(a);
  sum_dz_xhat[c] = float(b);
}

__global__ void eval_stats_kernel(const float* rm, const float* rv, int64_t C, float eps, float* mean, float* invstd) {
  int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  mean[c] = rm[c];
  invstd[c] = rsqrtf(rv[c] + eps);
}

template <typename T>
__global__ void forward_kernel(const T* __restrict__ x, int64_t n, int64_t C, BnParams p, T* __restrict__ y) {
  const T* res = static_cast<const T*>(p.residual);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i / C, c = i - r * C;
    float scale = p.invstd[c] * p.weight[c];
    float z = to_f32(x[i]) * scale + (p.bias[c] - p.mean[c] * scale);
    T out = from_f32<T>(p.silu ? z * sigmoidf_dev(z) : z);
    if (res) out = from_f32<T>(__fadd_rn(to_f32(out), to_f32(res[r * p.ld_res + c])));  // never an FMA
    y[r * p.ld_y + c] = out;
  }
}

template <typename T>
__global__ void backward_input_kernel(const T* __restrict__ x, const T* __restrict__ dy, int64_t n, int64_t C,
                                      BnParams p, bool training, float inv_rows, const float* __restrict__ sum_dz,
                                      const float* __restrict__ sum_dz_xhat, T* __restrict__ dx) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i / C, c = i - r * C;
    float is = p.invstd[c], w = p.weight[c];
    float xhat = (to_f32(x[i]) - p.mean[c]) * is;
    float z = xhat * w + p.bias[c], g = to_f32(dy[r * p.ld_dy + c]);
    float dz = p.silu ? grad_z<true>(g, z) : grad_z<false>(g, z);
    float k = w * is;
    float out = training ? k * (dz - sum_dz[c] * inv_rows - xhat * sum_dz_xhat[c] * inv_rows) : k * dz;
    dx[i] = from_f32<T>(out);
  }
}

unsigned final_blocks(int64_t C) { return unsigned((C + kChan - 1) / kChan); }
}  // namespace

size_t bn_partials_floats(int64_t rows, int64_t C) {
  return size_t(2 * bn_vec_row_blocks_max(rows) + 1) * size_t(C);
}

void bn_stats(DType t, const void* x, int64_t rows, int64_t C, float eps, float momentum, float* running_mean,
              float* running_var, float* mean, float* invstd, float* partials, cudaStream_t s) {
  YE_CHECK(rows > 0, "bn_stats: no rows to take statistics over");
  if (C == 0) return;
  const int64_t P = bn_stats_partial_vec(t, x, rows, C, partials, s);
  stats_final_kernel<<<final_blocks(C), dim3(kChan, kFinalLanes), 0, s>>>(partials, P, rows, C, eps, momentum,
                                                                          running_mean, running_var, mean, invstd);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_eval_stats(const float* rm, const float* rv, int64_t C, float eps, float* mean, float* invstd, cudaStream_t s) {
  if (C == 0) return;
  eval_stats_kernel<<<unsigned((C + 127) / 128), 128, 0, s>>>(rm, rv, C, eps, mean, invstd);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_forward(DType t, const void* x, int64_t rows, int64_t C, const BnParams& p0, void* y, cudaStream_t s) {
  const int64_t n = rows * C;
  if (n == 0) return;
  const BnParams p = bn_resolved(p0, C);
  if (bn_vec_ok(t, C, x, y, p.residual) && bn_vec_strides_ok(t, p.ld_y, p.ld_res)) {
    bn_forward_vec(t, x, rows, C, p, y, s);
    return;
  }
  YE_DISPATCH_FLOAT(t, T, forward_kernel<T><<<grid_for(n), kBlock, 0, s>>>(static_cast<const T*>(x), n, C, p,
                                                                             static_cast<T*>(y)));
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_reduce(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p0,
                        float* sum_dz, float* sum_dz_xhat, float* partials, cudaStream_t s) {
  if (C == 0) return;
  const BnParams p = bn_resolved(p0, C);
  const int64_t P = bn_backward_partial_vec(t, x, dy, rows, C, p, partials, s);
  backward_final_kernel<<<final_blocks(C), dim3(kChan, kFinalLanes), 0, s>>>(partials, P, C, sum_dz, sum_dz_xhat);
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_input(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p0,
                       bool training, const float* sum_dz, const float* sum_dz_xhat, void* dx, cudaStream_t s) {
  const int64_t n = rows * C;
  if (n == 0) return;
  const BnParams p = bn_resolved(p0, C);
  if (bn_vec_ok(t, C, x, dy, dx) && bn_vec_strides_ok(t, p.ld_dy)) {
    bn_backward_input_vec(t, x, dy, rows, C, p, training, sum_dz, sum_dz_xhat, dx, s);
    return;
  }
  YE_DISPATCH_FLOAT(t, T, backward_input_kernel<T><<<grid_for(n), kBlock, 0, s>>>(
                              static_cast<const T*>(x), static_cast<const T*>(dy), n, C, p, training,
                              1.0f / float(rows), sum_dz, sum_dz_xhat, static_cast<T*>(dx)));
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

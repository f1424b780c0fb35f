// CUDA SyncBN kernels (see sync_bn_cuda.h): shifted sums in blocks of 32 channels x 8 row lanes
// writing per-row-block partials, one thread per channel adding them up (deterministic), the
// statistics and running update from the all-reduced sums, and the row-count scale for backward.
#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dtype_cuda.cuh"
#include "kernels/cuda/sync_bn_cuda.h"

namespace ye::kernels::cuda {
namespace {
constexpr int kChan = 32, kLanes = 8, kMaxRowBlocks = 1024;

int row_blocks(int64_t rows, int64_t C) {
  int64_t cb = (C + kChan - 1) / kChan;
  int64_t want = (rows + 16 * kLanes - 1) / (16 * kLanes);
  int64_t cap = std::max<int64_t>(1, std::min<int64_t>(kMaxRowBlocks, 4096 / cb));
  return int(std::max<int64_t>(1, std::min(want, cap)));
}

template <typename T>
__global__ void sums_partial_kernel(const T* __restrict__ x, int64_t rows, int64_t C, const float* __restrict__ shift,
                                    float* __restrict__ part) {
  const int64_t c = int64_t(blockIdx.x) * kChan + threadIdx.x;
  float s1 = 0.f, s2 = 0.f;
  if (c < C) {
    const float sh = shift[c];
    for (int64_t r = int64_t(blockIdx.y) * kLanes + threadIdx.y; r < rows; r += int64_t(gridDim.y) * kLanes) {
      float d = to_f32(x[r * C + c]) - sh;
      s1 += d;
      s2 += d * d;
    }
  }
  __shared__ float a[kLanes][kChan], b[kLanes][kChan];
  a[threadIdx.y][threadIdx.x] = s1;
  b[threadIdx.y][threadIdx.x] = s2;
  __syncthreads();
  if (threadIdx.y != 0 || c >= C) return;
  for (int l = 1; l < kLanes; ++l) s1 += a[l][threadIdx.x], s2 += b[l][threadIdx.x];
  float* p = part + (int64_t(blockIdx.y) * C + c) * 2;
  p[0] = s1;
  p[1] = s2;
}

__global__ void sums_final_kernel(const float* __restrict__ part, int blocks, int64_t C, float rows,
                                  float* __restrict__ sums) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c == 0) sums[2 * C] = rows;
  if (c >= C) return;
  double s1 = 0.0, s2 = 0.0;
  for (int b = 0; b < blocks; ++b) {
    const float* p = part + (int64_t(b) * C + c) * 2;
    s1 += p[0];
    s2 += p[1];
  }
  sums[c] = float(s1);
  sums[C + c] = float(s2);
}

__global__ void finalize_kernel(const float* __restrict__ sums, int64_t C, const float* shift, float eps,
                                float momentum, float* running_mean, float* running_var, float* mean,
                                float* invstd) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const float n = sums[2 * C];
  const float d = sums[c] / n;
  const float var = fmaxf(0.f, sums[C + c] / n - d * d);
  const float m = shift[c] + d;
  mean[c] = m;
  invstd[c] = rsqrtf(var + eps);
  if (running_mean) {
    const float unbiased = n > 1.f ? var * (n / (n - 1.f)) : var;
    running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * m;
    running_var[c] = (1.f - momentum) * running_var[c] + momentum * unbiased;
  }
}

__global__ void scale_kernel(float* v, int64_t n, float local_rows, const float* global_rows) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) v[i] *= local_rows / *global_rows;
}
}  // namespace

size_t sync_bn_partials_floats(int64_t rows, int64_t C) { return size_t(row_blocks(rows, C)) * size_t(C) * 2; }

void sync_bn_local_sums(DType t, const void* x, int64_t rows, int64_t C, const float* shift, float* sums,
                        float* partials, cudaStream_t s) {
  const int rb = row_blocks(rows, C);
  dim3 grid(unsigned((C + kChan - 1) / kChan), unsigned(rb)), block(kChan, kLanes);
  YE_DISPATCH_FLOAT(t, T, sums_partial_kernel<T><<<grid, block, 0, s>>>(static_cast<const T*>(x), rows, C, shift,
                                                                         partials));
  YE_CUDA_LAUNCH_CHECK();
  sums_final_kernel<<<grid_for(C), 256, 0, s>>>(partials, rb, C, float(rows), sums);
  YE_CUDA_LAUNCH_CHECK();
}

void sync_bn_finalize(const float* sums, int64_t C, const float* shift, float eps, float momentum,
                      float* running_mean, float* running_var, float* mean, float* invstd, cudaStream_t s) {
  finalize_kernel<<<grid_for(C), 256, 0, s>>>(sums, C, shift, eps, momentum, running_mean, running_var, mean, invstd);
  YE_CUDA_LAUNCH_CHECK();
}

void sync_bn_scale_by_rows(float* v, int64_t n, float local_rows, const float* global_rows, cudaStream_t s) {
  scale_kernel<<<grid_for(n), 256, 0, s>>>(v, n, local_rows, global_rows);
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

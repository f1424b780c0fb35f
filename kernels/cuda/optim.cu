// CUDA optimizer kernels (see kernels/optim.h): vectorised grid-stride loops, a deterministic
// two-stage squared-norm reduction, and step kernels that read found_inf / the norm on the device.
#include <stdexcept>
#include <string>

#include "kernels/cuda/optim_cuda.h"

namespace ye::kernels::cuda {
namespace {

void check_launch() {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA kernel launch failed: ") + cudaGetErrorString(e));
}

__device__ __forceinline__ float clip_coef(const StepControl& c) {
  if (c.max_norm <= 0.f) return 1.f;
  return fminf(c.max_norm / (sqrtf(*c.grad_sq_sum) + 1e-6f), 1.f);
}

__global__ void unscale_partials_kernel(float* g, int64_t n, StepControl c, float* partials) {
  __shared__ float warp_sums[32];
  __shared__ int any_bad;
  if (threadIdx.x == 0) any_bad = 0;
  __syncthreads();
  float inv = 1.f / *c.loss_scale;
  float acc = 0.f;
  bool bad = false;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    float v = g[i] * inv;
    g[i] = v;
    bad |= !isfinite(v);
    acc += v * v;
  }
  if (bad) any_bad = 1;
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = acc;
  __syncthreads();
  if (threadIdx.x < 32) {
    acc = threadIdx.x < (blockDim.x >> 5) ? warp_sums[threadIdx.x] : 0.f;
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (threadIdx.x == 0) {
      partials[blockIdx.x] = acc;
      if (any_bad) *c.found_inf = 1.f;
    }
  }
}

__global__ void sum_partials_kernel(const float* partials, int count, float* out) {
  __shared__ float warp_sums[32];
  float acc = 0.f;
  for (int i = threadIdx.x; i < count; i += blockDim.x) acc += partials[i];
  for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = acc;
  __syncthreads();
  if (threadIdx.x < 32) {
    acc = threadIdx.x < (blockDim.x >> 5) ? warp_sums[threadIdx.x] : 0.f;
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (threadIdx.x == 0) *out += acc;
  }
}

__global__ void sgd_kernel(float* w, const float* g, float* buf, int64_t n, const GroupHyper* hp, bool nesterov,
                           StepControl c) {
  if (*c.found_inf != 0.f) return;
  const GroupHyper p = *hp;
  float clip = clip_coef(c);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    float d = g[i] * clip + p.weight_decay * w[i];
    float b = p.first_step != 0.f ? d : p.momentum * buf[i] + d;
    buf[i] = b;
    w[i] -= p.lr * (nesterov ? d + p.momentum * b : b);
  }
}

__global__ void adamw_kernel(float* w, const float* g, float* m, float* v, int64_t n, const GroupHyper* hp,
                             float beta2, float eps, StepControl c) {
  if (*c.found_inf != 0.f) return;
  const GroupHyper p = *hp;
  float clip = clip_coef(c);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x) {
    float gi = g[i] * clip;
    float wi = w[i] * (1.f - p.lr * p.weight_decay);
    float mi = p.momentum * m[i] + (1.f - p.momentum) * gi;
    float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] = wi - p.step_size * mi / (sqrtf(vi) / p.bc2_sqrt + eps);
  }
}

__global__ void ema_kernel(float* ema, const float* model, int64_t n, const float* decay) {
  const float d = *decay;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x)
    ema[i] = d * ema[i] + (1.f - d) * model[i];
}

__global__ void loss_scale_kernel(StepControl c, int* tracker, float growth, float backoff, int interval) {
  if (*c.found_inf != 0.f) {
    *c.loss_scale *= backoff;
    *tracker = 0;
  } else if (++*tracker >= interval) {
    *c.loss_scale *= growth;
    *tracker = 0;
  }
}

unsigned blocks_for(int64_t n) {
  int64_t b = (n + 255) / 256;
  return unsigned(b < 1 ? 1 : (b > 4096 ? 4096 : b));
}
}  // namespace

void unscale_and_norm(float* grad, int64_t n, const StepControl& ctl, float* partials, cudaStream_t s) {
  unsigned blocks = blocks_for(n);
  if (blocks > unsigned(kOptimPartials)) blocks = kOptimPartials;
  unscale_partials_kernel<<<blocks, 256, 0, s>>>(grad, n, ctl, partials);
  sum_partials_kernel<<<1, 1024, 0, s>>>(partials, int(blocks), ctl.grad_sq_sum);
  check_launch();
}

void sgd_step(float* w, const float* g, float* buf, int64_t n, const GroupHyper* hyper, bool nesterov,
              const StepControl& ctl, cudaStream_t s) {
  if (n == 0) return;
  sgd_kernel<<<blocks_for(n), 256, 0, s>>>(w, g, buf, n, hyper, nesterov, ctl);
  check_launch();
}

void adamw_step(float* w, const float* g, float* m, float* v, int64_t n, const GroupHyper* hyper, float beta2,
                float eps, const StepControl& ctl, cudaStream_t s) {
  if (n == 0) return;
  adamw_kernel<<<blocks_for(n), 256, 0, s>>>(w, g, m, v, n, hyper, beta2, eps, ctl);
  check_launch();
}

void ema_update(float* ema, const float* model, int64_t n, const float* decay, cudaStream_t s) {
  if (n == 0) return;
  ema_kernel<<<blocks_for(n), 256, 0, s>>>(ema, model, n, decay);
  check_launch();
}

void update_loss_scale(const StepControl& ctl, int* tracker, float growth, float backoff, int interval,
                       cudaStream_t s) {
  loss_scale_kernel<<<1, 1, 0, s>>>(ctl, tracker, growth, backoff, interval);
  check_launch();
}

}  // namespace ye::kernels::cuda

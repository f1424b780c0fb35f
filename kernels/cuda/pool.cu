// CUDA NHWC max pooling and nearest x2 upsampling. One thread per output element (channels innermost,
// so a warp reads consecutive channels), with strip kernels for SPPF's 5x5/s1/p2; the pooling backward
// gathers, per input element, the outputs whose argmax points at it, in the CPU's order (no atomics,
// deterministic, f32 sums equal to the CPU's bit for bit).
#include <cstdint>
#include <stdexcept>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dtype_cuda.cuh"
#include "kernels/cuda/pack.cuh"
#include "kernels/cuda/pool_cuda.h"

namespace ye::kernels::cuda {
namespace {

template <typename T>
__global__ void max_pool_forward_kernel(PoolGeom g, int64_t ho, int64_t wo, const T* __restrict__ x, T* __restrict__ y,
                                        int32_t* __restrict__ argmax) {
  const int64_t total = g.n * ho * wo * g.c;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t c = i % g.c, p = i / g.c;
    int64_t ox = p % wo, oy = (p / wo) % ho, n = p / (wo * ho);
    float best = -INFINITY;
    int32_t best_idx = -1;
    for (int64_t ky = 0; ky < g.kernel; ++ky) {
      int64_t iy = oy * g.stride - g.pad + ky;
      if (iy < 0 || iy >= g.h) continue;
      for (int64_t kx = 0; kx < g.kernel; ++kx) {
        int64_t ix = ox * g.stride - g.pad + kx;
        if (ix < 0 || ix >= g.w) continue;
        float v = to_f32(x[((n * g.h + iy) * g.w + ix) * g.c + c]);
        if (v > best || best_idx < 0) {
          best = v;
          best_idx = int32_t(iy * g.w + ix);
        }
      }
    }
    y[i] = from_f32<T>(best);
    argmax[i] = best_idx;
  }
}


// SPPF's 5x5 / stride 1 / pad 2 pool: a thread computes kStrip consecutive outputs of one row and
// channel from 5 x (kStrip + 4) loads (instead of 25 per output): per input row the max over each
// 5-wide window (first max wins), then across rows in order (first row wins), which is the scan-order
// tie rule of the general kernel.
constexpr int kStrip = 8;

template <typename T>
__global__ void max_pool5_s1_kernel(PoolGeom g, int64_t strips, const T* __restrict__ x, T* __restrict__ y,
                                    int32_t* __restrict__ argmax) {
  const int64_t total = g.n * g.h * strips * g.c;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t c = i % g.c, p = i / g.c;
    const int64_t sidx = p % strips, oy = (p / strips) % g.h, n = p / (strips * g.h);
    const int64_t ox0 = sidx * kStrip;
    float best[kStrip];
    int32_t best_idx[kStrip];
    bool have = false;
    for (int ky = 0; ky < 5; ++ky) {
      const int64_t iy = oy - 2 + ky;
      if (iy < 0 || iy >= g.h) continue;
      float v[kStrip + 4];
#pragma unroll
      for (int j = 0; j < kStrip + 4; ++j) {
        const int64_t ix = ox0 - 2 + j;
        v[j] = (ix >= 0 && ix < g.w) ? to_f32(x[((n * g.h + iy) * g.w + ix) * g.c + c]) : -INFINITY;
      }
#pragma unroll
      for (int o = 0; o < kStrip; ++o) {
        float m = v[o];
        int mj = o;
#pragma unroll
        for (int j = o + 1; j < o + 5; ++j)
          if (v[j] > m) {
            m = v[j];
            mj = j;
          }
        if (!have || m > best[o]) {
          best[o] = m;
          best_idx[o] = int32_t(iy * g.w + (ox0 - 2 + mj));
        }
      }
      have = true;
    }
#pragma unroll
    for (int o = 0; o < kStrip; ++o) {
      const int64_t ox = ox0 + o;
      if (ox >= g.w) break;
      const int64_t out = ((n * g.h + oy) * g.w + ox) * g.c + c;
      y[out] = from_f32<T>(best[o]);
      argmax[out] = best_idx[o];
    }
  }
}

template <typename T>
__global__ void max_pool_backward_kernel(PoolGeom g, int64_t ho, int64_t wo, const T* __restrict__ gy,
                                         const int32_t* __restrict__ argmax, T* __restrict__ gx) {
  const int64_t total = g.n * g.h * g.w * g.c;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t c = i % g.c, p = i / g.c;
    int64_t ix = p % g.w, iy = (p / g.w) % g.h, n = p / (g.w * g.h);
    int32_t me = int32_t(iy * g.w + ix);
    // Outputs whose window covers (iy, ix): oy*stride - pad <= iy <= oy*stride - pad + kernel - 1.
    int64_t oy0 = iy + g.pad - g.kernel + 1, ox0 = ix + g.pad - g.kernel + 1;
    oy0 = oy0 <= 0 ? 0 : (oy0 + g.stride - 1) / g.stride;
    ox0 = ox0 <= 0 ? 0 : (ox0 + g.stride - 1) / g.stride;
    int64_t oy1 = min((iy + g.pad) / g.stride, ho - 1), ox1 = min((ix + g.pad) / g.stride, wo - 1);
    float acc = 0.f;
    for (int64_t oy = oy0; oy <= oy1; ++oy)
      for (int64_t ox = ox0; ox <= ox1; ++ox) {
        int64_t o = ((n * ho + oy) * wo + ox) * g.c + c;
        if (argmax[o] == me) acc += to_f32(gy[o]);
      }
    gx[i] = from_f32<T>(acc);
  }
}

// SPPF's 5x5 / stride 1 / pad 2 backward: a thread gathers kStrip consecutive inputs of one row for 4
// channels (16-byte argmax loads) from the 5 x (kStrip + 4) outputs whose windows cover them, instead of
// 25 outputs per input. Outputs are visited by row, then column, ascending: each input sums its
// contributions in the order of the CPU's scatter over outputs.
template <typename T>
__global__ void max_pool5_s1_backward_kernel(PoolGeom g, int64_t strips, const T* __restrict__ gy,
                                             const int32_t* __restrict__ argmax, T* __restrict__ gx) {
  constexpr int V = 4;
  const int64_t cv = g.c / V, total = g.n * g.h * strips * cv;
  const int W = int(g.w), H = int(g.h);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t k = (i % cv) * V, p = i / cv;
    const int sidx = int(p % strips), iy = int((p / strips) % H);
    const int64_t n = p / (strips * H);
    const int ix0 = sidx * kStrip;
    const int32_t base = iy * W + ix0;  // argmax value that points at input ix0 + q: base + q
    float acc[kStrip][V];
#pragma unroll
    for (int q = 0; q < kStrip; ++q)
#pragma unroll
      for (int v = 0; v < V; ++v) acc[q][v] = 0.f;
    for (int oy = max(iy - 2, 0); oy <= min(iy + 2, H - 1); ++oy) {
      const int64_t row = (n * H + oy) * W;
#pragma unroll
      for (int j = 0; j < kStrip + 4; ++j) {
        const int ox = ix0 - 2 + j;  // covers inputs ox - 2 .. ox + 2, i.e. q in [j - 4, j]
        if (ox < 0 || ox >= W) continue;
        const int64_t o = (row + ox) * g.c + k;
        const int4 am = *reinterpret_cast<const int4*>(argmax + o);
        const Pack<T, V> gv = load_pack<T, V>(gy + o);
        const int32_t a[V] = {am.x, am.y, am.z, am.w};
#pragma unroll
        for (int q = 0; q < kStrip; ++q) {
          if (q < j - 4 || q > j) continue;
#pragma unroll
          for (int v = 0; v < V; ++v)
            if (a[v] == base + q) acc[q][v] += to_f32(gv.v[v]);
        }
      }
    }
#pragma unroll
    for (int q = 0; q < kStrip; ++q) {
      if (ix0 + q >= W) break;
      Pack<T, V> out;
#pragma unroll
      for (int v = 0; v < V; ++v) out.v[v] = from_f32<T>(acc[q][v]);
      store_pack(gx + ((n * H + iy) * W + ix0 + q) * g.c + k, out);
    }
  }
}

// Nearest 2x upsampling on NHWC, V consecutive channels per thread (V = 1, or 16 bytes when the
// channel count and the pointers allow it).
template <typename T, int V>
__global__ void upsample_forward_kernel(const T* __restrict__ x, int64_t n, int64_t h, int64_t w, int64_t c,
                                        T* __restrict__ y, int64_t row) {
  const int64_t cv = c / V, total = n * 4 * h * w * cv;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t k = (i % cv) * V, p = i / cv;
    int64_t ox = p % (2 * w), oy = (p / (2 * w)) % (2 * h), b = p / (4 * w * h);
    store_pack(y + p * row + k, load_pack<T, V>(x + ((b * h + oy / 2) * w + ox / 2) * c + k));
  }
}

template <typename T, int V>
__global__ void upsample_backward_kernel(const T* __restrict__ gy, int64_t n, int64_t h, int64_t w, int64_t c,
                                         T* __restrict__ gx, int64_t row) {
  const int64_t cv = c / V, total = n * h * w * cv;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t k = (i % cv) * V, p = i / cv;
    int64_t ix = p % w, iy = (p / w) % h, b = p / (w * h);
    const T* s00 = gy + ((b * 2 * h + 2 * iy) * 2 * w + 2 * ix) * row + k;
    const T* s10 = s00 + 2 * w * row;
    Pack<T, V> a = load_pack<T, V>(s00), bb = load_pack<T, V>(s00 + row), cc = load_pack<T, V>(s10),
               d = load_pack<T, V>(s10 + row), o;
#pragma unroll
    for (int v = 0; v < V; ++v)
      o.v[v] = from_f32<T>((to_f32(a.v[v]) + to_f32(bb.v[v])) + (to_f32(cc.v[v]) + to_f32(d.v[v])));
    store_pack(gx + p * c + k, o);
  }
}

bool vec_channels(int64_t c, size_t elem, const void* a, const void* b) {
  const int64_t V = int64_t(16 / elem);
  return c % V == 0 && reinterpret_cast<uintptr_t>(a) % 16 == 0 && reinterpret_cast<uintptr_t>(b) % 16 == 0;
}
}  // namespace

void max_pool2d_forward(DType t, const PoolGeom& g, const void* x, void* y, int32_t* argmax, cudaStream_t s) {
  if (g.kernel == 5 && g.stride == 1 && g.pad == 2) {
    const int64_t strips = (g.w + kStrip - 1) / kStrip, total = g.n * g.h * strips * g.c;
    YE_DISPATCH_FLOAT(t, T, max_pool5_s1_kernel<T><<<grid_for(total), 256, 0, s>>>(
                                g, strips, static_cast<const T*>(x), static_cast<T*>(y), argmax));
    YE_CUDA_LAUNCH_CHECK();
    return;
  }
  int64_t ho = g.ho(), wo = g.wo(), total = g.n * ho * wo * g.c;
  YE_DISPATCH_FLOAT(t, T, max_pool_forward_kernel<T><<<grid_for(total), 256, 0, s>>>(
                              g, ho, wo, static_cast<const T*>(x), static_cast<T*>(y), argmax));
  YE_CUDA_LAUNCH_CHECK();
}

void max_pool2d_backward(DType t, const PoolGeom& g, const void* gy, const int32_t* argmax, void* gx, cudaStream_t s) {
  if (g.kernel == 5 && g.stride == 1 && g.pad == 2 && g.c % 4 == 0 && g.h * g.w <= INT32_MAX &&
      reinterpret_cast<uintptr_t>(argmax) % 16 == 0 && reinterpret_cast<uintptr_t>(gy) % (4 * dtype_size(t)) == 0 &&
      reinterpret_cast<uintptr_t>(gx) % (4 * dtype_size(t)) == 0) {
    const int64_t strips = (g.w + kStrip - 1) / kStrip, total = g.n * g.h * strips * (g.c / 4);
    if (total == 0) return;
    YE_DISPATCH_FLOAT(t, T, max_pool5_s1_backward_kernel<T><<<grid_for(total), 256, 0, s>>>(
                                g, strips, static_cast<const T*>(gy), argmax, static_cast<T*>(gx)));
    YE_CUDA_LAUNCH_CHECK();
    return;
  }
  int64_t ho = g.ho(), wo = g.wo(), total = g.n * g.h * g.w * g.c;
  YE_DISPATCH_FLOAT(t, T, max_pool_backward_kernel<T><<<grid_for(total), 256, 0, s>>>(
                              g, ho, wo, static_cast<const T*>(gy), argmax, static_cast<T*>(gx)));
  YE_CUDA_LAUNCH_CHECK();
}

void upsample_nearest2x_forward(DType t, const void* x, int64_t n, int64_t h, int64_t w, int64_t c, void* y,
                                int64_t row, cudaStream_t s) {
  const bool vec = vec_channels(c, dtype_size(t), x, y) && row % int64_t(16 / dtype_size(t)) == 0;
  YE_DISPATCH_FLOAT(t, T, {
    constexpr int V = int(16 / sizeof(T));
    if (vec)
      upsample_forward_kernel<T, V><<<grid_for(n * 4 * h * w * (c / V)), 256, 0, s>>>(static_cast<const T*>(x), n, h, w,
                                                                                     c, static_cast<T*>(y), row);
    else
      upsample_forward_kernel<T, 1><<<grid_for(n * 4 * h * w * c), 256, 0, s>>>(static_cast<const T*>(x), n, h, w, c,
                                                                                static_cast<T*>(y), row);
  });
  YE_CUDA_LAUNCH_CHECK();
}

void upsample_nearest2x_backward(DType t, const void* gy, int64_t n, int64_t h, int64_t w, int64_t c, void* gx,
                                 int64_t row, cudaStream_t s) {
  const bool vec = vec_channels(c, dtype_size(t), gy, gx) && row % int64_t(16 / dtype_size(t)) == 0;
  YE_DISPATCH_FLOAT(t, T, {
    constexpr int V = int(16 / sizeof(T));
    if (vec)
      upsample_backward_kernel<T, V><<<grid_for(n * h * w * (c / V)), 256, 0, s>>>(static_cast<const T*>(gy), n, h, w,
                                                                                  c, static_cast<T*>(gx), row);
    else
      upsample_backward_kernel<T, 1><<<grid_for(n * h * w * c), 256, 0, s>>>(static_cast<const T*>(gy), n, h, w, c,
                                                                             static_cast<T*>(gx), row);
  });
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

// Vectorised CUDA batch-norm passes (kernels/cuda/batchnorm_vec.h). Elementwise passes: each thread owns
// V = 16 / sizeof(T) consecutive channels (16-byte accesses), keeps their constants in registers and walks
// rows. Partial reductions: blocks of channel tiles x contiguous row shares, one wave of them on the card,
// kUnroll rows in flight per thread, row lanes combined by a fixed tree; per-block sums go to the layout of
// batchnorm_math.cuh, which the final kernels of batchnorm.cu combine in a fixed order (deterministic).
#include <algorithm>
#include <stdexcept>

#include "kernels/cuda/batchnorm_math.cuh"
#include "kernels/cuda/batchnorm_vec.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dtype_cuda.cuh"
#include "kernels/cuda/pack.cuh"

namespace ye::kernels::cuda {
namespace {
using namespace bn;

// Blocks of the statistics reduction resident per SM (register cap 85) and of the backward one (cap 128):
// 768 / 512 threads per SM with 64 / 128 bytes of loads in flight each, well above what it takes to keep
// HBM busy (~20 KB per SM), without spills.
constexpr int kStatsBlocksPerSm = 3, kBackwardBlocksPerSm = 2;

template <typename T, int V, bool Silu, bool Res>
__global__ void __launch_bounds__(kBlock) forward_vec_kernel(const T* __restrict__ x, int64_t rows, int C, BnParams p,
                                                             T* __restrict__ y) {
  const T* res = static_cast<const T*>(p.residual);
  const int groups = C / V, rows_per_block = kBlock / groups;
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
    Pack<T, V> in[kUnroll], rin[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      if (r0 + u * step < rows) {
        in[u] = load_pack<T, V>(x + (r0 + u * step) * C + int64_t(g) * V);
        if constexpr (Res) rin[u] = load_pack<T, V>(res + (r0 + u * step) * p.ld_res + int64_t(g) * V);
      }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (r0 + u * step >= rows) break;
      Pack<T, V> out;
#pragma unroll
      for (int v = 0; v < V; ++v) {
        float z = to_f32(in[u].v[v]) * scale[v] + shift[v];
        out.v[v] = from_f32<T>(Silu ? z * sigmoidf_dev(z) : z);
        if constexpr (Res) out.v[v] = from_f32<T>(__fadd_rn(to_f32(out.v[v]), to_f32(rin[u].v[v])));
      }
      store_pack(y + (r0 + u * step) * p.ld_y + int64_t(g) * V, out);
    }
  }
}

template <typename T, int V, bool Silu>
__global__ void __launch_bounds__(kBlock) backward_input_vec_kernel(const T* __restrict__ x, const T* __restrict__ dy,
                                                                    int64_t rows, int C, BnParams p, bool training,
                                                                    float inv_rows, const float* __restrict__ sum_dz,
                                                                    const float* __restrict__ sum_dz_xhat,
                                                                    T* __restrict__ dx) {
  const int groups = C / V, rows_per_block = kBlock / groups;
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
    Pack<T, V> xin[kUnroll], gin[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u)
      if (r0 + u * step < rows) {
        xin[u] = load_pack<T, V>(x + (r0 + u * step) * C + int64_t(g) * V);
        gin[u] = load_pack<T, V>(dy + (r0 + u * step) * p.ld_dy + int64_t(g) * V);
      }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      if (r0 + u * step >= rows) break;
      Pack<T, V> out;
#pragma unroll
      for (int v = 0; v < V; ++v) {
        float xhat = (to_f32(xin[u].v[v]) - mean[v]) * invstd[v];
        float dz = grad_z<Silu>(to_f32(gin[u].v[v]), xhat * w[v] + b[v]);
        out.v[v] = from_f32<T>(k[v] * (dz - a1[v] - xhat * a2[v]));
      }
      store_pack(dx + (r0 + u * step) * C + int64_t(g) * V, out);
    }
  }
}

// Statistics partials: per block and channel, the sums of d = x - shift and of d*d over the block's rows,
// where shift is the channel's value in row 0 (the same for every block, so the sums add up; shifting
// by a sample keeps the variance E[d^2] - E[d]^2 free of cancellation when |mean| >> std).
template <typename T, int V>
__global__ void __launch_bounds__(kBlock, kStatsBlocksPerSm)
    stats_partial_kernel(const T* __restrict__ x, int64_t rows, int C, TileGeom g, float* __restrict__ part) {
  const int t = threadIdx.x, lane = t / g.tile_groups;
  const int grp = int(blockIdx.x) * g.tile_groups + t % g.tile_groups;
  const bool active = lane < g.lanes && grp < g.groups;
  const int64_t P = gridDim.y, r_end = rows * (blockIdx.y + 1) / P;
  float s1[V], s2[V], shift[V];
#pragma unroll
  for (int v = 0; v < V; ++v) s1[v] = s2[v] = shift[v] = 0.f;
  if (active) {
    const Pack<T, V> sh = load_pack<T, V>(x + int64_t(grp) * V);
#pragma unroll
    for (int v = 0; v < V; ++v) shift[v] = to_f32(sh.v[v]);
    const int64_t lanes = g.lanes;
    for (int64_t r = rows * blockIdx.y / P + lane; r < r_end; r += kUnroll * lanes) {
      Pack<T, V> in[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u)
        if (r + u * lanes < r_end) in[u] = load_pack<T, V>(x + (r + u * lanes) * C + int64_t(grp) * V);
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        if (r + u * lanes >= r_end) break;
#pragma unroll
        for (int v = 0; v < V; ++v) {
          const float d = to_f32(in[u].v[v]) - shift[v];
          s1[v] += d;
          s2[v] = fmaf(d, d, s2[v]);
        }
      }
    }
  }
  reduce_lanes<V>(s1, s2, t, lane, g);
  if (lane != 0 || grp >= g.groups) return;
#pragma unroll
  for (int v = 0; v < V; ++v) {
    const int64_t c = int64_t(grp) * V + v;
    part[int64_t(blockIdx.y) * C + c] = s1[v];
    part[(P + blockIdx.y) * C + c] = s2[v];
    if (blockIdx.y == 0) part[2 * P * C + c] = shift[v];
  }
}

// Backward partials: per block and channel, the sums of dz and dz * xhat over the block's rows.
template <typename T, int V, bool Silu>
__global__ void __launch_bounds__(kBlock, kBackwardBlocksPerSm)
    backward_partial_kernel(const T* __restrict__ x, const T* __restrict__ dy, int64_t rows, int C, TileGeom g,
                            BnParams p, float* __restrict__ part) {
  const int t = threadIdx.x, lane = t / g.tile_groups;
  const int grp = int(blockIdx.x) * g.tile_groups + t % g.tile_groups;
  const bool active = lane < g.lanes && grp < g.groups;
  const int64_t P = gridDim.y, r_end = rows * (blockIdx.y + 1) / P;
  float s1[V], s2[V];
#pragma unroll
  for (int v = 0; v < V; ++v) s1[v] = s2[v] = 0.f;
  if (active) {
    float mean[V], invstd[V], w[V], bias[V];
#pragma unroll
    for (int v = 0; v < V; ++v) {
      const int c = grp * V + v;
      mean[v] = p.mean[c], invstd[v] = p.invstd[c], w[v] = p.weight[c], bias[v] = p.bias[c];
    }
    const int64_t lanes = g.lanes;
    for (int64_t r = rows * blockIdx.y / P + lane; r < r_end; r += kUnroll * lanes) {
      Pack<T, V> xin[kUnroll], gin[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u)
        if (r + u * lanes < r_end) {
          xin[u] = load_pack<T, V>(x + (r + u * lanes) * C + int64_t(grp) * V);
          gin[u] = load_pack<T, V>(dy + (r + u * lanes) * p.ld_dy + int64_t(grp) * V);
        }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        if (r + u * lanes >= r_end) break;
#pragma unroll
        for (int v = 0; v < V; ++v) {
          const float xhat = (to_f32(xin[u].v[v]) - mean[v]) * invstd[v];
          const float dz = grad_z<Silu>(to_f32(gin[u].v[v]), xhat * w[v] + bias[v]);
          s1[v] += dz;
          s2[v] = fmaf(dz, xhat, s2[v]);
        }
      }
    }
  }
  reduce_lanes<V>(s1, s2, t, lane, g);
  if (lane != 0 || grp >= g.groups) return;
#pragma unroll
  for (int v = 0; v < V; ++v) {
    const int64_t c = int64_t(grp) * V + v;
    part[int64_t(blockIdx.y) * C + c] = s1[v];
    part[(P + blockIdx.y) * C + c] = s2[v];
  }
}

int sm_count() {
  int dev = 0, sms = 0;
  YE_CUDA_CHECK(cudaGetDevice(&dev));
  YE_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  return std::max(1, sms);
}

struct ReduceLaunch {
  TileGeom geom;
  dim3 grid;
};

// Channel tiles of at most 32 groups (balanced), and row blocks: enough for one wave of
// blocks_per_sm blocks per SM, fewer when the rows give a thread less than kRowsPerThread rows, at
// most kRowBlocksMax. Depends only on (rows, C, V) and the card, so a call replays identically.
ReduceLaunch reduce_launch(int64_t rows, int64_t C, int V, int blocks_per_sm) {
  TileGeom g{};
  g.groups = int(C / V);
  const int tiles = (g.groups + 31) / 32;
  g.tile_groups = (g.groups + tiles - 1) / tiles;
  g.lanes = kBlock / g.tile_groups;
  const int64_t by_rows = (rows + int64_t(g.lanes) * kRowsPerThread - 1) / (int64_t(g.lanes) * kRowsPerThread);
  const int64_t by_wave = std::max<int64_t>(1, int64_t(sm_count()) * blocks_per_sm / tiles);
  const int64_t P = std::clamp<int64_t>(std::min(by_rows, by_wave), 1, kRowBlocksMax);
  return {g, dim3(unsigned(tiles), unsigned(P))};
}

// 16-byte groups when the channels and pointers allow, else one channel per thread.
template <typename T>
int reduce_width(int64_t C, const void* a, const void* b) {
  constexpr int V = int(16 / sizeof(T));
  return C % V == 0 && aligned16(a) && (!b || aligned16(b)) ? V : 1;
}

// Blocks for the vectorised elementwise passes: about two waves of 256-thread blocks, each thread
// walking at least ~8 rows, so its per-channel set-up (up to 7 x V parameter loads) is amortised.
unsigned vec_grid(int64_t rows, int C, int V) {
  int64_t rows_per_block = kBlock / (C / V);
  int64_t want = (rows + rows_per_block * 8 - 1) / (rows_per_block * 8);
  return unsigned(std::max<int64_t>(1, std::min<int64_t>(want, 2048)));
}
}  // namespace

bool bn_vec_strides_ok(DType t, int64_t ld1, int64_t ld2) {
  const int64_t V = int64_t(16 / dtype_size(t));
  return ld1 % V == 0 && ld2 % V == 0;
}

bool bn_vec_ok(DType t, int64_t C, const void* a, const void* b, const void* c) {
  const int64_t V = int64_t(16 / dtype_size(t));
  return C % V == 0 && C / V <= kBlock && aligned16(a) && (!b || aligned16(b)) && (!c || aligned16(c));
}

int64_t bn_vec_row_blocks_max(int64_t rows) {
  const int64_t per_block = int64_t(kMinLanes) * kRowsPerThread;
  return std::clamp<int64_t>((rows + per_block - 1) / per_block, 1, kRowBlocksMax);
}

int64_t bn_stats_partial_vec(DType t, const void* x, int64_t rows, int64_t C, float* partials, cudaStream_t s) {
  int64_t P = 0;
  YE_DISPATCH_FLOAT(t, T, {
    constexpr int V = int(16 / sizeof(T));
    const bool vec = reduce_width<T>(C, x, nullptr) == V;
    const ReduceLaunch l = reduce_launch(rows, C, vec ? V : 1, kStatsBlocksPerSm);
    P = l.grid.y;
    if (vec)
      stats_partial_kernel<T, V><<<l.grid, kBlock, 0, s>>>(static_cast<const T*>(x), rows, int(C), l.geom, partials);
    else
      stats_partial_kernel<T, 1><<<l.grid, kBlock, 0, s>>>(static_cast<const T*>(x), rows, int(C), l.geom, partials);
  });
  YE_CUDA_LAUNCH_CHECK();
  return P;
}

int64_t bn_backward_partial_vec(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                                float* partials, cudaStream_t s) {
  int64_t P = 0;
  YE_DISPATCH_FLOAT(t, T, {
    constexpr int V = int(16 / sizeof(T));
    const bool vec = reduce_width<T>(C, x, dy) == V && bn_vec_strides_ok(t, p.ld_dy);
    const ReduceLaunch l = reduce_launch(rows, C, vec ? V : 1, kBackwardBlocksPerSm);
    P = l.grid.y;
    const T *xt = static_cast<const T*>(x), *gt = static_cast<const T*>(dy);
    if (vec && p.silu)
      backward_partial_kernel<T, V, true><<<l.grid, kBlock, 0, s>>>(xt, gt, rows, int(C), l.geom, p, partials);
    else if (vec)
      backward_partial_kernel<T, V, false><<<l.grid, kBlock, 0, s>>>(xt, gt, rows, int(C), l.geom, p, partials);
    else if (p.silu)
      backward_partial_kernel<T, 1, true><<<l.grid, kBlock, 0, s>>>(xt, gt, rows, int(C), l.geom, p, partials);
    else
      backward_partial_kernel<T, 1, false><<<l.grid, kBlock, 0, s>>>(xt, gt, rows, int(C), l.geom, p, partials);
  });
  YE_CUDA_LAUNCH_CHECK();
  return P;
}

void bn_forward_vec(DType t, const void* x, int64_t rows, int64_t C, const BnParams& p, void* y, cudaStream_t s) {
  const int V = int(16 / dtype_size(t));
  const unsigned grid = vec_grid(rows, int(C), V);
  YE_DISPATCH_FLOAT(t, T, {
    constexpr int kV = int(16 / sizeof(T));
    const T* xt = static_cast<const T*>(x);
    T* yt = static_cast<T*>(y);
    const bool res = p.residual != nullptr;
    if (p.silu && res)
      forward_vec_kernel<T, kV, true, true><<<grid, kBlock, 0, s>>>(xt, rows, int(C), p, yt);
    else if (p.silu)
      forward_vec_kernel<T, kV, true, false><<<grid, kBlock, 0, s>>>(xt, rows, int(C), p, yt);
    else if (res)
      forward_vec_kernel<T, kV, false, true><<<grid, kBlock, 0, s>>>(xt, rows, int(C), p, yt);
    else
      forward_vec_kernel<T, kV, false, false><<<grid, kBlock, 0, s>>>(xt, rows, int(C), p, yt);
  });
  YE_CUDA_LAUNCH_CHECK();
}

void bn_backward_input_vec(DType t, const void* x, const void* dy, int64_t rows, int64_t C, const BnParams& p,
                           bool training, const float* sum_dz, const float* sum_dz_xhat, void* dx, cudaStream_t s) {
  const int V = int(16 / dtype_size(t));
  const unsigned grid = vec_grid(rows, int(C), V);
  const float inv_rows = 1.0f / float(rows);
  YE_DISPATCH_FLOAT(t, T, {
    constexpr int kV = int(16 / sizeof(T));
    const T *xt = static_cast<const T*>(x), *gt = static_cast<const T*>(dy);
    if (p.silu)
      backward_input_vec_kernel<T, kV, true><<<grid, kBlock, 0, s>>>(xt, gt, rows, int(C), p, training, inv_rows,
                                                                     sum_dz, sum_dz_xhat, static_cast<T*>(dx));
    else
      backward_input_vec_kernel<T, kV, false><<<grid, kBlock, 0, s>>>(xt, gt, rows, int(C), p, training, inv_rows,
                                                                      sum_dz, sum_dz_xhat, static_cast<T*>(dx));
  });
  YE_CUDA_LAUNCH_CHECK();
}

}  // namespace ye::kernels::cuda

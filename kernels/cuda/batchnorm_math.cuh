// Device helpers shared by the batch-norm kernels (batchnorm.cu, batchnorm_vec.cu): SiLU and its
// gradient, the row-block geometry of the two-stage reductions and its fixed-order block reduction
// over row lanes, and the partial-sum layout both stages agree on.
#pragma once
#include <cstdint>

namespace ye::kernels::cuda::bn {

constexpr int kBlock = 256;            // threads of every batch-norm kernel but the final reductions
constexpr int kUnroll = 4;             // rows each thread loads before computing (memory-level parallelism)
constexpr int kRowBlocksMax = 1024;    // at most this many row blocks of partials per reduction
constexpr int kMinLanes = 8;           // a block has at least 8 row lanes (at most 32 channel groups)
constexpr int kRowsPerThread = 16;     // a reduction thread walks at least ~16 rows

__device__ __forceinline__ float sigmoidf_dev(float z) { return __fdividef(1.0f, 1.0f + __expf(-z)); }

template <bool Silu>
__device__ __forceinline__ float grad_z(float dy, float z) {
  if constexpr (!Silu) {
    return dy;
  } else {
    float s = sigmoidf_dev(z);
    return dy * s * (1.0f + z * (1.0f - s));
  }
}

// Geometry of a partial reduction over (rows, C) in groups of V consecutive channels: blockIdx.x is a
// channel tile of tile_groups groups, blockIdx.y a contiguous share of the rows; thread t owns group
// blockIdx.x * tile_groups + t % tile_groups and walks row lane t / tile_groups of the block's share.
struct TileGeom {
  int groups;       // C / V
  int tile_groups;  // groups per block, <= 32
  int lanes;        // kBlock / tile_groups row lanes (threads t >= lanes * tile_groups idle)
};

// Partials of one reduction with P row blocks (floats): the first sums at [p * C + c] for p < P, the
// second at [P * C + p * C + c], then (statistics only) the per-channel shift at [2 * P * C + c].

// Sums a[] and b[] of the row lanes sharing a channel group, by a fixed tree in shared memory; the
// result lands in lane 0's registers. Every thread of the block must call it.
template <int V>
__device__ __forceinline__ void reduce_lanes(float (&a)[V], float (&b)[V], int t, int lane, const TileGeom& g) {
  __shared__ float sa[kBlock * V], sb[kBlock * V];
#pragma unroll
  for (int v = 0; v < V; ++v) sa[t * V + v] = a[v], sb[t * V + v] = b[v];
  __syncthreads();
  for (int step = 1; step < g.lanes; step *= 2) {
    if (lane % (2 * step) == 0 && lane + step < g.lanes) {
      const int o = (t + step * g.tile_groups) * V;
#pragma unroll
      for (int v = 0; v < V; ++v) sa[t * V + v] += sa[o + v], sb[t * V + v] += sb[o + v];
    }
    __syncthreads();
  }
#pragma unroll
  for (int v = 0; v < V; ++v) a[v] = sa[t * V + v], b[v] = sb[t * V + v];
}

inline bool aligned16(const void* ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15u) == 0; }

}  // namespace ye::kernels::cuda::bn

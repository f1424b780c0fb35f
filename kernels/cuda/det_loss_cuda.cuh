// Internal pieces of the CUDA detection loss: the workspace carved out of the caller's buffer, the
// launchers of the assigner stage (det_loss_assign.cu) and of the loss/gradient stage
// (det_loss_compute.cu), and the 16-value vector loads/stores of one box side.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/dtype_cuda.cuh"
#include "kernels/det_loss.h"

namespace ye::kernels::cuda::detloss_impl {

constexpr int kBlock = 256;
constexpr int kReduceBlocks = 1024;  // fixed grid of the reducing kernels: deterministic partial sums

struct Workspace {
  float* gt;                // (B, M, 5) cls, x1, y1, x2, y2 in pixels; zero rows are padding
  int32_t* counts;          // (B) boxes per image in the targets (uncapped)
  float* pred_box;          // (B, A, 4) decoded xyxy in grid units (f32 from a double decode)
  int32_t* claims;          // (B, A) GTs whose top-k picked the anchor inside their box
  int32_t* first_claim;     // (B, A) smallest such GT row
  int32_t* assigned;        // (B, A) GT row after conflict resolution, -1 = background
  float* align;             // (B, A) alignment metric of the assigned GT
  float* overlap;           // (B, A) CIoU of the assigned GT
  uint32_t* pos_align;      // (B, M) max alignment over a GT's anchors (f32 bits, non-negative)
  uint32_t* pos_overlap;    // (B, M) max overlap over a GT's anchors
  float* norm;              // (B, A) target score of the assigned class
  float* partials;          // (4, kReduceBlocks): target-score sum, cls, iou, dfl partial sums
  float* scalars;           // (4): target_scores_sum (>= 1), gradient factors of box, cls, dfl
};

Workspace carve_workspace(const DetLossShape& s, void* base, size_t* bytes_needed);

void launch_assign(const DetLossShape& s, const DetLossParams& p, const DetLossInputs& in, const DetLossOutputs& out,
                   const Workspace& ws, cudaStream_t stream);
void launch_loss(const DetLossShape& s, const DetLossParams& p, const DetLossInputs& in, const DetLossOutputs& out,
                 const Workspace& ws, cudaStream_t stream);

// 16 consecutive values (one side of the box distribution; 16-byte aligned) as f32.
template <class T>
__device__ __forceinline__ void load16(const T* src, float* dst) {
  constexpr int kPerVec = 16 / sizeof(T);
  const uint4* v = reinterpret_cast<const uint4*>(src);
#pragma unroll
  for (int q = 0; q < 16 / kPerVec; ++q) {
    const uint4 raw = v[q];
    const T* e = reinterpret_cast<const T*>(&raw);
#pragma unroll
    for (int j = 0; j < kPerVec; ++j) dst[q * kPerVec + j] = to_f32<T>(e[j]);
  }
}

template <class T>
__device__ __forceinline__ void store16(T* dst, const float* src) {
  constexpr int kPerVec = 16 / sizeof(T);
  uint4* v = reinterpret_cast<uint4*>(dst);
#pragma unroll
  for (int q = 0; q < 16 / kPerVec; ++q) {
    uint4 raw;
    T* e = reinterpret_cast<T*>(&raw);
#pragma unroll
    for (int j = 0; j < kPerVec; ++j) e[j] = from_f32<T>(src[q * kPerVec + j]);
    v[q] = raw;
  }
}

}  // namespace ye::kernels::cuda::detloss_impl

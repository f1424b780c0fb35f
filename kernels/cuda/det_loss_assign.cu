// CUDA assigner stage of the detection loss, all on the device: group_targets (block per image, ordered
// block scan), decode_boxes (DFL expectation), topk_per_gt (block per GT: block top-k of the positive
// alignment metrics plus the reference's CPU tie rule for zero metrics), resolve_conflicts (per anchor:
// max-overlap GT among all rows), normalize (target scores and their partial sums).
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/det_loss_cuda.cuh"
#include "kernels/det_loss_topk.h"

namespace ye::kernels::cuda::detloss_impl {
namespace {

using kernels::detloss::Box;
using kernels::detloss::ScoredIndex;
using kernels::detloss::TaskMetric;
namespace dl = kernels::detloss;

struct MaxU64 {
  __device__ unsigned long long operator()(unsigned long long a, unsigned long long b) const { return a > b ? a : b; }
};
struct SumInt {
  __device__ int operator()(int a, int b) const { return a + b; }
};
struct SumFloat {
  __device__ float operator()(float a, float b) const { return a + b; }
};

__global__ void group_targets_kernel(const float* targets, int n, int M, float img_w, float img_h, float* gt,
                                     int32_t* counts) {
  using Scan = cub::BlockScan<int, kBlock>;
  __shared__ typename Scan::TempStorage scan_tmp;
  __shared__ int base;
  const int b = blockIdx.x, tid = threadIdx.x;
  float* out = gt + size_t(b) * M * 5;
  for (int i = tid; i < M * 5; i += kBlock) out[i] = 0.0f;
  if (tid == 0) base = 0;
  __syncthreads();
  for (int start = 0; start < n; start += kBlock) {
    const int r = start + tid;
    const float* row = targets + size_t(r) * kDetTargetCols;
    const int flag = r < n && row[0] == float(b) ? 1 : 0;
    int pos, total;
    Scan(scan_tmp).ExclusiveSum(flag, pos, total);
    pos += base;
    if (flag && pos < M) {
      const Box box = dl::target_box_pixels(row[2], row[3], row[4], row[5], img_w, img_h);
      float* o = out + size_t(pos) * 5;
      o[0] = row[1];
      o[1] = box.x1;
      o[2] = box.y1;
      o[3] = box.x2;
      o[4] = box.y2;
    }
    __syncthreads();
    if (tid == 0) base += total;
    __syncthreads();
  }
  if (tid == 0) counts[b] = base;
}

template <class T>
__global__ void decode_boxes_kernel(const T* distri, const float* anchors, int A, int64_t n, float* pred_box) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ba = i >> 2;
    const int side = int(i & 3), a = int(ba % A);
    float z[16];
    load16(distri + ba * kDetBoxChannels + side * 16, z);
    const float d = dl::decode_side(z);
    const float c = anchors[2 * a + (side & 1)];
    pred_box[i] = side < 2 ? dl::fsub(c, d) : dl::fadd(c, d);
  }
}

// The assigner's (GT g, anchor a) quantities for one image, bit-identical to the CPU twin's.
template <class T>
struct ImageMetric {
  const float* gt;        // (M, 5)
  const float* pred_box;  // (A, 4) grid units
  const T* scores;        // (A, nc)
  const float* anchors;
  const float* strides;
  int nc;
  float alpha, beta;

  __device__ Box gt_box(int g) const {
    const float* r = gt + size_t(g) * 5;
    return {r[1], r[2], r[3], r[4]};
  }
  __device__ TaskMetric operator()(int g, int a) const {
    const Box box = gt_box(g);
    const float s = strides[a];
    const float ax = dl::fmul(anchors[2 * a], s), ay = dl::fmul(anchors[2 * a + 1], s);
    const float d = dl::fmin2(dl::fmin2(dl::fsub(ax, box.x1), dl::fsub(ay, box.y1)),
                              dl::fmin2(dl::fsub(box.x2, ax), dl::fsub(box.y2, ay)));
    if (!(d > 1e-9f) || !dl::target_is_valid(box)) return {false, 0.0f, 0.0f};
    const float* p = pred_box + size_t(a) * 4;
    const Box pred = {dl::fmul(p[0], s), dl::fmul(p[1], s), dl::fmul(p[2], s), dl::fmul(p[3], s)};
    const int cls = min(max(int(gt[size_t(g) * 5]), 0), nc - 1);
    const float prob = dl::sigmoid_f32(to_f32<T>(scores[size_t(a) * nc + cls]));
    return dl::task_metric(box, true, ax, ay, pred, prob, alpha, beta);
  }
};

template <class T>
__device__ ImageMetric<T> image_metric(const Workspace& ws, const T* scores, const float* anchors, const float* strides,
                                       int b, int A, int M, int nc, float alpha, float beta) {
  return {ws.gt + size_t(b) * M * 5, ws.pred_box + size_t(b) * A * 4, scores + size_t(b) * A * nc, anchors, strides,
          nc, alpha, beta};
}

// One block per (image, GT row). Selects the GT's top-k anchors by alignment metric with the index set of
// the reference's CPU torch.topk, then claims those inside the box.
template <class T>
__global__ void __launch_bounds__(kBlock) topk_per_gt_kernel(Workspace ws, const T* scores, const float* anchors,
                                                            const float* strides, int A, int M, int nc, int k,
                                                            float alpha, float beta) {
  using ReduceKey = cub::BlockReduce<unsigned long long, kBlock>;
  using ReduceInt = cub::BlockReduce<int, kBlock>;
  __shared__ union {
    typename ReduceKey::TempStorage key;
    typename ReduceInt::TempStorage count;
  } tmp;
  __shared__ ScoredIndex entries[kDetMaxTopk * 64];
  __shared__ unsigned long long best_keys[kDetMaxTopk];
  __shared__ unsigned long long broadcast;
  __shared__ int selected[kDetMaxTopk];
  __shared__ int n_positive;

  const int b = blockIdx.x / M, g = blockIdx.x % M, tid = threadIdx.x;
  const ImageMetric<T> metric = image_metric(ws, scores, anchors, strides, b, A, M, nc, alpha, beta);
  if (g >= min(ws.counts[b], M) || !dl::target_is_valid(metric.gt_box(g))) return;  // uniform per block

  if (int64_t(k) * 64 > A) {
    // Small A: the reference runs nth_element over all A values; replay it on one thread.
    for (int a = tid; a < A; a += kBlock) entries[a] = {metric(g, a).align, a};
    __syncthreads();
    if (tid == 0) {
      dl::topk_select_reference(entries, A, k);
      for (int j = 0; j < k; ++j) selected[j] = entries[j].index;
    }
  } else {
    // Large A (partial_sort in the reference): block top-k over the positive metrics (key = value bits,
    // then lower index first). Zero metrics only enter when fewer than k are positive: then the
    // reference's heap over the first k anchors decides which zeros stay, replayed on one thread.
    unsigned long long top[kDetMaxTopk];
    int n = 0, positives = 0;
    for (int a = tid; a < A; a += kBlock) {
      const TaskMetric m = metric(g, a);
      if (!(m.align > 0.0f)) continue;
      ++positives;
      const unsigned long long key = (static_cast<unsigned long long>(__float_as_uint(m.align)) << 32) |
                                     static_cast<unsigned int>(~a);
      if (n < k || key > top[n - 1]) {
        int j = n < k ? n++ : k - 1;
        while (j > 0 && top[j - 1] < key) {
          top[j] = top[j - 1];
          --j;
        }
        top[j] = key;
      }
    }
    const int total = ReduceInt(tmp.count).Reduce(positives, SumInt());
    if (tid == 0) n_positive = total;
    __syncthreads();
    int ptr = 0;
    for (int r = 0; r < k; ++r) {
      const unsigned long long head = ptr < n ? top[ptr] : 0ull;
      const unsigned long long best = ReduceKey(tmp.key).Reduce(head, MaxU64());
      if (tid == 0) broadcast = best;
      __syncthreads();
      const unsigned long long winner = broadcast;
      if (winner != 0ull && head == winner) ++ptr;
      if (tid == 0) best_keys[r] = winner;
      __syncthreads();
      if (winner == 0ull) break;
    }
    if (tid == 0) {
      const int m = min(n_positive, k);
      if (m >= k) {
        for (int j = 0; j < k; ++j) selected[j] = int(~static_cast<unsigned int>(best_keys[j]));
      } else {
        int cnt = k;
        for (int i = 0; i < k; ++i) entries[i] = {metric(g, i).align, i};
        for (int j = 0; j < m; ++j) {
          const int a = int(~static_cast<unsigned int>(best_keys[j]));
          if (a >= k) entries[cnt++] = {__uint_as_float(static_cast<unsigned int>(best_keys[j] >> 32)), a};
        }
        // positives after the first k, in index order, as the reference's heap scan meets them
        dl::insertion_sort_by_index(entries + k, cnt - k);
        dl::heap_select(entries, k, cnt);
        for (int j = 0; j < k; ++j) selected[j] = entries[j].index;
      }
    }
  }
  __syncthreads();
  if (tid < k) {
    const int a = selected[tid];
    if (metric(g, a).in_box) {
      atomicAdd(ws.claims + size_t(b) * A + a, 1);
      atomicMin(ws.first_claim + size_t(b) * A + a, g);
    }
  }
}

// Per anchor: the GT it is assigned to (max overlap over all rows when several claimed it), its metrics,
// and the per-GT maxima used by the normalisation.
template <class T>
__global__ void resolve_conflicts_kernel(Workspace ws, const T* scores, const float* anchors, const float* strides,
                                         int B, int A, int M, int nc, float alpha, float beta) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < int64_t(B) * A;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int b = int(i / A), a = int(i % A);
    const int c = ws.claims[i];
    int g = -1;
    TaskMetric m = {false, 0.0f, 0.0f};
    if (c > 0) {
      const ImageMetric<T> metric = image_metric(ws, scores, anchors, strides, b, A, M, nc, alpha, beta);
      g = ws.first_claim[i];
      if (c > 1) {
        float best = -1.0f;
        for (int r = 0; r < M; ++r) {
          const float u = metric(r, a).overlap;
          if (u > best) best = u, g = r;
        }
      }
      m = metric(g, a);
      atomicMax(ws.pos_align + size_t(b) * M + g, __float_as_uint(m.align));
      atomicMax(ws.pos_overlap + size_t(b) * M + g, __float_as_uint(m.overlap));
    }
    ws.assigned[i] = g;
    ws.align[i] = m.align;
    ws.overlap[i] = m.overlap;
  }
}

__global__ void normalize_kernel(Workspace ws, int B, int A, int M, float eps, int32_t* assigned_out, float* norm_out) {
  using Reduce = cub::BlockReduce<float, kBlock>;
  __shared__ typename Reduce::TempStorage tmp;
  float local = 0.0f;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < int64_t(B) * A;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int g = ws.assigned[i];
    float v = 0.0f;
    if (g >= 0) {
      const size_t bg = size_t(i / A) * M + g;
      v = dl::fdiv(dl::fmul(ws.align[i], __uint_as_float(ws.pos_overlap[bg])),
                   dl::fadd(__uint_as_float(ws.pos_align[bg]), eps));
    }
    ws.norm[i] = v;
    local += v;
    if (assigned_out) assigned_out[i] = g;
    if (norm_out) norm_out[i] = v;
  }
  const float sum = Reduce(tmp).Reduce(local, SumFloat());
  if (threadIdx.x == 0) ws.partials[blockIdx.x] = sum;
}

}  // namespace

void launch_assign(const DetLossShape& s, const DetLossParams& p, const DetLossInputs& in, const DetLossOutputs& out,
                   const Workspace& ws, cudaStream_t stream) {
  const int B = s.batch, A = s.anchors, M = s.max_boxes, nc = s.classes;
  const size_t ba = size_t(B) * A;
  YE_CUDA_CHECK(cudaMemsetAsync(ws.claims, 0, ba * sizeof(int32_t), stream));
  YE_CUDA_CHECK(cudaMemsetAsync(ws.first_claim, 0x7f, ba * sizeof(int32_t), stream));
  if (M > 0) {
    YE_CUDA_CHECK(cudaMemsetAsync(ws.pos_align, 0, size_t(B) * M * sizeof(uint32_t), stream));
    YE_CUDA_CHECK(cudaMemsetAsync(ws.pos_overlap, 0, size_t(B) * M * sizeof(uint32_t), stream));
  }
  group_targets_kernel<<<B, kBlock, 0, stream>>>(in.targets, in.num_targets, M, float(s.img_w), float(s.img_h), ws.gt,
                                                 ws.counts);
  YE_CUDA_CHECK(cudaGetLastError());
  if (out.box_counts) {
    YE_CUDA_CHECK(cudaMemcpyAsync(out.box_counts, ws.counts, B * sizeof(int32_t), cudaMemcpyDeviceToDevice, stream));
  }
  YE_DISPATCH_FLOAT(in.dtype, T, {
    const T* distri = static_cast<const T*>(in.pred_distri);
    const T* scores = static_cast<const T*>(in.pred_scores);
    decode_boxes_kernel<T><<<grid_for(int64_t(ba) * 4), kBlock, 0, stream>>>(distri, in.anchors, A, int64_t(ba) * 4,
                                                                            ws.pred_box);
    YE_CUDA_CHECK(cudaGetLastError());
    if (M > 0) {
      topk_per_gt_kernel<T><<<B * M, kBlock, 0, stream>>>(ws, scores, in.anchors, in.strides, A, M, nc, p.topk,
                                                          p.alpha, p.beta);
      YE_CUDA_CHECK(cudaGetLastError());
    }
    resolve_conflicts_kernel<T><<<grid_for(int64_t(ba)), kBlock, 0, stream>>>(ws, scores, in.anchors, in.strides, B,
                                                                             A, M, nc, p.alpha, p.beta);
    YE_CUDA_CHECK(cudaGetLastError());
  });
  normalize_kernel<<<kReduceBlocks, kBlock, 0, stream>>>(ws, B, A, M, p.eps, out.assigned_gt, out.target_norm);
  YE_CUDA_CHECK(cudaGetLastError());
}

}  // namespace ye::kernels::cuda::detloss_impl

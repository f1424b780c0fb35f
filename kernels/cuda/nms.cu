// CUDA NMS of Detect eval outputs (see kernels/cuda/nms_cuda.h): emit_candidates (per-image atomics,
// 64-bit keys = ~bits(score) << 32 | anchor * nc + class), cub segmented sort per image, then
// nms_tiles: one block per image, 256-box tiles checked against the kept list and resolved in-tile with
// an IoU bitmask. Arithmetic uses _rn intrinsics so no FMA contraction changes a bit versus the CPU twin.
#include <cub/device/device_segmented_sort.cuh>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/dtype_cuda.cuh"
#include "kernels/cuda/nms_cuda.h"

namespace ye::kernels::cuda {
namespace {

constexpr int kTile = 256;
constexpr int kTileWords = kTile / 64;
constexpr size_t kStaticSmem = kTile * (sizeof(float4) + sizeof(float) + sizeof(int)) +
                               kTile * kTileWords * sizeof(uint64_t) + 64;

struct PredView {
  int C, A;
  bool channels_first;
  __device__ int64_t at(int b, int ch, int a) const {
    return channels_first ? (int64_t(b) * C + ch) * A + a : (int64_t(b) * A + a) * C + ch;
  }
};

template <typename T>
__device__ __forceinline__ float round_to(float v) {
  return to_f32<T>(from_f32<T>(v));
}

// xyxy of anchor a, rounded to T after each step as the reference's in-dtype xywh2xyxy.
template <typename T>
__device__ float4 load_xyxy(const T* p, const PredView& v, int b, int a) {
  float cx = to_f32(p[v.at(b, 0, a)]), cy = to_f32(p[v.at(b, 1, a)]);
  float hw = round_to<T>(__fdiv_rn(to_f32(p[v.at(b, 2, a)]), 2.f));
  float hh = round_to<T>(__fdiv_rn(to_f32(p[v.at(b, 3, a)]), 2.f));
  return make_float4(round_to<T>(__fsub_rn(cx, hw)), round_to<T>(__fsub_rn(cy, hh)), round_to<T>(__fadd_rn(cx, hw)),
                     round_to<T>(__fadd_rn(cy, hh)));
}

__device__ __forceinline__ float max_ref(float a, float b) { return a < b ? b : a; }
__device__ __forceinline__ float min_ref(float a, float b) { return b < a ? b : a; }

// torchvision's CPU IoU test: f32 arithmetic, f64 comparison, strict greater; a is the earlier box.
__device__ __forceinline__ bool suppresses(float4 a, float area_a, float4 b, float area_b, double thr) {
  float w = max_ref(0.f, __fsub_rn(min_ref(a.z, b.z), max_ref(a.x, b.x)));
  float h = max_ref(0.f, __fsub_rn(min_ref(a.w, b.w), max_ref(a.y, b.y)));
  float inter = __fmul_rn(w, h);
  float ovr = __fdiv_rn(inter, __fsub_rn(__fadd_rn(area_a, area_b), inter));
  return double(ovr) > thr;
}

__device__ __forceinline__ uint64_t make_key(float score, uint32_t emit) {
  return (uint64_t(~__float_as_uint(score)) << 32) | emit;
}

template <typename T>
__global__ void emit_candidates(const T* preds, PredView v, int nc, bool multi, float conf, uint64_t* keys,
                                int64_t cap, int* counts) {
  const int b = blockIdx.y, a = blockIdx.x * blockDim.x + threadIdx.x;
  int n = 0, best_c = -1;
  float best = 0.f;
  if (a < v.A) {
    for (int c = 0; c < nc; ++c) {
      float s = to_f32(preds[v.at(b, 4 + c, a)]);
      if (best_c < 0 || s > best) best = s, best_c = c;
    }
    if (best > conf) {
      if (!multi) n = 1;
      else
        for (int c = 0; c < nc; ++c) n += to_f32(preds[v.at(b, 4 + c, a)]) > conf;
    }
  }
  const int lane = threadIdx.x & 31;
  int incl = n;
  for (int off = 1; off < 32; off <<= 1) {
    int y = __shfl_up_sync(0xffffffffu, incl, off);
    if (lane >= off) incl += y;
  }
  const int total = __shfl_sync(0xffffffffu, incl, 31);
  int base = 0;
  if (lane == 31 && total > 0) base = atomicAdd(counts + b, total);
  base = __shfl_sync(0xffffffffu, base, 31);
  if (n == 0) return;
  uint64_t* out = keys + int64_t(b) * cap + base + (incl - n);
  if (!multi) {
    out[0] = make_key(best, uint32_t(a) * uint32_t(nc) + uint32_t(best_c));
    return;
  }
  int k = 0;
  for (int c = 0; c < nc; ++c) {
    float s = to_f32(preds[v.at(b, 4 + c, a)]);
    if (s > conf) out[k++] = make_key(s, uint32_t(a) * uint32_t(nc) + uint32_t(c));
  }
}

__global__ void segment_offsets(const int* counts, int B, int64_t cap, int64_t* begin, int64_t* end) {
  int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < B) begin[b] = int64_t(b) * cap, end[b] = int64_t(b) * cap + counts[b];
}

struct NmsArgs {
  PredView v;
  int nc, max_nms, max_det;
  float max_wh;
  bool agnostic;
  double thr;
  int64_t cap;
};

template <typename T>
__global__ void __launch_bounds__(kTile) nms_tiles(const T* preds, NmsArgs g, const uint64_t* sorted,
                                                   const int* cand_counts, float* out, int32_t* counts,
                                                   int32_t* anchor_idx) {
  extern __shared__ __align__(16) unsigned char dyn[];
  float4* kbox = reinterpret_cast<float4*>(dyn);
  float* karea = reinterpret_cast<float*>(kbox + g.max_det);
  int* kpos = reinterpret_cast<int*>(karea + g.max_det);
  __shared__ float4 tbox[kTile];
  __shared__ float tarea[kTile];
  __shared__ int alive[kTile];
  __shared__ uint64_t mask[kTile][kTileWords];
  __shared__ int nkept;

  const int b = blockIdx.x, tid = threadIdx.x;
  const uint64_t* keys = sorted + int64_t(b) * g.cap;
  const int n = min(cand_counts[b], g.max_nms);
  if (tid == 0) nkept = 0;
  __syncthreads();
  for (int start = 0; start < n; start += kTile) {
    const int kept_now = nkept;
    if (kept_now >= g.max_det) break;
    const int i = start + tid;
    bool live = i < n;
    float4 bx = make_float4(0.f, 0.f, 0.f, 0.f);
    float area = 0.f;
    if (live) {
      uint32_t emit = uint32_t(keys[i]);
      int a = int(emit / uint32_t(g.nc)), c = int(emit % uint32_t(g.nc));
      bx = load_xyxy(preds, g.v, b, a);
      float off = g.agnostic ? 0.f : __fmul_rn(float(c), g.max_wh);
      bx = make_float4(__fadd_rn(bx.x, off), __fadd_rn(bx.y, off), __fadd_rn(bx.z, off), __fadd_rn(bx.w, off));
      area = __fmul_rn(__fsub_rn(bx.z, bx.x), __fsub_rn(bx.w, bx.y));
      for (int q = 0; q < kept_now; ++q)
        if (suppresses(kbox[q], karea[q], bx, area, g.thr)) {
          live = false;
          break;
        }
    }
    tbox[tid] = bx;
    tarea[tid] = area;
    alive[tid] = live;
    __syncthreads();
    uint64_t m[kTileWords] = {};
    if (live)
      for (int j = tid + 1; j < kTile; ++j)
        if (alive[j] && suppresses(bx, area, tbox[j], tarea[j], g.thr)) m[j >> 6] |= 1ull << (j & 63);
    for (int w = 0; w < kTileWords; ++w) mask[tid][w] = m[w];
    __syncthreads();
    if (tid == 0) {
      uint64_t removed[kTileWords] = {};
      int nk = kept_now;
      for (int j = 0; j < kTile && nk < g.max_det; ++j) {
        if (!alive[j] || ((removed[j >> 6] >> (j & 63)) & 1ull)) continue;
        kbox[nk] = tbox[j];
        karea[nk] = tarea[j];
        kpos[nk] = start + j;
        ++nk;
        for (int w = 0; w < kTileWords; ++w) removed[w] |= mask[j][w];
      }
      nkept = nk;
    }
    __syncthreads();
  }
  const int nk = nkept;
  for (int r = tid; r < nk; r += kTile) {
    uint64_t key = keys[kpos[r]];
    uint32_t emit = uint32_t(key);
    int a = int(emit / uint32_t(g.nc)), c = int(emit % uint32_t(g.nc));
    float4 bx = load_xyxy(preds, g.v, b, a);
    float* row = out + (int64_t(b) * g.max_det + r) * kNmsRow;
    row[0] = bx.x, row[1] = bx.y, row[2] = bx.z, row[3] = bx.w;
    row[4] = __uint_as_float(~uint32_t(key >> 32));
    row[5] = float(c);
    if (anchor_idx) anchor_idx[int64_t(b) * g.max_det + r] = a;
  }
  if (tid == 0) counts[b] = nk;
}

struct Layout {
  int64_t cap = 0, total = 0;
  size_t keys0 = 0, keys1 = 0, counts = 0, begin = 0, end = 0, temp = 0, temp_bytes = 0, bytes = 0;
};

size_t align256(size_t x) { return (x + 255) & ~size_t(255); }

Layout layout_for(const NmsShape& s, const NmsConfig& cfg) {
  Layout l;
  const bool multi = cfg.multi_label && s.nc > 1;
  l.cap = int64_t(s.anchors) * (multi ? s.nc : 1);
  l.total = l.cap * s.batch;
  size_t off = 0;
  auto take = [&](size_t bytes) {
    size_t at = off;
    off = align256(off + bytes);
    return at;
  };
  l.keys0 = take(size_t(l.total) * 8);
  l.keys1 = take(size_t(l.total) * 8);
  l.counts = take(size_t(s.batch) * 4);
  l.begin = take(size_t(s.batch) * 8);
  l.end = take(size_t(s.batch) * 8);
  cub::DoubleBuffer<uint64_t> keys(nullptr, nullptr);
  YE_CUDA_CHECK(cub::DeviceSegmentedSort::SortKeys(nullptr, l.temp_bytes, keys, l.total, s.batch,
                                                   static_cast<int64_t*>(nullptr), static_cast<int64_t*>(nullptr)));
  l.temp = take(l.temp_bytes);
  l.bytes = off;
  return l;
}

void check_args(const NmsShape& s, const NmsConfig& cfg) {
  YE_CHECK(s.batch >= 0 && s.anchors >= 0 && s.nc >= 1, "cuda::nms_detect: bad shape (batch ", s.batch, ", nc ",
           s.nc, ", anchors ", s.anchors, ")");
  YE_CHECK(int64_t(s.anchors) * s.nc < (int64_t(1) << 32), "cuda::nms_detect: anchors * nc must fit 32 bits");
  YE_CHECK(cfg.max_det >= 0 && cfg.max_nms >= 0, "cuda::nms_detect: max_det and max_nms must be >= 0");
  YE_CHECK(cfg.conf_thres >= 0.f && cfg.conf_thres <= 1.f, "cuda::nms_detect: conf_thres must be in [0, 1]");
  YE_CHECK(cfg.iou_thres >= 0.f && cfg.iou_thres <= 1.f, "cuda::nms_detect: iou_thres must be in [0, 1]");
}

}  // namespace

size_t nms_workspace_bytes(const NmsShape& shape, const NmsConfig& cfg) {
  check_args(shape, cfg);
  return layout_for(shape, cfg).bytes;
}

void nms_detect(const void* preds, DType dtype, const NmsShape& shape, const NmsConfig& cfg, void* workspace,
                size_t workspace_bytes, float* out, int32_t* counts, int32_t* anchor_idx, cudaStream_t stream) {
  check_args(shape, cfg);
  if (shape.batch == 0) return;
  const Layout l = layout_for(shape, cfg);
  YE_CHECK(workspace_bytes >= l.bytes, "cuda::nms_detect: workspace of ", workspace_bytes, " bytes, needs ", l.bytes);
  const size_t dyn_smem = size_t(cfg.max_det) * (sizeof(float4) + sizeof(float) + sizeof(int));
  YE_CHECK(dyn_smem + kStaticSmem <= 200 * 1024, "cuda::nms_detect: max_det ", cfg.max_det, " too large (kept list ",
           "lives in shared memory)");
  auto* base = static_cast<unsigned char*>(workspace);
  auto* keys0 = reinterpret_cast<uint64_t*>(base + l.keys0);
  auto* keys1 = reinterpret_cast<uint64_t*>(base + l.keys1);
  auto* cand_counts = reinterpret_cast<int*>(base + l.counts);
  auto* begin = reinterpret_cast<int64_t*>(base + l.begin);
  auto* end = reinterpret_cast<int64_t*>(base + l.end);
  const bool multi = cfg.multi_label && shape.nc > 1;
  const PredView v{4 + shape.nc, shape.anchors, shape.layout == PredLayout::channels_first};
  const NmsArgs g{v, shape.nc, cfg.max_nms, cfg.max_det, cfg.max_wh, cfg.agnostic, double(cfg.iou_thres), l.cap};

  YE_CUDA_CHECK(cudaMemsetAsync(cand_counts, 0, size_t(shape.batch) * 4, stream));
  YE_DISPATCH_FLOAT(dtype, T, {
    if (shape.anchors > 0) {
      dim3 grid(unsigned((shape.anchors + 255) / 256), unsigned(shape.batch));
      emit_candidates<T><<<grid, 256, 0, stream>>>(static_cast<const T*>(preds), v, shape.nc, multi,
                                                    cfg.conf_thres, keys0, l.cap, cand_counts);
      YE_CUDA_LAUNCH_CHECK();
    }
    segment_offsets<<<unsigned((shape.batch + 255) / 256), 256, 0, stream>>>(cand_counts, shape.batch, l.cap, begin,
                                                                             end);
    YE_CUDA_LAUNCH_CHECK();
    cub::DoubleBuffer<uint64_t> keys(keys0, keys1);
    size_t temp_bytes = l.temp_bytes;
    if (l.total > 0)
      YE_CUDA_CHECK(cub::DeviceSegmentedSort::SortKeys(base + l.temp, temp_bytes, keys, l.total, shape.batch, begin,
                                                       end, stream));
    auto kernel = nms_tiles<T>;
    if (dyn_smem > 48 * 1024)
      YE_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(dyn_smem)));
    kernel<<<unsigned(shape.batch), kTile, dyn_smem, stream>>>(static_cast<const T*>(preds), g, keys.Current(),
                                                               cand_counts, out, counts, anchor_idx);
    YE_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ye::kernels::cuda

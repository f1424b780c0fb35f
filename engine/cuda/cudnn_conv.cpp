// cuDNN convolution plans (descriptors + searched algorithms) per device and the three conv directions.
// Pointwise convolutions (1x1, stride 1, no padding, one group) are GEMMs over the NHWC rows: the search
// times that cuBLAS GEMM beside cuDNN's algorithms and keeps the faster (cuDNN picked a generic kernel at
// ~230 GB/s for Detect's last 1x1 convolutions on an H100). Strided plans race packing the same way.
#include "engine/cuda/cudnn_conv.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "engine/cuda/gemm.h"
#include "kernels/cuda/cuda_check.h"

namespace ye::cuda {
namespace {

cudnnDataType_t cudnn_dtype(DType t) {
  switch (t) {
    case DType::f32: return CUDNN_DATA_FLOAT;
    case DType::f16: return CUDNN_DATA_HALF;
    case DType::bf16: return CUDNN_DATA_BFLOAT16;
    default: YE_FAIL("cuDNN convolution supports f32, f16 and bf16, got ", dtype_name(t));
  }
}

using PlanKey = std::tuple<int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                           int, bool, int64_t, int64_t>;

PlanKey make_key(const kernels::ConvGeom& g, DType t, bool tf32, ConvRows r) {
  return {g.n, g.h, g.w, g.c, g.o, g.kh, g.kw, g.stride, g.pad, g.groups, int(t), tf32, r.x, r.dy};
}

// An NHWC descriptor: packed, or pixels `row` elements apart (a channel slice of wider rows).
void set_nhwc(cudnnTensorDescriptor_t d, cudnnDataType_t dt, int64_t n, int64_t c, int64_t h, int64_t w, int64_t row) {
  if (row == 0) {
    YE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NHWC, dt, int(n), int(c), int(h), int(w)));
    return;
  }
  YE_CUDNN_CHECK(cudnnSetTensor4dDescriptorEx(d, dt, int(n), int(c), int(h), int(w), int(h * w * row), 1,
                                              int(w * row), int(row)));
}

// Descriptors of one conv shape plus the algorithm per direction (searched on first use).
struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv[3] = {nullptr, nullptr, nullptr};  // fwd, bwd data, bwd filter
  bool searched[3] = {false, false, false};
  cudnnConvolutionFwdAlgo_t fwd_algo{};
  cudnnConvolutionBwdDataAlgo_t bwd_data_algo{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter_algo{};
  size_t workspace[3] = {0, 0, 0};
  bool gemm[3] = {false, false, false};  // the direction runs as a cuBLAS GEMM (pointwise only)
  // Strided operands the caller packs instead: no algorithm takes them, or the packed plan plus the
  // copies timed faster.
  bool pack[3] = {false, false, false};
  float ms[3] = {0, 0, 0};  // the search's time of what runs
  ConvRows rows;
};

class ConvPlanCache {
 public:
  ConvPlan& get(const kernels::ConvGeom& g, DType t, bool tf32, ConvRows rows) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = plans_[make_key(g, t, tf32, rows)];
    if (!slot) slot = create(g, t, tf32, rows);
    return *slot;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return plans_.size();
  }

 private:
  static std::unique_ptr<ConvPlan> create(const kernels::ConvGeom& g, DType t, bool tf32, ConvRows rows) {
    auto p = std::make_unique<ConvPlan>();
    p->rows = rows;
    const cudnnDataType_t dt = cudnn_dtype(t);
    YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->x));
    YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->y));
    YE_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p->w));
    set_nhwc(p->x, dt, g.n, g.c, g.h, g.w, rows.x);
    set_nhwc(p->y, dt, g.n, g.o, g.ho(), g.wo(), rows.dy);
    YE_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p->w, dt, CUDNN_TENSOR_NHWC, int(g.o), int(g.cg()), int(g.kh), int(g.kw)));
    const cudnnMathType_t math =
        t == DType::f32 ? (tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH) : CUDNN_TENSOR_OP_MATH;
    for (auto& c : p->conv) {
      YE_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&c));
      YE_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c, int(g.pad), int(g.pad), int(g.stride), int(g.stride), 1, 1,
                                                     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
      YE_CUDNN_CHECK(cudnnSetConvolutionGroupCount(c, int(g.groups)));
      YE_CUDNN_CHECK(cudnnSetConvolutionMathType(c, math));
    }
    return p;
  }
  mutable std::mutex mutex_;
  std::map<PlanKey, std::unique_ptr<ConvPlan>> plans_;
};

constexpr int kMaxDevices = 64;

ConvPlanCache& plan_cache(int device) {
  static std::array<ConvPlanCache, kMaxDevices> caches;
  YE_CHECK(device >= 0 && device < kMaxDevices, "invalid CUDA device index ", device);
  return caches[size_t(device)];
}

// Scratch for the algorithm search: what the device can spare, at most 1 GiB.
size_t search_workspace_limit() {
  size_t free_b = 0, total_b = 0;
  YE_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return std::min<size_t>(size_t(1) << 30, free_b / 2);
}

// Scratch for one search, straight from cudaMalloc (halving on failure) and freed right after, so the
// search's large buffer never stays reserved in the caching allocator.
struct SearchScratch {
  size_t bytes;
  void* ptr = nullptr;
  explicit SearchScratch(DeviceContext&) : bytes(search_workspace_limit()) {
    while (bytes >= (size_t(1) << 20) && cudaMalloc(&ptr, bytes) != cudaSuccess) {
      (void)cudaGetLastError();
      ptr = nullptr;
      bytes /= 2;
    }
    if (!ptr) bytes = 0;
  }
  ~SearchScratch() {
    if (ptr) cudaFree(ptr);
  }
};

// Picks the fastest successful deterministic result (results come sorted by time), else the fastest
// successful one; its math type goes onto the direction's descriptor. Deterministic algorithms make runs
// reproducible (the reference trains with deterministic=True) and avoid the atomics-based backward
// algorithms, which accumulate f16 partial sums in f16 (seen: 16-35% gradient error on the RGB stem).
// Null when none worked.
template <typename Perf>
const Perf* pick(const Perf* perfs, int count) {
  for (int i = 0; i < count; ++i)
    if (perfs[i].status == CUDNN_STATUS_SUCCESS && perfs[i].determinism == CUDNN_DETERMINISTIC) return &perfs[i];
  for (int i = 0; i < count; ++i)
    if (perfs[i].status == CUDNN_STATUS_SUCCESS) return &perfs[i];
  return nullptr;
}

bool pointwise(const kernels::ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0 && g.groups == 1;
}

// The three directions of a pointwise convolution as row-major GEMMs over rows = n * h * w:
// y[rows, o] = x[rows, c] w[o, c]^T, dx[rows, c] = dy[rows, o] w[o, c], dw[o, c] = dy[rows, o]^T x[rows, c].
// Strided rows (r.x, r.dy) are the GEMM operands' leading dimensions.
void pointwise_gemm(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, int dir, const void* a, const void* b,
                    void* out, ConvRows r) {
  const int64_t rows = g.n * g.h * g.w;
  if (dir == 0) gemm_row_major(ctx, t, false, true, rows, g.o, g.c, 1.0f, a, 0, b, 0, 0.0f, out, 0, 1, r.x);
  if (dir == 1) gemm_row_major(ctx, t, false, false, rows, g.c, g.o, 1.0f, a, 0, b, 0, 0.0f, out, 0, 1, r.dy);
  if (dir == 2) gemm_row_major(ctx, t, true, false, g.o, g.c, rows, 1.0f, a, 0, b, 0, 0.0f, out, 0, 1, r.dy, r.x);
}

// Milliseconds per call of f (mean of 3 after a warm-up), as cuDNN's search measures.
template <typename F>
float time_ms(DeviceContext& ctx, F&& f) {
  cudaEvent_t start, stop;
  YE_CUDA_CHECK(cudaEventCreate(&start));
  YE_CUDA_CHECK(cudaEventCreate(&stop));
  f();
  YE_CUDA_CHECK(cudaEventRecord(start, ctx.stream));
  for (int i = 0; i < 3; ++i) f();
  YE_CUDA_CHECK(cudaEventRecord(stop, ctx.stream));
  YE_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  YE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / 3.0f;
}

// Whether a pointwise direction runs as the GEMM: YE_CONV_GEMM=1 always, =0 never (A/B and tests),
// otherwise when the GEMM timed faster than cuDNN's pick (cudnn_ms < 0: cuDNN has none). `ms` gets the
// time of what was chosen.
bool choose_gemm(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, int dir, const void* a, const void* b,
                 void* out, float cudnn_ms, ConvRows r, float& ms) {
  ms = cudnn_ms;
  if (!pointwise(g)) return false;
  const char* mode = std::getenv("YE_CONV_GEMM");
  const bool forced = mode && (mode[0] == '0' || mode[0] == '1');
  if (cudnn_ms >= 0 && forced && mode[0] == '0') return false;
  const float gemm_ms = time_ms(ctx, [&] { pointwise_gemm(ctx, g, t, dir, a, b, out, r); });
  const bool gemm = cudnn_ms < 0 || (forced ? mode[0] == '1' : gemm_ms < cudnn_ms);
  if (gemm) ms = gemm_ms;
  return gemm;
}

ConvPlan& plan_for(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, ConvRows rows) {
  bool tf32 = t == DType::f32 && ctx.allow_tf32;
  return plan_cache(ctx.device).get(g, t, tf32, rows);
}

bool strided(ConvRows r) { return r.x != 0 || r.dy != 0; }

// After a direction's search: the algorithm (or the GEMM) and its time, or, with no algorithm, packing
// for strided operands and an error for packed ones.
template <typename Perf, typename Algo>
void settle(DeviceContext& ctx, ConvPlan& p, const kernels::ConvGeom& g, DType t, int dir, cudnnStatus_t found,
            const Perf* perfs, int count, Algo& algo, const void* a, const void* b, void* out, const char* name) {
  const Perf* best = found == CUDNN_STATUS_SUCCESS ? pick(perfs, count) : nullptr;
  p.searched[dir] = true;
  if (!best && strided(p.rows) && !pointwise(g)) {
    p.pack[dir] = true;
    return;
  }
  if (!best && !strided(p.rows)) {
    YE_CUDNN_CHECK(found);
    YE_FAIL("cuDNN found no working ", name, " convolution algorithm");
  }
  if (best) {
    algo = best->algo;
    p.workspace[dir] = best->memory;
    YE_CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv[dir], best->mathType));
  }
  p.gemm[dir] = choose_gemm(ctx, g, t, dir, a, b, out, best ? best->time : -1.0f, p.rows, p.ms[dir]);
}

// Packing strided operands costs copies of n*h*w rows of c (x) and n*ho*wo rows of o (dy) elements.
float packing_ms(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, ConvRows r, const void* x, const void* dy) {
  const size_t es = dtype_size(t);
  const int64_t x_rows = g.n * g.h * g.w, y_rows = g.n * g.ho() * g.wo();
  const size_t bytes = size_t(std::max(r.x ? x_rows * g.c : 0, r.dy ? y_rows * g.o : 0)) * es;
  void* scratch = nullptr;
  if (cudaMalloc(&scratch, bytes) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0.0f;  // no room to time it: count the copies as free, which favours packing
  }
  auto copy = [&](const void* src, int64_t row, int64_t inner, int64_t rows) {
    YE_CUDA_CHECK(cudaMemcpy2DAsync(scratch, size_t(inner) * es, src, size_t(row) * es, size_t(inner) * es,
                                    size_t(rows), cudaMemcpyDeviceToDevice, ctx.stream));
  };
  float ms = 0.0f;
  if (r.x) ms += time_ms(ctx, [&] { copy(x, r.x, g.c, x_rows); });
  if (r.dy) ms += time_ms(ctx, [&] { copy(dy, r.dy, g.o, y_rows); });
  YE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  cudaFree(scratch);
  return ms;
}

// A strided plan runs only where it beats packing (the packed plan's time plus the copies'), unless
// YE_CONV_STRIDED=1 forces it (tests). The packed plan is searched, and run once, on the same pointers:
// packed reads stay inside the strided operands' extents, and outputs are packed either way.
void compare_with_packing(DeviceContext& ctx, ConvPlan& p, const kernels::ConvGeom& g, DType t, int dir,
                          const void* a, const void* b, void* out) {
  const char* mode = std::getenv("YE_CONV_STRIDED");
  if (p.pack[dir] || (mode && mode[0] == '1')) return;
  if (dir == 0) cudnn_conv_forward(ctx, g, t, a, b, out);
  if (dir == 1) cudnn_conv_backward_data(ctx, g, t, a, b, out);
  if (dir == 2) cudnn_conv_backward_filter(ctx, g, t, a, b, out);
  const ConvPlan& packed = plan_for(ctx, g, t, {});
  const void* x = dir == 1 ? nullptr : a;
  const void* dy = dir == 0 ? nullptr : dir == 1 ? a : b;
  if (packed.ms[dir] + packing_ms(ctx, g, t, p.rows, x, dy) < p.ms[dir]) p.pack[dir] = true;
}
}  // namespace

namespace {
// A direction of plan p on first use: cuDNN's search (`find` fills perfs and count with the scratch it
// is given), the GEMM race, and for strided operands the race against packing. (a, b) are the
// direction's operands in its cuDNN order, (ga, gb) in pointwise_gemm's.
template <typename Perf, int kCount, typename Algo, typename Find>
void search(DeviceContext& ctx, ConvPlan& p, const kernels::ConvGeom& g, DType t, int dir, Algo& algo, const void* a,
            const void* b, const void* ga, const void* gb, void* out, const char* name, Find&& find) {
  {
    SearchScratch s(ctx);
    Perf perfs[kCount];
    int count = 0;
    const cudnnStatus_t found = find(perfs, count, s);
    settle(ctx, p, g, t, dir, found, perfs, count, algo, ga, gb, out, name);
  }
  if (strided(p.rows)) compare_with_packing(ctx, p, g, t, dir, a, b, out);
}

// Runs a searched direction: false when the caller packs, else the GEMM or `conv(workspace, bytes)`.
template <typename Conv>
bool execute(DeviceContext& ctx, const ConvPlan& p, const kernels::ConvGeom& g, DType t, int dir, const void* ga,
             const void* gb, void* out, Conv&& conv) {
  if (p.pack[dir]) return false;
  if (p.gemm[dir]) {
    pointwise_gemm(ctx, g, t, dir, ga, gb, out, p.rows);
    return true;
  }
  void* ws = p.workspace[dir] ? ctx.workspace(p.workspace[dir]) : nullptr;
  conv(ws, p.workspace[dir]);
  return true;
}

constexpr float kOne = 1.0f, kZero = 0.0f;
}  // namespace

bool cudnn_conv_forward(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, const void* x, const void* w,
                        void* y, ConvRows rows) {
  ConvPlan& p = plan_for(ctx, g, t, {rows.x, 0});
  if (!p.searched[0])
    search<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT>(
        ctx, p, g, t, 0, p.fwd_algo, x, w, x, w, y, "forward", [&](auto* perfs, int& count, SearchScratch& s) {
          return cudnnFindConvolutionForwardAlgorithmEx(ctx.cudnn, p.x, x, p.w, w, p.conv[0], p.y, y,
                                                        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perfs, s.ptr,
                                                        s.bytes);
        });
  return execute(ctx, p, g, t, 0, x, w, y, [&](void* ws, size_t bytes) {
    YE_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn, &kOne, p.x, x, p.w, w, p.conv[0], p.fwd_algo, ws, bytes, &kZero,
                                           p.y, y));
  });
}

bool cudnn_conv_backward_data(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, const void* gy, const void* w,
                              void* gx, ConvRows rows) {
  ConvPlan& p = plan_for(ctx, g, t, {0, rows.dy});
  if (!p.searched[1])
    search<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT>(
        ctx, p, g, t, 1, p.bwd_data_algo, gy, w, gy, w, gx, "backward-data",
        [&](auto* perfs, int& count, SearchScratch& s) {
          return cudnnFindConvolutionBackwardDataAlgorithmEx(ctx.cudnn, p.w, w, p.y, gy, p.conv[1], p.x, gx,
                                                             CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perfs,
                                                             s.ptr, s.bytes);
        });
  return execute(ctx, p, g, t, 1, gy, w, gx, [&](void* ws, size_t bytes) {
    YE_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &kOne, p.w, w, p.y, gy, p.conv[1], p.bwd_data_algo, ws,
                                                bytes, &kZero, p.x, gx));
  });
}

bool cudnn_conv_backward_filter(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, const void* x,
                                const void* gy, void* gw, ConvRows rows) {
  ConvPlan& p = plan_for(ctx, g, t, rows);
  if (!p.searched[2])
    search<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT>(
        ctx, p, g, t, 2, p.bwd_filter_algo, x, gy, gy, x, gw, "backward-filter",
        [&](auto* perfs, int& count, SearchScratch& s) {
          return cudnnFindConvolutionBackwardFilterAlgorithmEx(ctx.cudnn, p.x, x, p.y, gy, p.conv[2], p.w, gw,
                                                               CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, perfs,
                                                               s.ptr, s.bytes);
        });
  return execute(ctx, p, g, t, 2, gy, x, gw, [&](void* ws, size_t bytes) {
    YE_CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &kOne, p.x, x, p.y, gy, p.conv[2], p.bwd_filter_algo, ws,
                                                  bytes, &kZero, p.w, gw));
  });
}

size_t cudnn_conv_plan_count(int device) { return plan_cache(device).size(); }

}  // namespace ye::cuda

// cuDNN convolution plans (descriptors + searched algorithms) per device and the three conv directions.
// Pointwise convolutions (1x1, stride 1, no padding, one group) are GEMMs over the NHWC rows: the search
// times that cuBLAS GEMM beside cuDNN's algorithms and keeps the faster (cuDNN picked a generic kernel at
// ~230 GB/s for Detect's last 1x1 convolutions on an H100).
#include "engine/cuda/cudnn_conv.h"

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
                           int, bool>;

PlanKey make_key(const kernels::ConvGeom& g, DType t, bool tf32) {
  return {g.n, g.h, g.w, g.c, g.o, g.kh, g.kw, g.stride, g.pad, g.groups, int(t), tf32};
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
};

class ConvPlanCache {
 public:
  ConvPlan& get(const kernels::ConvGeom& g, DType t, bool tf32) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& slot = plans_[make_key(g, t, tf32)];
    if (!slot) slot = create(g, t, tf32);
    return *slot;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return plans_.size();
  }

 private:
  static std::unique_ptr<ConvPlan> create(const kernels::ConvGeom& g, DType t, bool tf32) {
    auto p = std::make_unique<ConvPlan>();
    const cudnnDataType_t dt = cudnn_dtype(t);
    YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->x));
    YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p->y));
    YE_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p->w));
    YE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x, CUDNN_TENSOR_NHWC, dt, int(g.n), int(g.c), int(g.h), int(g.w)));
    YE_CUDNN_CHECK(
        cudnnSetTensor4dDescriptor(p->y, CUDNN_TENSOR_NHWC, dt, int(g.n), int(g.o), int(g.ho()), int(g.wo())));
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
template <typename Perf>
const Perf& pick(const Perf* perfs, int count, const char* direction) {
  for (int i = 0; i < count; ++i)
    if (perfs[i].status == CUDNN_STATUS_SUCCESS && perfs[i].determinism == CUDNN_DETERMINISTIC) return perfs[i];
  for (int i = 0; i < count; ++i)
    if (perfs[i].status == CUDNN_STATUS_SUCCESS) return perfs[i];
  YE_FAIL("cuDNN found no working ", direction, " convolution algorithm");
}

bool pointwise(const kernels::ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0 && g.groups == 1;
}

// The three directions of a pointwise convolution as row-major GEMMs over rows = n * h * w:
// y[rows, o] = x[rows, c] w[o, c]^T, dx[rows, c] = dy[rows, o] w[o, c], dw[o, c] = dy[rows, o]^T x[rows, c].
void pointwise_gemm(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, int dir, const void* a, const void* b,
                    void* out) {
  const int64_t rows = g.n * g.h * g.w;
  if (dir == 0) gemm_row_major(ctx, t, false, true, rows, g.o, g.c, 1.0f, a, 0, b, 0, 0.0f, out, 0, 1);
  if (dir == 1) gemm_row_major(ctx, t, false, false, rows, g.c, g.o, 1.0f, a, 0, b, 0, 0.0f, out, 0, 1);
  if (dir == 2) gemm_row_major(ctx, t, true, false, g.o, g.c, rows, 1.0f, a, 0, b, 0, 0.0f, out, 0, 1);
}

// Milliseconds per call of the pointwise GEMM (mean of 3 after a warm-up), as cuDNN's search measures.
float pointwise_gemm_ms(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, int dir, const void* a,
                        const void* b, void* out) {
  cudaEvent_t start, stop;
  YE_CUDA_CHECK(cudaEventCreate(&start));
  YE_CUDA_CHECK(cudaEventCreate(&stop));
  pointwise_gemm(ctx, g, t, dir, a, b, out);
  YE_CUDA_CHECK(cudaEventRecord(start, ctx.stream));
  for (int i = 0; i < 3; ++i) pointwise_gemm(ctx, g, t, dir, a, b, out);
  YE_CUDA_CHECK(cudaEventRecord(stop, ctx.stream));
  YE_CUDA_CHECK(cudaEventSynchronize(stop));
  float ms = 0;
  YE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms / 3.0f;
}

// Whether a pointwise direction runs as the GEMM: YE_CONV_GEMM=1 always, =0 never (A/B and tests),
// otherwise when the GEMM timed faster than cuDNN's pick.
bool choose_gemm(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, int dir, const void* a, const void* b,
                 void* out, float cudnn_ms) {
  if (!pointwise(g)) return false;
  const char* mode = std::getenv("YE_CONV_GEMM");
  if (mode && (mode[0] == '0' || mode[0] == '1')) return mode[0] == '1';
  return pointwise_gemm_ms(ctx, g, t, dir, a, b, out) < cudnn_ms;
}

ConvPlan& plan_for(DeviceContext& ctx, const kernels::ConvGeom& g, DType t) {
  bool tf32 = t == DType::f32 && ctx.allow_tf32;
  return plan_cache(ctx.device).get(g, t, tf32);
}
}  // namespace

void cudnn_conv_forward(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, const void* x, const void* w,
                        void* y) {
  ConvPlan& p = plan_for(ctx, g, t);
  if (!p.searched[0]) {
    SearchScratch s(ctx);
    cudnnConvolutionFwdAlgoPerf_t perfs[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int count = 0;
    YE_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(ctx.cudnn, p.x, x, p.w, w, p.conv[0], p.y, y,
                                                          CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perfs, s.ptr,
                                                          s.bytes));
    const auto& best = pick(perfs, count, "forward");
    p.fwd_algo = best.algo;
    p.workspace[0] = best.memory;
    YE_CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv[0], best.mathType));
    p.gemm[0] = choose_gemm(ctx, g, t, 0, x, w, y, best.time);
    p.searched[0] = true;
  }
  if (p.gemm[0]) return pointwise_gemm(ctx, g, t, 0, x, w, y);
  const float one = 1.0f, zero = 0.0f;
  void* ws = p.workspace[0] ? ctx.workspace(p.workspace[0]) : nullptr;
  YE_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, p.x, x, p.w, w, p.conv[0], p.fwd_algo, ws, p.workspace[0],
                                         &zero, p.y, y));
}

void cudnn_conv_backward_data(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, const void* gy, const void* w,
                              void* gx) {
  ConvPlan& p = plan_for(ctx, g, t);
  if (!p.searched[1]) {
    SearchScratch s(ctx);
    cudnnConvolutionBwdDataAlgoPerf_t perfs[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
    int count = 0;
    YE_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(ctx.cudnn, p.w, w, p.y, gy, p.conv[1], p.x, gx,
                                                               CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perfs,
                                                               s.ptr, s.bytes));
    const auto& best = pick(perfs, count, "backward-data");
    p.bwd_data_algo = best.algo;
    p.workspace[1] = best.memory;
    YE_CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv[1], best.mathType));
    p.gemm[1] = choose_gemm(ctx, g, t, 1, gy, w, gx, best.time);
    p.searched[1] = true;
  }
  if (p.gemm[1]) return pointwise_gemm(ctx, g, t, 1, gy, w, gx);
  const float one = 1.0f, zero = 0.0f;
  void* ws = p.workspace[1] ? ctx.workspace(p.workspace[1]) : nullptr;
  YE_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, p.w, w, p.y, gy, p.conv[1], p.bwd_data_algo, ws,
                                              p.workspace[1], &zero, p.x, gx));
}

void cudnn_conv_backward_filter(DeviceContext& ctx, const kernels::ConvGeom& g, DType t, const void* x,
                                const void* gy, void* gw) {
  ConvPlan& p = plan_for(ctx, g, t);
  if (!p.searched[2]) {
    SearchScratch s(ctx);
    cudnnConvolutionBwdFilterAlgoPerf_t perfs[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
    int count = 0;
    YE_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(ctx.cudnn, p.x, x, p.y, gy, p.conv[2], p.w, gw,
                                                                 CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count,
                                                                 perfs, s.ptr, s.bytes));
    const auto& best = pick(perfs, count, "backward-filter");
    p.bwd_filter_algo = best.algo;
    p.workspace[2] = best.memory;
    YE_CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv[2], best.mathType));
    p.gemm[2] = choose_gemm(ctx, g, t, 2, gy, x, gw, best.time);
    p.searched[2] = true;
  }
  if (p.gemm[2]) return pointwise_gemm(ctx, g, t, 2, gy, x, gw);
  const float one = 1.0f, zero = 0.0f;
  void* ws = p.workspace[2] ? ctx.workspace(p.workspace[2]) : nullptr;
  YE_CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, p.x, x, p.y, gy, p.conv[2], p.bwd_filter_algo, ws,
                                                p.workspace[2], &zero, p.w, gw));
}

size_t cudnn_conv_plan_count(int device) { return plan_cache(device).size(); }

}  // namespace ye::cuda

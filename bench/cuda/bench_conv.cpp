// Convolution forward+backward (fwd, bwd data, bwd filter) on cuDNN for the ten most expensive conv
// shapes of yolov8s at batch 32 and 640x640 (by MACs x occurrences, from the reference model): f16 NHWC
// (the engine's path, engine/cuda/cudnn_conv.h), f16 NCHW (same cuDNN search, NCHW descriptors, local
// to this file), f32 NHWC without and with TF32. Counter: achieved TFLOP/s (3 x 2 x MACs per step).
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <vector>

#include "engine/cuda/context.h"
#include "engine/cuda/cudnn_conv.h"
#include "kernels/cuda/cuda_check.h"
#include "engine/ops.h"

using namespace ye;

namespace {
struct ConvShape {
  int c, h, w, o, k, s;
};
// (input channels, H, W, output channels, kernel, stride) at 640x640; padding k/2.
const ConvShape kShapes[] = {
    {128, 40, 40, 128, 3, 1}, {128, 80, 80, 128, 3, 1}, {64, 80, 80, 64, 3, 1},    {256, 20, 20, 256, 3, 1},
    {32, 320, 320, 64, 3, 2}, {32, 160, 160, 32, 3, 1}, {64, 160, 160, 128, 3, 2}, {128, 80, 80, 256, 3, 2},
    {256, 40, 40, 512, 3, 2}, {768, 20, 20, 512, 1, 1},
};
constexpr int kBatch = 32;

kernels::ConvGeom geom(const ConvShape& s) {
  kernels::ConvGeom g;
  g.n = kBatch, g.h = s.h, g.w = s.w, g.c = s.c, g.o = s.o, g.kh = s.k, g.kw = s.k, g.stride = s.s, g.pad = s.k / 2;
  return g;
}

double step_flops(const kernels::ConvGeom& g) {
  return 3.0 * 2.0 * double(g.n) * g.ho() * g.wo() * g.o * g.kh * g.kw * g.cg();
}

// NCHW comparison path: descriptors + searched algorithms for one shape, f16 with f32 accumulation.
struct NchwPlan {
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  cudnnConvolutionFwdAlgo_t fwd;
  cudnnConvolutionBwdDataAlgo_t bwd_data;
  cudnnConvolutionBwdFilterAlgo_t bwd_filter;
  size_t ws = 0;
};

NchwPlan make_nchw_plan(cuda::DeviceContext& ctx, const kernels::ConvGeom& g, void* x, void* w, void* y, void* scratch,
                        size_t scratch_bytes) {
  NchwPlan p;
  YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p.x));
  YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&p.y));
  YE_CUDNN_CHECK(cudnnCreateFilterDescriptor(&p.w));
  YE_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&p.conv));
  YE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(p.x, CUDNN_TENSOR_NCHW, CUDNN_DATA_HALF, int(g.n), int(g.c), int(g.h), int(g.w)));
  YE_CUDNN_CHECK(
      cudnnSetTensor4dDescriptor(p.y, CUDNN_TENSOR_NCHW, CUDNN_DATA_HALF, int(g.n), int(g.o), int(g.ho()), int(g.wo())));
  YE_CUDNN_CHECK(cudnnSetFilter4dDescriptor(p.w, CUDNN_DATA_HALF, CUDNN_TENSOR_NCHW, int(g.o), int(g.c), int(g.kh), int(g.kw)));
  YE_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p.conv, int(g.pad), int(g.pad), int(g.stride), int(g.stride), 1, 1,
                                                 CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  YE_CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv, CUDNN_TENSOR_OP_MATH));
  int n = 0;
  cudnnConvolutionFwdAlgoPerf_t f[8];
  YE_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(ctx.cudnn, p.x, x, p.w, w, p.conv, p.y, y, 8, &n, f, scratch,
                                                        scratch_bytes));
  cudnnConvolutionBwdDataAlgoPerf_t d[8];
  YE_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(ctx.cudnn, p.w, w, p.y, y, p.conv, p.x, x, 8, &n, d,
                                                             scratch, scratch_bytes));
  cudnnConvolutionBwdFilterAlgoPerf_t b[8];
  YE_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(ctx.cudnn, p.x, x, p.y, y, p.conv, p.w, w, 8, &n, b,
                                                               scratch, scratch_bytes));
  p.fwd = f[0].algo, p.bwd_data = d[0].algo, p.bwd_filter = b[0].algo;
  p.ws = std::max({f[0].memory, d[0].memory, b[0].memory});
  return p;
}

enum class Variant { f16_nhwc, f16_nchw, f32_nhwc, f32_nhwc_tf32 };

void BM_ConvFwdBwd(benchmark::State& state) {
  const ConvShape& s = kShapes[state.range(0)];
  const Variant v = Variant(state.range(1));
  const kernels::ConvGeom g = geom(s);
  auto& ctx = cuda::context(0);
  cuda::set_device(0);
  const DType dt = (v == Variant::f16_nhwc || v == Variant::f16_nchw) ? DType::f16 : DType::f32;
  ctx.allow_tf32 = v == Variant::f32_nhwc_tf32;
  Device dev = Device::cuda(0);
  Generator gen(1);
  Tensor x = Tensor::empty(Shape{g.n, g.h, g.w, g.c}, dt, dev), gx = Tensor::empty(x.shape(), dt, dev);
  Tensor w = Tensor::empty(Shape{g.o, g.kh, g.kw, g.c}, dt, dev), gw = Tensor::empty(w.shape(), dt, dev);
  Tensor y = Tensor::empty(Shape{g.n, g.ho(), g.wo(), g.o}, dt, dev), gy = Tensor::empty(y.shape(), dt, dev);
  ops::uniform_(x, -1, 1, gen);
  ops::uniform_(w, -0.1f, 0.1f, gen);
  ops::uniform_(gy, -1, 1, gen);
  NchwPlan plan{};
  void* ws = nullptr;
  if (v == Variant::f16_nchw) {
    size_t scratch = size_t(1) << 30;
    void* buf = ctx.allocator.allocate(scratch, ctx.stream);
    plan = make_nchw_plan(ctx, g, x.data(), w.data(), y.data(), buf, scratch);
    ctx.allocator.free(buf);
    ws = plan.ws ? ctx.workspace(plan.ws) : nullptr;
  }
  const float one = 1.f, zero = 0.f;
  auto step = [&] {
    if (v == Variant::f16_nchw) {
      YE_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, plan.x, x.data(), plan.w, w.data(), plan.conv, plan.fwd,
                                             ws, plan.ws, &zero, plan.y, y.data()));
      YE_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, plan.w, w.data(), plan.y, gy.data(), plan.conv,
                                                  plan.bwd_data, ws, plan.ws, &zero, plan.x, gx.data()));
      YE_CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, plan.x, x.data(), plan.y, gy.data(), plan.conv,
                                                    plan.bwd_filter, ws, plan.ws, &zero, plan.w, gw.data()));
    } else {
      cuda::cudnn_conv_forward(ctx, g, dt, x.data(), w.data(), y.data());
      cuda::cudnn_conv_backward_data(ctx, g, dt, gy.data(), w.data(), gx.data());
      cuda::cudnn_conv_backward_filter(ctx, g, dt, x.data(), gy.data(), gw.data());
    }
  };
  step();  // algorithm search
  YE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  cudaEvent_t start, stop;
  YE_CUDA_CHECK(cudaEventCreate(&start));
  YE_CUDA_CHECK(cudaEventCreate(&stop));
  for (auto _ : state) {
    YE_CUDA_CHECK(cudaEventRecord(start, ctx.stream));
    step();
    YE_CUDA_CHECK(cudaEventRecord(stop, ctx.stream));
    YE_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    YE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(double(ms) / 1e3);
  }
  YE_CUDA_CHECK(cudaEventDestroy(start));
  YE_CUDA_CHECK(cudaEventDestroy(stop));
  ctx.allow_tf32 = false;
  state.counters["TFLOP/s"] =
      benchmark::Counter(step_flops(g) * double(state.iterations()) / 1e12, benchmark::Counter::kIsRate);
  static const char* names[] = {"f16_nhwc", "f16_nchw", "f32_nhwc", "f32_nhwc_tf32"};
  state.SetLabel(std::string(names[int(v)]) + " c" + std::to_string(s.c) + " " + std::to_string(s.h) + "x" +
                 std::to_string(s.w) + " o" + std::to_string(s.o) + " k" + std::to_string(s.k) + " s" +
                 std::to_string(s.s));
}
}  // namespace

BENCHMARK(BM_ConvFwdBwd)
    ->ArgsProduct({benchmark::CreateDenseRange(0, 9, 1), benchmark::CreateDenseRange(0, 3, 1)})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

// CUDA rows of the convolution family (bench/bench_conv.cpp). fwd_bwd rows: ours (engine/cuda/cudnn_conv,
// NHWC, f16/bf16/f32) and cuDNN with NCHW descriptors (measured algorithm search, as ours does) for
// each dtype; fwd rows: ours against every other forward algorithm cuDNN reports as usable (f16 NHWC).
// Each row first runs at batch 1 and compares with the CPU twin, then times the full batch.
#include <cudnn.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>

#include "bench/common/cuda/gpu_loop.h"
#include "bench/common/harness.h"
#include "bench/common/yolo_shapes.h"
#include "engine/cuda/context.h"
#include "engine/cuda/cudnn_conv.h"
#include "kernels/conv.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/elementwise_cuda.h"

namespace ye::bench {
namespace {

using kernels::ConvGeom;
enum class Layout { nhwc, nchw };

cudnnDataType_t cudnn_type(DType t) {
  return t == DType::f16 ? CUDNN_DATA_HALF : t == DType::bf16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
}

// Descriptors of one (geometry, dtype, layout); filters are KRSC for NHWC and KCRS for NCHW.
struct Descs {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  Descs(const ConvGeom& g, DType t, Layout l) {
    const cudnnTensorFormat_t f = l == Layout::nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
    YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    YE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    YE_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    YE_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    YE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(x, f, cudnn_type(t), int(g.n), int(g.c), int(g.h), int(g.w)));
    YE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(y, f, cudnn_type(t), int(g.n), int(g.o), int(g.ho()), int(g.wo())));
    YE_CUDNN_CHECK(cudnnSetFilter4dDescriptor(w, cudnn_type(t), f, int(g.o), int(g.c), int(g.kh), int(g.kw)));
    YE_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(conv, int(g.pad), int(g.pad), int(g.stride), int(g.stride), 1, 1,
                                                   CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    YE_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, t == DType::f32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  }
  ~Descs() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
  Descs(const Descs&) = delete;
  Descs& operator=(const Descs&) = delete;
};

// (n, h, w, c) <-> (n, c, h, w) on the host; also KRSC <-> KCRS with (o, kh, kw, c).
std::vector<float> to_nchw(const std::vector<float>& v, int64_t n, int64_t h, int64_t w, int64_t c) {
  std::vector<float> r(v.size());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t k = 0; k < c; ++k) r[((a * c + k) * h + y) * w + x] = v[((a * h + y) * w + x) * c + k];
  return r;
}
std::vector<float> to_nhwc(const std::vector<float>& v, int64_t n, int64_t h, int64_t w, int64_t c) {
  std::vector<float> r(v.size());
  for (int64_t a = 0; a < n; ++a)
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x)
        for (int64_t k = 0; k < c; ++k) r[((a * h + y) * w + x) * c + k] = v[((a * c + k) * h + y) * w + x];
  return r;
}

// What a row runs: ours (engine plans) or cuDNN with our descriptors; both directions or forward only;
// fwd_algo < 0 means the searched algorithm (cudnnFind*Ex), else that forward algorithm.
struct Variant {
  bool ours = true;
  Layout layout = Layout::nhwc;
  DType dtype = DType::f16;
  bool backward = true;
  int fwd_algo = -1;
};

// Buffers of one geometry in the variant's layout, filled from NHWC host values (rounded to dtype).
struct Fixture {
  ConvGeom g;
  Variant v;
  std::vector<float> hx, hw, hgy;  // NHWC / KRSC host values (rounded)
  DeviceBuffer x, w, gy, y, gx, gw, ws;
  std::unique_ptr<Descs> d;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  size_t ws_bytes = 0;

  // host_values: inputs from host vectors (kept in hx/hw/hgy for the CPU reference); otherwise generated
  // on the device (the large timed batches) and hx/hw/hgy stay empty.
  Fixture(const ConvGeom& geom, const Variant& var, bool host_values) : g(geom), v(var) {
    const size_t nx = size_t(g.n * g.h * g.w * g.c), nw = size_t(g.o * g.kh * g.kw * g.cg()),
                 ny = size_t(g.n * g.ho() * g.wo() * g.o), es = dtype_size(v.dtype);
    if (host_values) {
      hx = round_to(random_values(nx, -1.f, 1.f, 1), v.dtype);
      hw = round_to(random_values(nw, -0.1f, 0.1f, 2), v.dtype);
      hgy = round_to(random_values(ny, -1.f, 1.f, 3), v.dtype);
      const bool nchw = v.layout == Layout::nchw;
      x = upload(nchw ? to_nchw(hx, g.n, g.h, g.w, g.c) : hx, v.dtype);
      w = upload(nchw ? to_nchw(hw, g.o, g.kh, g.kw, g.c) : hw, v.dtype);
      gy = upload(nchw ? to_nchw(hgy, g.n, g.ho(), g.wo(), g.o) : hgy, v.dtype);
    } else {
      cudaStream_t s = cuda::context(0).stream;
      x = DeviceBuffer(nx * es), w = DeviceBuffer(nw * es), gy = DeviceBuffer(ny * es);
      kernels::cuda::uniform(x.get(), v.dtype, int64_t(nx), -1.f, 1.f, 1, 0, s);
      kernels::cuda::uniform(w.get(), v.dtype, int64_t(nw), -0.1f, 0.1f, 2, 0, s);
      kernels::cuda::uniform(gy.get(), v.dtype, int64_t(ny), -1.f, 1.f, 3, 0, s);
    }
    y = DeviceBuffer(ny * es);
    gx = DeviceBuffer(nx * es);
    gw = DeviceBuffer(nw * es);
    if (v.ours) return;
    try {
      plan();
    } catch (const std::exception& e) {  // cuDNN refusing this layout/dtype/algorithm
      throw std::runtime_error(std::string("unsupported: ") + e.what());
    }
  }

  void plan() {
    auto& ctx = cuda::context(0);
    d = std::make_unique<Descs>(g, v.dtype, v.layout);
    const size_t scratch_bytes = size_t(1) << 30;
    DeviceBuffer scratch(scratch_bytes);
    int n = 0;
    cudnnConvolutionFwdAlgoPerf_t f[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    YE_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(ctx.cudnn, d->x, x.get(), d->w, w.get(), d->conv, d->y,
                                                          y.get(), CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, f,
                                                          scratch.get(), scratch_bytes));
    YE_CHECK(n > 0 && f[0].status == CUDNN_STATUS_SUCCESS, "cuDNN has no forward algorithm for this case");
    fwd = f[0].algo;
    size_t fwd_ws = f[0].memory;
    if (v.fwd_algo >= 0) {
      fwd = cudnnConvolutionFwdAlgo_t(v.fwd_algo);
      YE_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(ctx.cudnn, d->x, d->w, d->conv, d->y, fwd, &fwd_ws));
    }
    ws_bytes = fwd_ws;
    if (v.backward) {
      cudnnConvolutionBwdDataAlgoPerf_t bd[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      YE_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(ctx.cudnn, d->w, w.get(), d->y, gy.get(), d->conv,
                                                                 d->x, gx.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
                                                                 &n, bd, scratch.get(), scratch_bytes));
      cudnnConvolutionBwdFilterAlgoPerf_t bf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      YE_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(
          ctx.cudnn, d->x, x.get(), d->y, gy.get(), d->conv, d->w, gw.get(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
          &n, bf, scratch.get(), scratch_bytes));
      YE_CHECK(bd[0].status == CUDNN_STATUS_SUCCESS && bf[0].status == CUDNN_STATUS_SUCCESS,
               "cuDNN has no backward algorithm for this case");
      bwd_data = bd[0].algo, bwd_filter = bf[0].algo;
      ws_bytes = std::max({ws_bytes, bd[0].memory, bf[0].memory});
    }
    ws = DeviceBuffer(ws_bytes);
  }

  void step() {
    auto& ctx = cuda::context(0);
    if (v.ours) {
      cuda::cudnn_conv_forward(ctx, g, v.dtype, x.get(), w.get(), y.get());
      if (!v.backward) return;
      cuda::cudnn_conv_backward_data(ctx, g, v.dtype, gy.get(), w.get(), gx.get());
      cuda::cudnn_conv_backward_filter(ctx, g, v.dtype, x.get(), gy.get(), gw.get());
      return;
    }
    const float one = 1.f, zero = 0.f;
    YE_CUDNN_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, d->x, x.get(), d->w, w.get(), d->conv, fwd, ws.get(),
                                           ws_bytes, &zero, d->y, y.get()));
    if (!v.backward) return;
    YE_CUDNN_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, d->w, w.get(), d->y, gy.get(), d->conv, bwd_data,
                                                ws.get(), ws_bytes, &zero, d->x, gx.get()));
    YE_CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, d->x, x.get(), d->y, gy.get(), d->conv,
                                                  bwd_filter, ws.get(), ws_bytes, &zero, d->w, gw.get()));
  }

  // Device result in NHWC order.
  std::vector<float> result(const DeviceBuffer& b, size_t n, int64_t d0, int64_t d1, int64_t d2, int64_t d3) const {
    std::vector<float> r = download(b.get(), n, v.dtype);
    return v.layout == Layout::nchw ? to_nhwc(r, d0, d1, d2, d3) : r;
  }
};

// Compares every output with kernels::cpu on the same rounded inputs: rows with the backward run at
// batch 1 from host values; forward-only rows (an explicit algorithm, chosen for the full batch, NHWC)
// run at the full batch from device values and compare the first image.
std::string check(const ConvGeom& full, const Variant& v) {
  ConvGeom g = full;
  g.n = 1;
  Fixture f(v.backward ? g : full, v, v.backward);
  f.step();
  YE_CUDA_CHECK(cudaStreamSynchronize(cuda::context(0).stream));
  const double tol = v.dtype == DType::f32 ? 2e-3 : v.dtype == DType::f16 ? 1e-2 : 3e-2;
  const size_t image_in = size_t(g.h * g.w * g.c), image_out = size_t(g.ho() * g.wo() * g.o);
  if (!v.backward) {
    YE_CHECK(v.layout == Layout::nhwc, "forward-only conv rows are NHWC");
    f.hx = download(f.x.get(), image_in, v.dtype);
    f.hw = download(f.w.get(), size_t(g.o * g.kh * g.kw * g.cg()), v.dtype);
  }
  std::vector<float> y(image_out), gx(image_in), gw(f.hw.size());
  kernels::cpu::conv2d_forward(g, f.hx.data(), f.hw.data(), y.data());
  std::vector<float> got = v.backward ? f.result(f.y, image_out, g.n, g.ho(), g.wo(), g.o)
                                      : download(f.y.get(), image_out, v.dtype);
  std::string err = compare(got, y, tol * max_abs(y), tol, "forward");
  if (!err.empty() || !v.backward) return err;
  kernels::cpu::conv2d_backward_input(g, f.hgy.data(), f.hw.data(), gx.data());
  err = compare(f.result(f.gx, gx.size(), g.n, g.h, g.w, g.c), gx, tol * max_abs(gx), tol, "input gradient");
  if (!err.empty()) return err;
  kernels::cpu::conv2d_backward_weight(g, f.hx.data(), f.hgy.data(), gw.data());
  return compare(f.result(f.gw, gw.size(), g.o, g.kh, g.kw, g.c), gw, tol * max_abs(gw), tol, "weight gradient");
}

void add_conv_row(const std::string& name, const ConvGeom& g, const Variant& v, const Options& opt) {
  auto checked = std::make_shared<bool>(false);
  add_row(name, [=](benchmark::State& st) {
    cuda::set_device(0);
    if (!*checked) {
      const std::string err = check(g, v);
      if (!err.empty()) return st.SkipWithError(err.c_str());
      *checked = true;
    }
    Fixture f(g, v, false);
    GpuLoop loop(cuda::context(0).stream);
    const double s = loop.run(st, [&] { f.step(); });
    const double flops = (v.backward ? 6.0 : 2.0) * conv_macs(g);
    report(st, opt.ceilings, {Where::cuda, Work::flops, flops, v.dtype}, s, conv_desc(g));
  });
}

// Forward algorithms cuDNN's heuristics list as usable for this geometry (f16 NHWC).
std::vector<cudnnConvolutionFwdAlgo_t> usable_forward_algos(const ConvGeom& g) {
  Descs d(g, DType::f16, Layout::nhwc);
  cudnnConvolutionFwdAlgoPerf_t p[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int n = 0;
  YE_CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(cuda::context(0).cudnn, d.x, d.w, d.conv, d.y,
                                                        CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &n, p));
  std::vector<cudnnConvolutionFwdAlgo_t> algos;
  for (int i = 0; i < n; ++i)
    if (p[i].status == CUDNN_STATUS_SUCCESS && p[i].memory <= (size_t(1) << 30) &&
        std::find(algos.begin(), algos.end(), p[i].algo) == algos.end())
      algos.push_back(p[i].algo);
  return algos;
}

const char* fwd_algo_name(cudnnConvolutionFwdAlgo_t a) {
  switch (a) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM: return "implicit_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return "implicit_precomp_gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return "gemm";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "direct";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: return "fft";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING: return "fft_tiling";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return "winograd";
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: return "winograd_nonfused";
    default: return "other";
  }
}

}  // namespace

void register_conv_cuda(const Options& opt) {
  cuda::set_device(0);
  const ShapeSweep sw = sweep(opt.short_mode);
  for (const ModelShapes& m : sw.models)
    for (int64_t b : sw.batches)
      for (const ConvCase& cc : conv_cases(m, b)) {
        const std::string where = "/" + tag(m, b) + "/" + cc.name;
        for (DType t : {DType::f16, DType::bf16, DType::f32}) {
          const std::string dt(dtype_name(t));
          add_conv_row("conv/ours/" + dt + "_nhwc/fwd_bwd" + where, cc.g, {true, Layout::nhwc, t, true, -1}, opt);
          add_conv_row("conv/cudnn_nchw/" + dt + "_nchw/fwd_bwd" + where, cc.g, {false, Layout::nchw, t, true, -1},
                       opt);
        }
        add_conv_row("conv/ours/f16_nhwc/fwd" + where, cc.g, {true, Layout::nhwc, DType::f16, false, -1}, opt);
        for (cudnnConvolutionFwdAlgo_t a : usable_forward_algos(cc.g))
          add_conv_row("conv/cudnn_" + std::string(fwd_algo_name(a)) + "/f16_nhwc/fwd" + where, cc.g,
                       {false, Layout::nhwc, DType::f16, false, int(a)}, opt);
      }
}

}  // namespace ye::bench

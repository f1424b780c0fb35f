// CUDA batch-norm kernels (kernels/cuda/batchnorm_cuda.h) against the CPU kernels on fresh random
// inputs, pass by pass: statistics with the running update, forward (+SiLU), backward reduction and
// input gradient, in f32/f16/bf16, over channel counts that take the 16-byte paths (C % 8 == 0, wide C in
// channel tiles) and the one-channel-per-thread paths (odd C, misaligned pointers), and row counts that
// fill a wave of row blocks. Every output and the partials workspace are NaN-filled before each call;
// two eager runs and a CUDA-graph replay must agree bit for bit.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/harness.h"
#include "engine/ops.h"
#include "kernels/batchnorm.h"
#ifdef YE_WITH_CUDA
#include <cuda_runtime.h>

#include "kernels/cuda/batchnorm_cuda.h"
#endif

using namespace ye;

#ifdef YE_WITH_CUDA
namespace {
void ok(cudaError_t e) { REQUIRE_MESSAGE(e == cudaSuccess, cudaGetErrorString(e)); }

// Device buffer of n elements of `bytes` each, `offset` elements past a 256-byte aligned allocation.
struct DevBuf {
  char* base = nullptr;
  void* ptr = nullptr;
  size_t bytes = 0;
  DevBuf(int64_t n, size_t elem, int64_t offset = 0) : bytes(size_t(n) * elem) {
    ok(cudaMalloc(reinterpret_cast<void**>(&base), bytes + size_t(offset) * elem + 16));
    ptr = base + size_t(offset) * elem;
  }
  ~DevBuf() { cudaFree(base); }
  DevBuf(const DevBuf&) = delete;
  DevBuf& operator=(const DevBuf&) = delete;
  float* f() const { return static_cast<float*>(ptr); }
};

// Host values rounded to dtype t (the CPU reference sees exactly what the GPU reads).
struct HostTensor {
  Tensor typed;  // CPU, dtype t
  std::vector<float> f32;
};
HostTensor rounded(const std::vector<float>& v, DType t) {
  Tensor x = ops::cast(Tensor::from_vector(v, Shape{int64_t(v.size())}), t);
  return {x, x.to_vector()};
}

void upload(const DevBuf& d, const void* host) { ok(cudaMemcpy(d.ptr, host, d.bytes, cudaMemcpyHostToDevice)); }

std::vector<float> download(const DevBuf& d, int64_t n, DType t) {
  Tensor h = Tensor::empty(Shape{n}, t);
  ok(cudaMemcpy(h.data(), d.ptr, h.nbytes(), cudaMemcpyDeviceToHost));
  return h.to_vector();
}

struct Outputs {
  std::vector<float> mean, invstd, rm, rv, y, sum_dz, sum_dzx, dx;
  bool operator==(const Outputs& o) const = default;
};

struct Problem {
  int64_t rows, C;
  DType t;
  bool silu;
  int64_t offset;  // elements by which x, dy, y and dx are shifted off 16-byte alignment
  float eps = 1e-3f, momentum = 0.03f;
  DevBuf x, dy, y, dx, w, b, rm0, rv0, rm, rv, mean, invstd, sdz, sdzx, part;
  Problem(int64_t rows_, int64_t C_, DType t_, bool silu_, int64_t offset_)
      : rows(rows_), C(C_), t(t_), silu(silu_), offset(offset_),
        x(rows * C, dtype_size(t), offset), dy(rows * C, dtype_size(t), offset), y(rows * C, dtype_size(t), offset),
        dx(rows * C, dtype_size(t), offset), w(C, 4), b(C, 4), rm0(C, 4), rv0(C, 4), rm(C, 4), rv(C, 4),
        mean(C, 4), invstd(C, 4), sdz(C, 4), sdzx(C, 4),
        part(int64_t(kernels::cuda::bn_partials_floats(rows, C)), 4) {}

  kernels::BnParams params() const {
    kernels::BnParams p;
    p.mean = mean.f(), p.invstd = invstd.f(), p.weight = w.f(), p.bias = b.f(), p.silu = silu;
    return p;
  }

  // Every output and the workspace NaN-filled, running statistics reset, then the four passes.
  void enqueue(cudaStream_t s) const {
    for (const DevBuf* o : {&y, &dx, &mean, &invstd, &sdz, &sdzx, &part}) ok(cudaMemsetAsync(o->ptr, 0xff, o->bytes, s));
    ok(cudaMemcpyAsync(rm.ptr, rm0.ptr, rm.bytes, cudaMemcpyDeviceToDevice, s));
    ok(cudaMemcpyAsync(rv.ptr, rv0.ptr, rv.bytes, cudaMemcpyDeviceToDevice, s));
    namespace kc = kernels::cuda;
    kc::bn_stats(t, x.ptr, rows, C, eps, momentum, rm.f(), rv.f(), mean.f(), invstd.f(), part.f(), s);
    const kernels::BnParams p = params();
    kc::bn_forward(t, x.ptr, rows, C, p, y.ptr, s);
    kc::bn_backward_reduce(t, x.ptr, dy.ptr, rows, C, p, sdz.f(), sdzx.f(), part.f(), s);
    kc::bn_backward_input(t, x.ptr, dy.ptr, rows, C, p, true, sdz.f(), sdzx.f(), dx.ptr, s);
  }

  Outputs read() const {
    return {download(mean, C, DType::f32), download(invstd, C, DType::f32), download(rm, C, DType::f32),
            download(rv, C, DType::f32),   download(y, rows * C, t),        download(sdz, C, DType::f32),
            download(sdzx, C, DType::f32), download(dx, rows * C, t)};
  }
};

Outputs run_eager(const Problem& pb, cudaStream_t s) {
  pb.enqueue(s);
  ok(cudaStreamSynchronize(s));
  return pb.read();
}

Outputs run_graph(const Problem& pb, cudaStream_t s) {
  cudaGraph_t g = nullptr;
  cudaGraphExec_t e = nullptr;
  ok(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal));
  pb.enqueue(s);
  ok(cudaStreamEndCapture(s, &g));
  ok(cudaGraphInstantiate(&e, g, 0));
  ok(cudaGraphLaunch(e, s));
  ok(cudaStreamSynchronize(s));
  Outputs out = pb.read();
  cudaGraphExecDestroy(e);
  cudaGraphDestroy(g);
  return out;
}

struct Tols {
  double elem_atol, elem_rtol;  // y and dx, in the dtype
};
Tols tols_for(DType t) {
  if (t == DType::f32) return {2e-5, 5e-5};
  if (t == DType::f16) return {4e-3, 2e-3};
  return {3e-2, 8e-3};
}

// x = offset_c + scale_c * u, u uniform in [-1, 1]; dy uniform in [-1, 1].
// stats_only: only the statistics are compared (with |mean| >> std the CPU's own f32 forward formula
// x * scale + shift cancels, so the elementwise passes are not a fair comparison there).
void check_problem(int64_t rows, int64_t C, DType t, bool silu, int64_t offset, float off_range, float scale_lo,
                   float scale_hi, cudaStream_t s, bool stats_only = false) {
  INFO("rows ", rows, " C ", C, " ", dtype_name(t), " silu ", silu, " offset ", offset);
  const uint64_t seed = test::fresh_seed();
  INFO("seed ", seed);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f), sc(scale_lo, scale_hi), of(-off_range, off_range),
      wd(0.5f, 1.5f), bd(-0.5f, 0.5f), rvd(0.5f, 2.f);
  const size_t nc = size_t(C), n = size_t(rows * C);
  std::vector<float> off(nc), scale(nc), w(nc), b(nc), rm(nc), rv(nc);
  for (int64_t c = 0; c < C; ++c) {
    off[size_t(c)] = of(rng), scale[size_t(c)] = sc(rng), w[size_t(c)] = wd(rng), b[size_t(c)] = bd(rng);
    rm[size_t(c)] = 0.2f * u(rng), rv[size_t(c)] = rvd(rng);
  }
  std::vector<float> xv(n), gv(n);
  for (int64_t i = 0; i < rows * C; ++i) {
    xv[size_t(i)] = off[size_t(i % C)] + scale[size_t(i % C)] * u(rng);
    gv[size_t(i)] = u(rng);
  }
  const HostTensor x = rounded(xv, t), dy = rounded(gv, t);

  Problem pb(rows, C, t, silu, offset);
  upload(pb.x, x.typed.data());
  upload(pb.dy, dy.typed.data());
  upload(pb.w, w.data());
  upload(pb.b, b.data());
  upload(pb.rm0, rm.data());
  upload(pb.rv0, rv.data());

  const Outputs a = run_eager(pb, s), again = run_eager(pb, s), graph = run_graph(pb, s);
  CHECK_MESSAGE(a == again, "two eager runs differ");
  CHECK_MESSAGE(a == graph, "the CUDA-graph replay differs from the eager run");

  // Statistics against the CPU (double accumulation) on the same rounded values.
  std::vector<float> mean(nc), invstd(nc), var_unbiased(nc);
  kernels::cpu::bn_stats(x.f32.data(), rows, C, pb.eps, mean.data(), invstd.data(), var_unbiased.data());
  std::vector<float> rm_ref(nc), rv_ref(nc);
  for (size_t c = 0; c < nc; ++c) {
    rm_ref[c] = (1.f - pb.momentum) * rm[c] + pb.momentum * mean[c];
    rv_ref[c] = (1.f - pb.momentum) * rv[c] + pb.momentum * var_unbiased[c];
  }
  test::check_close(a.mean, mean, 2e-5 * scale_hi, 2.5e-7, "mean");
  test::check_close(a.invstd, invstd, 0, 5e-4, "invstd");
  test::check_close(a.rm, rm_ref, 1e-6 * scale_hi, 1e-5, "running mean");
  test::check_close(a.rv, rv_ref, 1e-6, 5e-4, "running var");
  if (stats_only) return;

  // The other passes from the GPU's own statistics (and sums), so each pass is checked alone.
  kernels::BnParams p;
  p.mean = a.mean.data(), p.invstd = a.invstd.data(), p.weight = w.data(), p.bias = b.data(), p.silu = silu;
  const Tols tol = tols_for(t);
  std::vector<float> y(n), sdz(nc), sdzx(nc), dx(n);
  kernels::cpu::bn_forward(x.f32.data(), rows, C, p, y.data());
  test::check_close(a.y, y, tol.elem_atol, tol.elem_rtol, "forward");
  kernels::cpu::bn_backward_reduce(x.f32.data(), dy.f32.data(), rows, C, p, sdz.data(), sdzx.data());
  const double sum_atol = 2e-6 * double(rows) + 1e-4;
  test::check_close(a.sum_dz, sdz, sum_atol, 1e-4, "sum dz");
  test::check_close(a.sum_dzx, sdzx, sum_atol, 1e-4, "sum dz*xhat");
  kernels::cpu::bn_backward_input(x.f32.data(), dy.f32.data(), rows, C, p, true, a.sum_dz.data(), a.sum_dzx.data(),
                                  dx.data());
  test::check_close(a.dx, dx, tol.elem_atol, tol.elem_rtol, "input gradient");
}

struct Shape2 {
  int64_t rows, C;
};
}  // namespace

TEST_CASE("batch-norm CUDA passes match the CPU, bit for bit across eager runs and a CUDA graph") {
  if (!test::cuda_present()) return;
  cudaStream_t s = nullptr;
  ok(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  // Channel counts of the n/s/m models (8 .. 1024, 48/80/96/200 not multiples of 16), odd ones (3, 37),
  // more channels than one 16-byte elementwise block holds (2056), prime row counts (uneven row shares),
  // and rows enough for a full wave of row blocks at 32, 256 and 1024 channels.
  const Shape2 shapes[] = {{37, 3},     {1009, 8},   {4099, 32},   {3001, 48},    {2003, 80},  {1501, 96},
                           {5003, 64},  {7, 128},    {999, 200},   {211, 37},     {301, 2056}, {2, 16},
                           {500009, 32}, {60013, 256}, {20011, 1024}};
  for (const Shape2& sh : shapes)
    for (DType t : {DType::f32, DType::f16, DType::bf16})
      for (bool silu : {true, false}) {
        if (sh.rows * sh.C > 2000000 && !silu) continue;  // the large shapes once per dtype
        check_problem(sh.rows, sh.C, t, silu, 0, 3.f, 0.5f, 2.f, s);
      }
  cudaStreamDestroy(s);
}

TEST_CASE("batch-norm CUDA passes on misaligned pointers take the element-wise paths and match the CPU") {
  if (!test::cuda_present()) return;
  cudaStream_t s = nullptr;
  ok(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  for (const Shape2& sh : {Shape2{3001, 64}, Shape2{1203, 48}, Shape2{999, 256}})
    for (DType t : {DType::f32, DType::f16, DType::bf16}) check_problem(sh.rows, sh.C, t, true, 1, 3.f, 0.5f, 2.f, s);
  cudaStreamDestroy(s);
}

TEST_CASE("batch-norm CUDA statistics stay accurate when the mean is far larger than the spread") {
  if (!test::cuda_present()) return;
  cudaStream_t s = nullptr;
  ok(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  // mean up to 300 with std 0.006-0.06 (f32): sum(x^2) - sum(x)^2 / n in f32 would lose every digit.
  for (const Shape2& sh : {Shape2{40009, 32}, Shape2{3001, 96}})
    check_problem(sh.rows, sh.C, DType::f32, true, 0, 300.f, 0.01f, 0.1f, s, /*stats_only=*/true);
  cudaStreamDestroy(s);
}
#endif

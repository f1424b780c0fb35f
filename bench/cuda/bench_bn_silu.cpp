// BatchNorm + SiLU forward+backward on yolov8s activation shapes at batch 32 (NHWC): the fused op
// (ops::batch_norm with silu) against batch_norm followed by ops::silu, in f16, bf16 and f32, through
// the autograd ops as training runs them. Counter: effective GB/s over the minimum traffic of the
// fused pair (forward reads x twice and writes y; backward reads x and dy twice and writes dx).
#include <benchmark/benchmark.h>

#include <chrono>

#include "engine/nn_ops.h"

using namespace ye;

namespace {
const Shape kShapes[] = {{32, 160, 160, 64}, {32, 80, 80, 128}, {32, 40, 40, 256}, {32, 20, 20, 512}};
const DType kTypes[] = {DType::f16, DType::bf16, DType::f32};

void BM_BnSilu(benchmark::State& state) {
  const Shape s = kShapes[state.range(0)];
  const DType dt = kTypes[state.range(1)];
  const bool fused = state.range(2) != 0;
  const int64_t C = s[-1];
  Device dev = Device::cuda(0);
  Generator gen(3);
  Tensor x = Tensor::empty(s, dt, dev), gy = Tensor::empty(s, dt, dev);
  ops::uniform_(x, -2, 3, gen);
  ops::uniform_(gy, -1, 1, gen);
  x.set_requires_grad(true);
  Tensor w = Tensor::full(Shape{C}, 1.f, DType::f32, dev).set_requires_grad(true);
  Tensor b = Tensor::zeros(Shape{C}, DType::f32, dev).set_requires_grad(true);
  Tensor rm = Tensor::zeros(Shape{C}, DType::f32, dev), rv = Tensor::full(Shape{C}, 1.f, DType::f32, dev);
  auto step = [&] {
    Tensor y = fused ? ops::batch_norm(x, w, b, rm, rv, {true, 0.03f, 1e-3f, true})
                     : ops::silu(ops::batch_norm(x, w, b, rm, rv, {true, 0.03f, 1e-3f, false}));
    y.backward(gy);
    x.set_grad(Tensor());
    w.set_grad(Tensor());
    b.set_grad(Tensor());
  };
  step();
  ops::synchronize(dev);
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    step();
    ops::synchronize(dev);
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  const double bytes = 7.0 * double(s.numel()) * double(dtype_size(dt));
  state.counters["GB/s"] = benchmark::Counter(bytes * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(std::string(fused ? "fused " : "unfused ") + std::string(dtype_name(dt)) + " " + s.str());
}
}  // namespace

BENCHMARK(BM_BnSilu)
    ->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}, {1, 0}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();

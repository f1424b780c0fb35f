// NMS benchmark, CUDA vs CPU, on validation-shaped inputs: (B, 4+80, 8400) f16/f32 Detect outputs with
// conf 0.001, IoU 0.7, multi-label, max_det 300. Two score regimes: "trained" (few candidates per image)
// and "early" (every score above conf: 672k candidates per image, the max_nms = 30000 cut applies).
// Items = images; CUDA times with events (manual time), the CPU twin with wall time.
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <Eigen/Core>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/nms_cuda.h"
#include "kernels/nms.h"

using namespace ye::kernels;
using ye::DType;

namespace {
constexpr int kNc = 80, kAnchors = 8400;

// (B, 84, A) predictions: boxes around a 32-px grid; scores by regime (0: trained, 1: early).
std::vector<float> make_preds(int batch, int regime) {
  std::mt19937_64 rng(1234);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const int C = 4 + kNc;
  std::vector<float> p(size_t(batch) * C * kAnchors);
  for (int b = 0; b < batch; ++b)
    for (int a = 0; a < kAnchors; ++a) {
      auto at = [&](int ch) -> float& { return p[(size_t(b) * C + ch) * kAnchors + a]; };
      at(0) = float(a % 80) * 8 + u(rng) * 16;
      at(1) = float(a / 80 % 80) * 8 + u(rng) * 16;
      at(2) = 10 + u(rng) * 120;
      at(3) = 10 + u(rng) * 120;
      for (int c = 0; c < kNc; ++c) {
        const float r = u(rng);
        at(4 + c) = regime == 1 ? 0.002f + 0.02f * r : (r < 0.995f ? 0.0005f * r : r);
      }
    }
  return p;
}

std::vector<uint16_t> to_f16(const std::vector<float>& p) {
  std::vector<uint16_t> h(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    Eigen::half v(p[i]);
    std::memcpy(&h[i], &v, 2);
  }
  return h;
}

NmsConfig val_config() {
  NmsConfig c;
  c.conf_thres = 0.001f;
  c.iou_thres = 0.7f;
  c.multi_label = true;
  return c;
}

void BM_nms_cuda(benchmark::State& state) {
  const int batch = int(state.range(0)), regime = int(state.range(1));
  const DType dt = state.range(2) ? DType::f16 : DType::f32;
  const NmsShape s{batch, kNc, kAnchors, PredLayout::channels_first};
  const NmsConfig cfg = val_config();
  const std::vector<float> f32 = make_preds(batch, regime);
  const std::vector<uint16_t> f16 = to_f16(f32);
  const void* host = dt == DType::f16 ? static_cast<const void*>(f16.data()) : static_cast<const void*>(f32.data());
  const size_t bytes = f32.size() * (dt == DType::f16 ? 2 : 4);
  const size_t ws = cuda::nms_workspace_bytes(s, cfg);
  void *d_pred, *d_ws;
  float* d_out;
  int32_t* d_counts;
  YE_CUDA_CHECK(cudaMalloc(&d_pred, bytes));
  YE_CUDA_CHECK(cudaMalloc(&d_ws, ws));
  YE_CUDA_CHECK(cudaMalloc(&d_out, size_t(batch) * cfg.max_det * kNmsRow * 4));
  YE_CUDA_CHECK(cudaMalloc(&d_counts, size_t(batch) * 4));
  YE_CUDA_CHECK(cudaMemcpy(d_pred, host, bytes, cudaMemcpyHostToDevice));
  cudaStream_t stream;
  cudaEvent_t start, stop;
  YE_CUDA_CHECK(cudaStreamCreate(&stream));
  YE_CUDA_CHECK(cudaEventCreate(&start));
  YE_CUDA_CHECK(cudaEventCreate(&stop));
  cuda::nms_detect(d_pred, dt, s, cfg, d_ws, ws, d_out, d_counts, nullptr, stream);  // warm-up
  YE_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (auto _ : state) {
    YE_CUDA_CHECK(cudaEventRecord(start, stream));
    cuda::nms_detect(d_pred, dt, s, cfg, d_ws, ws, d_out, d_counts, nullptr, stream);
    YE_CUDA_CHECK(cudaEventRecord(stop, stream));
    YE_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    YE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms / 1e3);
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["workspace_MB"] = double(ws) / 1e6;
  YE_CUDA_CHECK(cudaEventDestroy(start));
  YE_CUDA_CHECK(cudaEventDestroy(stop));
  YE_CUDA_CHECK(cudaStreamDestroy(stream));
  for (void* p : {d_pred, d_ws, static_cast<void*>(d_out), static_cast<void*>(d_counts)}) YE_CUDA_CHECK(cudaFree(p));
}

void BM_nms_cpu(benchmark::State& state) {
  const int batch = int(state.range(0)), regime = int(state.range(1));
  const NmsShape s{batch, kNc, kAnchors, PredLayout::channels_first};
  const NmsConfig cfg = val_config();
  const std::vector<float> f32 = make_preds(batch, regime);
  std::vector<float> out(size_t(batch) * cfg.max_det * kNmsRow);
  std::vector<int32_t> counts(static_cast<size_t>(batch));
  for (auto _ : state) {
    cpu::nms_detect(f32.data(), DType::f32, s, cfg, out.data(), counts.data());
    benchmark::DoNotOptimize(counts.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
}
}  // namespace

// args: batch, regime (0 trained, 1 early), f16
BENCHMARK(BM_nms_cuda)->Args({32, 0, 1})->Args({32, 0, 0})->Args({32, 1, 1})->Args({1, 0, 1})->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_nms_cpu)->Args({4, 0, 0})->Args({1, 1, 0})->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();

// Google Benchmark of the CUDA detection loss: target grouping + task-aligned assigner + losses + backward
// in one call (cuda::det_loss) at 640x640 (8400 anchors), 80 classes, batch 16/64, ~8 boxes per image on
// average with one image in 32 holding 100, for f32 and bf16 logits. Timed with CUDA events.
#include <benchmark/benchmark.h>
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <vector>

#include "kernels/cuda/cuda_check.h"
#include "kernels/det_loss.h"
#include "tests/loss/loss_golden.h"

namespace {

using namespace ye::kernels;

std::vector<int> realistic_counts(int batch, uint64_t seed) {
  std::vector<int> n(batch);
  for (int b = 0; b < batch; ++b) n[b] = b % 32 == 0 ? 100 : int((seed + 7919u * b) % 11u);
  return n;
}

template <class T>
T* to_device(const std::vector<float>& v) {
  std::vector<T> h(v.begin(), v.end());
  T* d = nullptr;
  YE_CUDA_CHECK(cudaMalloc(&d, std::max<size_t>(h.size(), 1) * sizeof(T)));
  YE_CUDA_CHECK(cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

template <class T>
void BM_det_loss_cuda(benchmark::State& state) {
  const int batch = int(state.range(0));
  const auto counts = realistic_counts(batch, 3);
  const auto c = ye::test::loss::random_case(42, batch, 640, 640, 80, 100, &counts);
  const DetLossShape s = c.shape;
  DetLossInputs in;
  in.pred_distri = to_device<T>(c.distri);
  in.pred_scores = to_device<T>(c.scores);
  in.dtype = std::is_same_v<T, float> ? ye::DType::f32 : ye::DType::bf16;
  in.anchors = to_device<float>(c.anchors);
  in.strides = to_device<float>(c.strides);
  in.targets = to_device<float>(c.targets);
  in.num_targets = c.num_targets;
  DetLossOutputs out;
  void *gd, *gs, *ws;
  YE_CUDA_CHECK(cudaMalloc(&out.loss, 4 * sizeof(float)));
  YE_CUDA_CHECK(cudaMalloc(&gd, c.distri.size() * sizeof(T)));
  YE_CUDA_CHECK(cudaMalloc(&gs, c.scores.size() * sizeof(T)));
  out.grad_distri = gd;
  out.grad_scores = gs;
  const size_t ws_bytes = cuda::det_loss_workspace_bytes(s);
  YE_CUDA_CHECK(cudaMalloc(&ws, ws_bytes));
  cudaStream_t stream;
  cudaEvent_t start, stop;
  YE_CUDA_CHECK(cudaStreamCreate(&stream));
  YE_CUDA_CHECK(cudaEventCreate(&start));
  YE_CUDA_CHECK(cudaEventCreate(&stop));
  cuda::det_loss(s, {}, in, out, ws, ws_bytes, stream);  // warm-up
  YE_CUDA_CHECK(cudaStreamSynchronize(stream));
  for (auto _ : state) {
    YE_CUDA_CHECK(cudaEventRecord(start, stream));
    cuda::det_loss(s, {}, in, out, ws, ws_bytes, stream);
    YE_CUDA_CHECK(cudaEventRecord(stop, stream));
    YE_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    YE_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms / 1e3);
  }
  // Bytes that must move at least once: logits read, gradients written.
  const double bytes = 2.0 * double(c.distri.size() + c.scores.size()) * sizeof(T);
  state.SetBytesProcessed(int64_t(bytes) * state.iterations());
  state.counters["targets"] = c.num_targets;
  state.counters["workspace_MB"] = double(ws_bytes) / 1e6;
  for (const void* p : {in.pred_distri, in.pred_scores, static_cast<const void*>(in.anchors),
                        static_cast<const void*>(in.strides), static_cast<const void*>(in.targets),
                        static_cast<const void*>(out.loss), static_cast<const void*>(gd), static_cast<const void*>(gs),
                        static_cast<const void*>(ws)})
    YE_CUDA_CHECK(cudaFree(const_cast<void*>(p)));
  YE_CUDA_CHECK(cudaEventDestroy(start));
  YE_CUDA_CHECK(cudaEventDestroy(stop));
  YE_CUDA_CHECK(cudaStreamDestroy(stream));
}

BENCHMARK_TEMPLATE(BM_det_loss_cuda, float)->Arg(16)->Arg(64)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_TEMPLATE(BM_det_loss_cuda, __nv_bfloat16)->Arg(16)->Arg(64)->UseManualTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

// Google Benchmark of one whole training step on the GPU (forward, detection loss, backward with f16
// loss scaling, SGD step with unscale/clip, scaler update, zero_grad, EMA update) for yolov8n/s at 640
// on a fixed device-resident batch (the data pipeline is bench_data's), with images/s as the rate.
// BM_train_step_phases synchronises after each phase: GPU-inclusive ms per phase; BM_train_step's host
// enqueue times (total and per phase, no syncs) say whether the step is bound by the CPU or the GPU.
// Each BM_train_step_phases run brackets one step with cudaProfilerStart/Stop, so a kernel profiler
// started with --profile-from-start off sees exactly whole warm steps (docs/PERFORMANCE.md).
// BM_train_step_graph runs the trainer's own micro-batch (yolo::TrainStep: upload from pinned host
// memory, padded device targets, CUDA graphs; /0 = the same TrainStep forced eager) and reports the
// host time per step, the graph size and the memory it holds; its last argument turns recomputed BN+SiLU
// activations (engine/recompute.h) on (1), off (0) or leaves it to TrainStep's automatic choice (2).
#include <benchmark/benchmark.h>
#include <cuda_profiler_api.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/allocator.h"
#include "engine/host_memory.h"
#include "engine/ops.h"
#include "engine/recompute.h"
#include "engine/optimizer.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/model/detection_model.h"
#include "yolo/train/train_step.h"

namespace {

using namespace ye;
using Clock = std::chrono::steady_clock;

const char* const kModels[] = {"yolov8n", "yolov8s", "yolo11s", "yolov8m"};
constexpr int kImgsz = 640, kNc = 80;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// A model with its loss, optimizer, scaler and EMA, and a fixed batch of random images with ~8 boxes
// per image (one image in 16 with 60), as the trainer builds them.
struct StepRig {
  Device dev = Device::cuda(0);
  std::unique_ptr<yolo::DetectionModel> model;
  std::unique_ptr<yolo::DetectionLoss> loss;
  std::unique_ptr<Optimizer> opt;
  std::unique_ptr<GradScaler> scaler;
  std::unique_ptr<ModelEMA> ema;
  Tensor input, targets;

  StepRig(const std::string& name, int batch) {
    model = std::make_unique<yolo::DetectionModel>(yolo::load_model_spec(name, kNc), dev, 0);
    model->set_training(true);
    loss = std::make_unique<yolo::DetectionLoss>(kNc);
    auto groups = model->param_groups(0.01f, 0.937f, 5e-4f);
    opt = std::make_unique<Optimizer>(OptimizerKind::sgd, model->parameters(), groups, 0.999f, 1e-8f, true);
    scaler = std::make_unique<GradScaler>(dev, true);
    ema = std::make_unique<ModelEMA>(model->parameters().values(), model->buffers().values());
    Tensor img = Tensor::empty({batch, kImgsz, kImgsz, 3}, DType::f32, dev);
    Generator gen(7);
    ops::uniform_(img, 0.0f, 1.0f, gen);
    input = ops::cast(img, DType::f16);
    std::vector<float> rows;
    uint64_t s = 12345;
    auto next = [&s] { return float((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 40) / float(1 << 24); };
    for (int b = 0; b < batch; ++b) {
      int n = b % 16 == 0 ? 60 : 8;
      for (int k = 0; k < n; ++k) {
        float w = 0.05f + 0.4f * next(), h = 0.05f + 0.4f * next();
        rows.insert(rows.end(), {float(b), float(int(next() * kNc) % kNc), w / 2 + (1 - w) * next(),
                                 h / 2 + (1 - h) * next(), w, h});
      }
    }
    targets = Tensor::from_vector(rows, {int64_t(rows.size() / 6), 6});
  }

  // One step; with `phase_ms` the times of the four phases are added there, with the device
  // synchronised after each phase when `sync` (else they are the host's enqueue times).
  void step(double* phase_ms = nullptr, bool sync = true) {
    auto t = Clock::now();
    auto mark = [&](int i) {
      if (!phase_ms) return;
      if (sync) ops::synchronize(dev);
      phase_ms[i] += ms_since(t);
      t = Clock::now();
    };
    yolo::DetectOutput out = model->forward(input);
    mark(0);
    yolo::LossResult l = (*loss)(out.feats, targets, kImgsz, kImgsz);
    mark(1);
    scaler->scale_loss(l.total).backward();
    mark(2);
    opt->step(*scaler, 10.0f);
    scaler->update();
    model->parameters().zero_grad();
    ema->update(model->parameters().values(), model->buffers().values());
    mark(3);
  }
};

void BM_train_step(benchmark::State& state) {
  StepRig rig(kModels[state.range(0)], int(state.range(1)));
  state.SetLabel(std::string(kModels[state.range(0)]) + " b" + std::to_string(state.range(1)) + " f16 640");
  for (int i = 0; i < 3; ++i) rig.step();  // cuDNN algorithm search, allocator warm-up
  ops::synchronize(rig.dev);
  double enqueue_ms = 0, host[4] = {0, 0, 0, 0};
  for (auto _ : state) {
    auto t = Clock::now();
    rig.step(host, false);
    enqueue_ms += ms_since(t);
    ops::synchronize(rig.dev);
  }
  state.counters["images/s"] = benchmark::Counter(double(state.iterations() * state.range(1)), benchmark::Counter::kIsRate);
  state.counters["host_enqueue_ms"] = benchmark::Counter(enqueue_ms, benchmark::Counter::kAvgIterations);
  const char* names[4] = {"host_fwd_ms", "host_loss_ms", "host_bwd_ms", "host_opt_ms"};
  for (int i = 0; i < 4; ++i) state.counters[names[i]] = benchmark::Counter(host[i], benchmark::Counter::kAvgIterations);
  state.counters["reserved_GiB"] = double(allocator_stats(rig.dev).bytes_reserved) / double(1ull << 30);
}

// The trainer's path: TrainStep over a pinned host batch (the loader's form) with the same boxes.
void BM_train_step_graph(benchmark::State& state) {
  const int batch = int(state.range(1));
  const bool graphs = state.range(2) != 0;
  const int64_t recompute = state.range(3);  // 0 off, 1 on, 2 the train step's automatic choice
  std::optional<RecomputeGuard> recompute_mode;
  if (recompute != 2) recompute_mode.emplace(recompute == 1);
  StepRig rig(kModels[state.range(0)], batch);
  state.SetLabel(std::string(kModels[state.range(0)]) + " b" + std::to_string(batch) + " f16 640, TrainStep " +
                 (graphs ? "graph" : "eager") +
                 (recompute == 2 ? ", automatic recompute" : recompute == 1 ? "" : ", no recompute"));
  const size_t image_bytes = size_t(batch) * kImgsz * kImgsz * 3;
  std::shared_ptr<void> pinned = pinned_host_alloc(image_bytes);
  auto* images = static_cast<uint8_t*>(pinned.get());
  for (size_t i = 0; i < image_bytes; ++i) images[i] = uint8_t((i * 2654435761u) >> 24);
  std::vector<float> rows = rig.targets.to_vector();
  yolo::TrainStepParts parts;
  parts.model = rig.model.get(), parts.loss = rig.loss.get(), parts.optimizer = rig.opt.get();
  parts.scaler = rig.scaler.get(), parts.ema = rig.ema.get(), parts.input_dtype = DType::f16;
  parts.use_graphs = graphs;
  yolo::TrainStep step(parts);
  yolo::StepBatch b{images, pinned, batch, kImgsz, kImgsz, rows.data(), int64_t(rows.size() / 6)};
  for (int i = 0; i < 4; ++i) step.run(b, true);  // warm-up and recording
  ops::synchronize(rig.dev);
  allocator_reset_peak(rig.dev);
  double host_ms = 0;
  for (auto _ : state) {
    auto t = Clock::now();
    step.run(b, true);
    host_ms += ms_since(t);
    ops::synchronize(rig.dev);
  }
  const yolo::TrainStepStats& st = step.stats();
  if (graphs && !st.disabled_reason.empty()) state.SkipWithError(("graphs off: " + st.disabled_reason).c_str());
  AllocatorStats mem = allocator_stats(rig.dev);
  state.counters["images/s"] = benchmark::Counter(double(state.iterations() * batch), benchmark::Counter::kIsRate);
  state.counters["host_ms"] = benchmark::Counter(host_ms, benchmark::Counter::kAvgIterations);
  state.counters["graph_nodes"] = double(st.graph_nodes);
  state.counters["recompute"] = st.recompute ? 1 : 0;
  state.counters["graph_GiB"] = double(st.graph_bytes) / double(1ull << 30);
  state.counters["cache_pool_GiB"] = double(st.graph_cache_bytes) / double(1ull << 30);
  state.counters["live_peak_GiB"] = double(st.graph_live_peak) / double(1ull << 30);
  state.counters["planned"] = st.graph_planned ? 1 : 0;
  state.counters["peak_GiB"] = double(mem.peak_bytes_in_use) / double(1ull << 30);
  state.counters["reserved_GiB"] = double(mem.bytes_reserved) / double(1ull << 30);
}

void BM_train_step_phases(benchmark::State& state) {
  StepRig rig(kModels[state.range(0)], int(state.range(1)));
  state.SetLabel(std::string(kModels[state.range(0)]) + " b" + std::to_string(state.range(1)) + " f16 640, synced phases");
  for (int i = 0; i < 3; ++i) rig.step();
  ops::synchronize(rig.dev);
  cudaProfilerStart();
  rig.step();
  ops::synchronize(rig.dev);
  cudaProfilerStop();
  double ms[4] = {0, 0, 0, 0};
  for (auto _ : state) rig.step(ms);
  const char* names[4] = {"forward_ms", "loss_ms", "backward_ms", "optimizer_ema_ms"};
  for (int i = 0; i < 4; ++i) state.counters[names[i]] = benchmark::Counter(ms[i], benchmark::Counter::kAvgIterations);
}

}  // namespace

BENCHMARK(BM_train_step_graph)->ArgsProduct({{0, 1, 2, 3}, {16, 64}, {1, 0}, {1}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_train_step_graph)->ArgsProduct({{0, 1}, {16, 64}, {1, 0}, {0, 2}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_train_step)->ArgsProduct({{0, 1}, {16, 64}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_train_step_phases)->ArgsProduct({{0, 1}, {16, 64}})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();

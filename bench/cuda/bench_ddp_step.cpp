// Data-parallel training step (CUDA only; one process per GPU, like bench_allreduce: run alone it is a
// world of one, under a launcher each process is a rank and rank 0 reports). yolov8s/yolov8m at 640,
// f16 activations with loss scaling, per-GPU batch 32/64, SGD: forward, loss, backward with bucketed
// all-reduce overlapping it, optimizer step — the eager DDP path of the trainer on a fixed device
// batch (no loader). Reports images/s per GPU and over all GPUs, and the overlap timeline from CUDA
// events on the compute stream: backward_ms (forward end -> backward kernels done) and exposed_comm_ms
// (backward done -> every bucket reduced), i.e. the all-reduce time that backward did not hide.
// Rows with /syncbn run --sync-bn (BN statistics all-reduced per layer).
#include <cuda_runtime.h>

#include <memory>

#include "bench/common/harness.h"
#include "engine/cuda/context.h"
#include "engine/dist/communicator.h"
#include "engine/ops.h"
#include "engine/optimizer.h"
#include "kernels/cuda/cuda_check.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/model/detection_model.h"
#include "yolo/train/data_parallel.h"

namespace ye::bench {
namespace {
constexpr int kImgsz = 640, kNc = 80, kStepsPerRep = 10;

struct Group {
  dist::DistEnv env;
  Device device;
  std::unique_ptr<dist::Communicator> comm;  // null in a world of one
};

// Boxes as the peer script builds them: 60 on every 16th image, 8 elsewhere.
Tensor targets_for(int batch) {
  std::vector<float> rows;
  std::vector<float> r = random_values(size_t(batch) * 60 * 5, 0.f, 1.f, 7);
  size_t k = 0;
  for (int b = 0; b < batch; ++b)
    for (int i = 0, n = b % 16 == 0 ? 60 : 8; i < n; ++i, k += 5) {
      float w = 0.05f + 0.4f * r[k], h = 0.05f + 0.4f * r[k + 1];
      rows.insert(rows.end(), {float(b), float(int(r[k + 4] * (kNc - 1))), w / 2 + (1 - w) * r[k + 2],
                               h / 2 + (1 - h) * r[k + 3], w, h});
    }
  return Tensor::from_vector(rows, Shape{int64_t(rows.size() / 6), 6});
}

struct Events {
  cudaEvent_t e[3] = {};
  Events() {
    for (auto& x : e) YE_CUDA_CHECK(cudaEventCreate(&x));
  }
  ~Events() {
    for (auto& x : e) cudaEventDestroy(x);
  }
};

void step_row(benchmark::State& st, Group& g, const std::string& model_name, int batch, bool sync_bn) {
  cuda::set_device(g.device.index);
  cudaStream_t s = cuda::context(g.device.index).stream;
  yolo::ModelSpec spec = yolo::load_model_spec(model_name, kNc, "", YE_SOURCE_DIR "/configs");
  yolo::DetectionModel model(spec, g.device, 1);
  std::unique_ptr<yolo::DataParallel> ddp;
  if (g.comm) {
    ddp = std::make_unique<yolo::DataParallel>(*g.comm, model);
    ddp->broadcast_state();
    if (sync_bn) ddp->enable_sync_bn();
  }
  Optimizer opt(OptimizerKind::sgd, model.parameters(), model.param_groups(0.01f, 0.937f, 5e-4f));
  GradScaler scaler(g.device, true);
  yolo::DetectionLoss criterion(kNc);
  Tensor images = ops::cast(Tensor::from_vector(random_values(size_t(batch) * kImgsz * kImgsz * 3, 0.f, 1.f, 3),
                                                Shape{batch, kImgsz, kImgsz, 3}, g.device),
                            DType::f16);
  Tensor targets = targets_for(batch);
  Events ev;
  double backward_ms = 0, exposed_ms = 0;
  auto one_step = [&](bool timeline) {
    if (ddp) ddp->before_forward();
    yolo::DetectOutput out = model.forward(images);
    Tensor loss = criterion(out.feats, targets, kImgsz, kImgsz).total;
    if (timeline) YE_CUDA_CHECK(cudaEventRecord(ev.e[0], s));
    if (ddp) ddp->begin_backward(true);
    scaler.scale_loss(ddp ? ddp->scale_loss(loss) : loss).backward();
    if (timeline) YE_CUDA_CHECK(cudaEventRecord(ev.e[1], s));
    if (ddp) ddp->end_backward();
    if (timeline) YE_CUDA_CHECK(cudaEventRecord(ev.e[2], s));
    opt.step(scaler, 10.0f);
    scaler.update();
    model.parameters().zero_grad();
    if (timeline) {
      YE_CUDA_CHECK(cudaEventSynchronize(ev.e[2]));
      float a = 0, b = 0;
      YE_CUDA_CHECK(cudaEventElapsedTime(&a, ev.e[0], ev.e[1]));
      YE_CUDA_CHECK(cudaEventElapsedTime(&b, ev.e[1], ev.e[2]));
      backward_ms += a, exposed_ms += b;
    }
  };
  for (int i = 0; i < 3; ++i) one_step(false);  // warm-up: cuDNN plans, allocator, buckets
  ops::synchronize(g.device);
  cudaEvent_t t0, t1;
  YE_CUDA_CHECK(cudaEventCreate(&t0));
  YE_CUDA_CHECK(cudaEventCreate(&t1));
  double total_s = 0;
  int64_t reps = 0, timelines = 0;
  for (auto _ : st) {
    if (g.comm) g.comm->barrier();  // every rank starts the repetition together
    YE_CUDA_CHECK(cudaEventRecord(t0, s));
    for (int i = 0; i < kStepsPerRep; ++i) one_step(false);
    YE_CUDA_CHECK(cudaEventRecord(t1, s));
    YE_CUDA_CHECK(cudaEventSynchronize(t1));
    float ms = 0;
    YE_CUDA_CHECK(cudaEventElapsedTime(&ms, t0, t1));
    double secs = double(ms) / 1e3;
    if (g.comm) secs = g.comm->all_reduce_host(secs, dist::HostOp::max);  // the slowest rank sets the pace
    st.SetIterationTime(secs);
    total_s += secs, ++reps;
    one_step(true), ++timelines;  // one step with the timeline events (it synchronises)
  }
  cudaEventDestroy(t0);
  cudaEventDestroy(t1);
  const int world = g.comm ? g.comm->world_size() : 1;
  const double per_gpu = double(batch) * kStepsPerRep * double(reps) / std::max(total_s, 1e-12);
  st.counters["img/s/GPU"] = per_gpu;
  st.counters["img/s"] = per_gpu * world;
  st.counters["ms/step"] = total_s * 1e3 / double(std::max<int64_t>(1, reps * kStepsPerRep));
  st.counters["backward_ms"] = backward_ms / double(std::max<int64_t>(1, timelines));
  st.counters["exposed_comm_ms"] = exposed_ms / double(std::max<int64_t>(1, timelines));
  st.SetLabel(std::to_string(world) + " GPU(s), per-GPU batch " + std::to_string(batch) +
              (sync_bn ? ", SyncBN" : "") + ", loss scale " + std::to_string(int64_t(scaler.scale().item())));
}

void register_rows(Group& g, const Options& opt) {
  g.env = dist::read_dist_env();
  g.device = Device::cuda(g.env.local_rank);
  cuda::set_device(g.env.local_rank);
  if (g.env.distributed()) g.comm = dist::make_communicator(g.env, g.device, dist::dist_timeout());
  const int n = g.env.world_size;
  struct Case {
    std::string model;
    int batch;
    bool sync_bn;
  };
  std::vector<Case> cases = opt.short_mode ? std::vector<Case>{{"yolov8s", 8, false}}
                                           : std::vector<Case>{{"yolov8s", 32, false}, {"yolov8s", 64, false},
                                                               {"yolov8m", 32, false}, {"yolov8m", 64, false},
                                                               {"yolov8s", 32, true}};
  for (const Case& c : cases) {
    const std::string name = "ddp_step/" + c.model + "/f16/b" + std::to_string(c.batch) + "/ranks" +
                             std::to_string(n) + (c.sync_bn ? "/syncbn" : "");
    add_row(name, [&g, c](benchmark::State& st) { guarded(st, [&] { step_row(st, g, c.model, c.batch, c.sync_bn); }); })
        ->Iterations(opt.short_mode ? 1 : 5)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
  using namespace ye::bench;
  Group group;
  const int rc = run_suite(argc, argv, nullptr, [&group](const Options& o) { register_rows(group, o); });
  if (group.comm) group.comm->shutdown();
  return rc;
}

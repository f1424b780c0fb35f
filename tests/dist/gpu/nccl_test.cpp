// NCCL back end on two GPUs (ranks as threads, one device each; rendezvous over TCP): collectives
// against host arithmetic (all_reduce sum/average in f32 and f16, broadcast, host values, barrier),
// the bucketed all-reduce of a real model's gradient arena (yolov8s: several 25 MB buckets) equals the
// sum of the ranks' gradients, and a 2-GPU DDP train step equals a 1-GPU step that accumulates the same
// two micro-batches (with overlap: buckets launched during backward).
#include "common/harness.h"
#include "dist/ddp_learner.h"
#include "dist/gpu/gpu_ranks.h"
#include "engine/dist/grad_buckets.h"
#include "yolo/train/data_parallel.h"

using namespace ye;

namespace {
void run_gpu_ranks(const std::function<void(dist::Communicator&)>& fn) { test::run_gpu_ranks(2, fn); }
}  // namespace

TEST_CASE("nccl: all_reduce sum/average f32 and f16, broadcast, host values, barrier") {
  std::vector<std::vector<float>> sums(2), avgs(2), halfs(2), bcast(2);
  std::vector<double> host(2);
  uint64_t seed = test::fresh_seed();
  run_gpu_ranks([&](dist::Communicator& c) {
    Device d = c.device();
    size_t r = size_t(c.rank());
    Tensor x = test::random_uniform({3000001}, seed + r).to(d);  // generated on the host, as below
    Tensor s = x.clone(), a = x.clone();
    c.all_reduce(s, dist::ReduceOp::sum);
    c.all_reduce(a, dist::ReduceOp::average);
    sums[r] = s.to_vector();
    avgs[r] = a.to_vector();
    Tensor h = ops::cast(Tensor::full({1024}, float(r + 1), DType::f32, d), DType::f16);
    c.all_reduce(h, dist::ReduceOp::sum);
    halfs[r] = h.to_vector();
    Tensor b = Tensor::full({77}, float(10 * r + 5), DType::f32, d);
    c.broadcast(b, 0);
    bcast[r] = b.to_vector();
    host[r] = c.all_reduce_host(double(r) + 0.5, dist::HostOp::max);
    c.barrier();
  });
  std::vector<float> x0 = test::random_uniform({3000001}, seed, -1, 1).to_vector();
  std::vector<float> x1 = test::random_uniform({3000001}, seed + 1, -1, 1).to_vector();
  std::vector<float> sum(x0.size()), avg(x0.size());
  for (size_t i = 0; i < x0.size(); ++i) sum[i] = x0[i] + x1[i], avg[i] = sum[i] * 0.5f;
  test::check_close(sums[0], sum, 1e-6, 1e-6, "sum rank 0");
  test::check_close(sums[1], sum, 1e-6, 1e-6, "sum rank 1");
  test::check_close(avgs[1], avg, 1e-6, 1e-6, "average rank 1");
  CHECK(halfs[0] == std::vector<float>(1024, 3.0f));
  CHECK(halfs[1] == std::vector<float>(1024, 3.0f));
  CHECK(bcast[1] == std::vector<float>(77, 5.0f));
  CHECK(host[0] == 1.5);
  CHECK(host[1] == 1.5);
}

TEST_CASE("nccl: bucketed all-reduce of a yolov8s gradient arena equals the sum of the ranks' gradients") {
  uint64_t seed = test::fresh_seed();
  std::vector<std::vector<float>> got(2);
  std::vector<size_t> nbuckets(2);
  int64_t total = 0;
  run_gpu_ranks([&](dist::Communicator& c) {
    yolo::ModelSpec spec = yolo::load_model_spec("yolov8s", 80, "", YE_SOURCE_DIR "/configs");
    yolo::DetectionModel model(spec, c.device(), 0);
    ParameterArena& arena = model.parameters();
    total = arena.total();
    ops::copy_(arena.grads(), test::random_uniform({arena.total()}, seed + uint64_t(c.rank())).to(c.device()));
    auto plan = dist::plan_grad_buckets(arena, dist::reverse_module_order(arena));
    nbuckets[size_t(c.rank())] = plan.size();
    dist::GradReducer reducer(c, arena, plan, dist::ReduceOp::sum);
    reducer.begin(true);
    reducer.finish();  // no backward ran: every bucket goes out here, in order
    got[size_t(c.rank())] = arena.grads().to_vector();
  });
  CHECK(nbuckets[0] >= 2);  // 11M parameters = 44 MB: a 1 MB bucket, then 25 MB ones
  std::vector<float> g0 = test::random_uniform({total}, seed).to_vector();
  std::vector<float> g1 = test::random_uniform({total}, seed + 1).to_vector();
  for (size_t i = 0; i < g0.size(); ++i) g0[i] += g1[i];
  test::check_close(got[0], g0, 1e-6, 1e-6, "rank 0 arena");
  CHECK(got[1] == got[0]);
}

TEST_CASE("nccl: a 2-GPU DDP step equals a 1-GPU step accumulating the same two micro-batches") {
  const std::vector<std::array<uint64_t, 2>> steps = {{21, 22}, {23, 24}};
  std::vector<float> expect;
  {
    test::Learner single(5, Device::cuda(0));
    for (auto& s : steps) {
      for (uint64_t seed : s) single.loss(test::make_micro_batch(seed, Device::cuda(0))).backward();
      single.step();
    }
    expect = single.model.parameters().values().to_vector();
  }
  std::vector<std::vector<float>> got(2);
  std::vector<int64_t> overlapped(2);
  run_gpu_ranks([&](dist::Communicator& c) {
    Device d = c.device();
    test::Learner l(5 + uint64_t(c.rank()) * 31, d);
    yolo::DataParallel ddp(c, l.model);
    ddp.broadcast_state();
    for (auto& s : steps) {
      ddp.before_forward();
      Tensor loss = l.loss(test::make_micro_batch(s[size_t(c.rank())], d));
      ddp.begin_backward(true);
      ddp.scale_loss(loss).backward();
      ddp.end_backward();
      l.step();
    }
    got[size_t(c.rank())] = l.model.parameters().values().to_vector();
    overlapped[size_t(c.rank())] = ddp.reducer().launched_in_backward();
  });
  CHECK(got[0] == got[1]);
  test::check_close(got[0], expect, 1e-5, 1e-3, "2-GPU DDP vs 1-GPU accumulation");
  CHECK(overlapped[0] >= 1);  // yolov8n: the 1 MB first bucket goes out while backward still runs
}

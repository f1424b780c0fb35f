// Data-parallel training steps equal single-process steps: 2 ranks (threads, TCP back end), each with
// its own yolov8n, micro-batch A on rank 0 and B on rank 1, against one process that accumulates A then
// B before stepping. That is the exact equivalence of the reference's DDP (loss x world_size,
// averaged gradients): BN statistics are per micro-batch in both, whereas one full batch of A+B would
// normalise over 4 images. Two SGD steps must give the same weights within float tolerance, and
// every rank the same weights.
#include <thread>

#include "common/harness.h"
#include "dist/dist_test_util.h"
#include "engine/autograd.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/model/detection_model.h"
#include "yolo/train/data_parallel.h"

using namespace ye;

namespace {
struct MicroBatch {
  Tensor images, targets;  // (2, 64, 64, 3) f32 in [0, 1]; [n, 6] rows (image, cls, xc, yc, w, h)
};

MicroBatch make_batch(uint64_t seed) {
  MicroBatch b;
  b.images = test::random_uniform({2, 64, 64, 3}, seed, 0.0f, 1.0f);
  std::vector<float> t = {0, 0, 0.3f, 0.4f, 0.2f, 0.3f, 1, 1, 0.6f, 0.5f, 0.4f, 0.25f, 1, 0, 0.25f, 0.7f, 0.3f, 0.2f};
  for (size_t i = 2; i < t.size(); i += 6) t[i] += 0.01f * float(seed % 7);
  b.targets = Tensor::from_vector(t, {3, 6});
  return b;
}

struct Learner {
  yolo::ModelSpec spec = yolo::load_model_spec("yolov8n", 2, "", YE_SOURCE_DIR "/configs");
  yolo::DetectionModel model;
  yolo::DetectionLoss criterion{2};
  std::unique_ptr<Optimizer> opt;
  GradScaler scaler{Device::cpu(), false};
  explicit Learner(uint64_t seed) : model(spec, Device::cpu(), seed) {
    opt = std::make_unique<Optimizer>(OptimizerKind::sgd, model.parameters(), model.param_groups(0.01f, 0.9f, 5e-4f));
  }
  Tensor loss(const MicroBatch& b) {
    yolo::DetectOutput out = model.forward(b.images);
    return criterion(out.feats, b.targets, 64, 64).total;
  }
  void step() {
    opt->step(scaler, 10.0f);
    scaler.update();
    model.parameters().zero_grad();
  }
};
}  // namespace

TEST_CASE("2 ranks x 1 micro-batch == 1 process accumulating both micro-batches, for two SGD steps") {
  const std::vector<std::array<uint64_t, 2>> steps = {{11, 12}, {13, 14}};
  Learner single(7);
  for (auto& s : steps) {
    for (uint64_t seed : s) single.loss(make_batch(seed)).backward();
    single.step();
  }
  std::vector<float> expect = single.model.parameters().values().to_vector();

  std::vector<std::vector<float>> got(2);
  std::vector<int64_t> overlapped(2);
  test::run_ranks(2, [&](dist::Communicator& comm) {
    Learner l(7 + uint64_t(comm.rank()) * 93);  // rank 1 starts elsewhere: the broadcast must fix that
    yolo::DataParallel ddp(comm, l.model);
    ddp.broadcast_state();
    for (auto& s : steps) {
      ddp.before_forward();
      Tensor loss = l.loss(make_batch(s[size_t(comm.rank())]));
      ddp.begin_backward(true);
      ddp.scale_loss(loss).backward();
      ddp.end_backward();
      l.step();
    }
    got[size_t(comm.rank())] = l.model.parameters().values().to_vector();
    overlapped[size_t(comm.rank())] = ddp.reducer().launched_in_backward();
  });
  CHECK(got[0] == got[1]);  // bit-identical on every rank
  test::check_close(got[0], expect, 1e-5, 1e-4, "2-rank DDP vs 1-process accumulation");
  CHECK(overlapped[0] >= 1);
}

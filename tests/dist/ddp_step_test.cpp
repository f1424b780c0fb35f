// Data-parallel steps equal single-process steps: 2 ranks (threads, TCP back end, own yolov8n each)
// with micro-batches A and B against one process accumulating A then B before each of two SGD steps
// (the exact equivalence of loss x world_size + averaged gradients: BN statistics are per micro-batch
// in both; one batch of A+B would normalise over 4 images). Ranks must end bit-identical; an
// accumulation micro-batch communicates nothing and sync_gradients() averages.
#include <thread>

#include "common/harness.h"
#include "dist/ddp_learner.h"
#include "dist/dist_test_util.h"
#include "engine/autograd.h"
#include "yolo/train/data_parallel.h"

using namespace ye;


TEST_CASE("2 ranks x 1 micro-batch == 1 process accumulating both micro-batches, for two SGD steps") {
  const std::vector<std::array<uint64_t, 2>> steps = {{11, 12}, {13, 14}};
  test::Learner single(7);
  for (auto& s : steps) {
    for (uint64_t seed : s) single.loss(test::make_micro_batch(seed)).backward();
    single.step();
  }
  std::vector<float> expect = single.model.parameters().values().to_vector();

  std::vector<std::vector<float>> got(2);
  std::vector<int64_t> overlapped(2);
  std::vector<std::vector<float>> local(2), synced(2);
  test::run_ranks(2, [&](dist::Communicator& comm) {
    test::Learner l(7 + uint64_t(comm.rank()) * 93);  // rank 1 starts elsewhere: the broadcast must fix that
    yolo::DataParallel ddp(comm, l.model);
    ddp.broadcast_state();
    for (auto& s : steps) {
      ddp.before_forward();
      Tensor loss = l.loss(test::make_micro_batch(s[size_t(comm.rank())]));
      ddp.begin_backward(true);
      ddp.scale_loss(loss).backward();
      ddp.end_backward();
      l.step();
    }
    got[size_t(comm.rank())] = l.model.parameters().values().to_vector();
    overlapped[size_t(comm.rank())] = ddp.reducer().launched_in_backward();
    // An accumulation micro-batch communicates nothing; sync_gradients (epoch end) then averages.
    ddp.begin_backward(false);
    ddp.scale_loss(l.loss(test::make_micro_batch(30 + uint64_t(comm.rank())))).backward();
    ddp.end_backward();
    local[size_t(comm.rank())] = l.model.parameters().grads().to_vector();
    ddp.sync_gradients();
    synced[size_t(comm.rank())] = l.model.parameters().grads().to_vector();
  });
  REQUIRE(local[0].size() == local[1].size());
  CHECK(local[0] != local[1]);
  CHECK(synced[0] == synced[1]);
  std::vector<float> mean(local[0].size());
  for (size_t i = 0; i < mean.size(); ++i) mean[i] = (local[0][i] + local[1][i]) * 0.5f;
  test::check_close(synced[0], mean, 1e-6, 1e-5, "sync_gradients = average of the ranks' gradients");
  CHECK(got[0] == got[1]);  // bit-identical on every rank
  test::check_close(got[0], expect, 1e-5, 1e-4, "2-rank DDP vs 1-process accumulation");
  CHECK(overlapped[0] >= 1);
}

// SyncBN on CPU ranks (threads, TCP back end): the op over 2 and 3 ranks (uneven batches, with and
// without the fused SiLU) equals batch norm over all rows in one process, and 2 yolov8n ranks with
// SyncBN train like one process at the doubled batch (losses, gradients, weights, BN statistics).
#include "dist/dist_test_util.h"
#include "dist/sync_bn_check.h"

using namespace ye;

namespace {
void tcp_ranks(int world, const std::function<void(dist::Communicator&)>& fn) { test::run_ranks(world, fn); }
}  // namespace

TEST_CASE("sync_batch_norm over 2 ranks == batch_norm over both ranks' rows") {
  test::SyncBnOpCase k;
  k.rank_batch = {2, 2};
  test::check_sync_bn_op(k, tcp_ranks);
  k.silu = true;
  test::check_sync_bn_op(k, tcp_ranks);
}

TEST_CASE("sync_batch_norm over 3 ranks with uneven batches (1, 3, 2 images)") {
  test::SyncBnOpCase k;
  k.rank_batch = {1, 3, 2};
  k.silu = true;
  test::check_sync_bn_op(k, tcp_ranks);
}

TEST_CASE("sync_batch_norm in eval mode uses the running statistics and communicates nothing") {
  Tensor x = test::random_uniform({2, 3, 3, 8}, 5), w = Tensor::full({8}, 1.0f), b = Tensor::zeros({8});
  Tensor rm = Tensor::full({8}, 0.5f), rv = Tensor::full({8}, 4.0f);
  ops::BatchNormArgs a{false, 0.1f, 1e-3f, false};
  std::vector<float> expect = ops::batch_norm(x, w, b, rm, rv, a).to_vector();
  test::run_ranks(2, [&](dist::Communicator& comm) {
    if (comm.rank() == 0) CHECK(dist::sync_batch_norm(x, w, b, rm, rv, a, comm).to_vector() == expect);
  });
}

TEST_CASE("2 ranks x 2 images with SyncBN == 1 process x 4 images, three SGD steps") {
  test::check_sync_bn_training(2, Device::cpu(), tcp_ranks, 2e-4);
  // Without SyncBN the ranks normalise over 2 images each and end elsewhere.
  CHECK(test::per_rank_bn_gap(2, Device::cpu(), tcp_ranks) > 1e-3);
}

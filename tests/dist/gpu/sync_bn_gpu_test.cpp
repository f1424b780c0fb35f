// SyncBN over NCCL on two GPUs: the op (f32 and f16 inputs, uneven batches, fused SiLU) against CPU
// batch norm over all rows, and 2 yolov8n ranks with SyncBN against one GPU at the doubled batch.
#include "dist/gpu/gpu_ranks.h"
#include "dist/sync_bn_check.h"

using namespace ye;

TEST_CASE("nccl: sync_batch_norm over 2 GPUs == batch_norm over both ranks' rows (f32, f16)") {
  test::SyncBnOpCase k;
  k.rank_batch = {3, 2};
  k.C = 64;  // the vectorised backward-reduce path of batchnorm_vec.h
  test::check_sync_bn_op(k, test::run_gpu_ranks);
  k.silu = true;
  k.C = 24;  // the scalar path
  test::check_sync_bn_op(k, test::run_gpu_ranks);
  k.dtype = DType::f16;
  k.atol = 2e-2, k.rtol = 2e-2;  // f16 outputs and input gradients
  test::check_sync_bn_op(k, test::run_gpu_ranks);
}

TEST_CASE("nccl: 2 GPUs x 2 images with SyncBN == 1 GPU x 4 images, three SGD steps") {
  test::check_sync_bn_training(2, Device::cuda(0), test::run_gpu_ranks, 2e-3);
}

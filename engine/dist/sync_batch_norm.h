// Synchronised batch norm (SyncBN, `--sync-bn`): in training, the batch statistics of every channel
// are those of all ranks' inputs together (one fused f32 all-reduce per call of [sum(x - shift),
// sum((x - shift)^2), rows], shift = the running mean, identical on every rank), and backward
// all-reduces the two per-channel sums of dx the same way (the weight and bias gradients stay local;
// data-parallel gradient averaging adds them up). Eval mode is ops::batch_norm with running stats.
#pragma once
#include "engine/dist/communicator.h"
#include "engine/nn_ops.h"

namespace ye::dist {

// Same arguments and result as ops::batch_norm; every rank must call it in the same order.
Tensor sync_batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                       const Tensor& running_var, const ops::BatchNormArgs& args, Communicator& comm);

}  // namespace ye::dist

// SyncBN checks shared by the CPU (TCP ranks) and GPU (NCCL ranks) distributed tests: the op on each
// rank's rows (uneven batches allowed) against ops::batch_norm on the CPU over all rows together
// (outputs, input gradients, weight/bias gradients summed over ranks, running statistics), and a
// yolov8n data-parallel SGD run with SyncBN against one process at the combined batch.
#pragma once
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "common/harness.h"
#include "dist/ddp_learner.h"
#include "engine/dist/communicator.h"
#include "engine/dist/sync_batch_norm.h"
#include "engine/ops.h"
#include "yolo/train/data_parallel.h"

namespace ye::test {

using RankRunner = std::function<void(int world, const std::function<void(dist::Communicator&)>& fn)>;

struct SyncBnOpCase {
  std::vector<int64_t> rank_batch;  // images per rank
  int64_t H = 5, W = 3, C = 24;
  bool silu = false;
  DType dtype = DType::f32;
  double atol = 1e-5, rtol = 1e-4;
};

struct BnOutcome {
  std::vector<float> y, dx, dw, db, rm, rv;
};

inline BnOutcome run_batch_norm(const Tensor& x, const Tensor& g, const Tensor& w0, const Tensor& b0,
                                const std::function<Tensor(const Tensor&, const Tensor&, const Tensor&, const Tensor&,
                                                           const Tensor&)>& bn) {
  Device d = x.device();
  Tensor w = w0.to(d).clone(), b = b0.to(d).clone();
  w.set_requires_grad(true), b.set_requires_grad(true);
  Tensor rm = Tensor::full({w.numel()}, 0.25f, DType::f32, d), rv = Tensor::full({w.numel()}, 2.0f, DType::f32, d);
  Tensor xin = x.clone();
  xin.set_requires_grad(true);
  Tensor y = bn(xin, w, b, rm, rv);
  y.backward(g);
  return {y.to_vector(), xin.grad().to_vector(), w.grad().to_vector(), b.grad().to_vector(), rm.to_vector(),
          rv.to_vector()};
}

inline std::vector<float> rows_of(const std::vector<float>& v, int64_t row_floats, int64_t begin, int64_t n) {
  return {v.begin() + begin * row_floats, v.begin() + (begin + n) * row_floats};
}

inline void check_sync_bn_op(const SyncBnOpCase& k, const RankRunner& run) {
  const int world = int(k.rank_batch.size());
  const int64_t total = std::accumulate(k.rank_batch.begin(), k.rank_batch.end(), int64_t(0));
  const int64_t img = k.H * k.W * k.C;
  uint64_t seed = fresh_seed();
  // Inputs rounded to the tested dtype first, so both sides see the same values.
  Tensor x = ops::cast(ops::cast(random_uniform({total, k.H, k.W, k.C}, seed, -1.0f, 3.0f), k.dtype), DType::f32);
  Tensor g = ops::cast(ops::cast(random_uniform({total, k.H, k.W, k.C}, seed + 1), k.dtype), DType::f32);
  Tensor w = random_uniform({k.C}, seed + 2, 0.5f, 1.5f), b = random_uniform({k.C}, seed + 3);
  ops::BatchNormArgs a{true, 0.1f, 1e-3f, k.silu};
  BnOutcome ref = run_batch_norm(x, g, w, b, [&](auto& xi, auto& wi, auto& bi, auto& rm, auto& rv) {
    return ops::batch_norm(xi, wi, bi, rm, rv, a);
  });
  std::vector<BnOutcome> got(static_cast<size_t>(world));
  std::vector<int64_t> first(static_cast<size_t>(world), 0);
  for (int r = 1; r < world; ++r) first[size_t(r)] = first[size_t(r - 1)] + k.rank_batch[size_t(r - 1)];
  run(world, [&](dist::Communicator& comm) {
    size_t r = size_t(comm.rank());
    Tensor xr = ops::cast(x.slice_view(first[r], first[r] + k.rank_batch[r]).contiguous().to(comm.device()), k.dtype);
    Tensor gr = ops::cast(g.slice_view(first[r], first[r] + k.rank_batch[r]).contiguous().to(comm.device()), k.dtype);
    got[r] = run_batch_norm(xr, gr, w, b, [&](auto& xi, auto& wi, auto& bi, auto& rm, auto& rv) {
      return dist::sync_batch_norm(xi, wi, bi, rm, rv, a, comm);
    });
  });
  std::vector<float> dw(size_t(k.C), 0.0f), db(size_t(k.C), 0.0f);
  for (int r = 0; r < world; ++r) {
    const BnOutcome& o = got[size_t(r)];
    std::string who = "rank " + std::to_string(r);
    check_close(o.y, rows_of(ref.y, img, first[size_t(r)], k.rank_batch[size_t(r)]), k.atol, k.rtol, who + " y");
    check_close(o.dx, rows_of(ref.dx, img, first[size_t(r)], k.rank_batch[size_t(r)]), k.atol, k.rtol, who + " dx");
    check_close(o.rm, ref.rm, k.atol, k.rtol, who + " running_mean");
    check_close(o.rv, ref.rv, k.atol, k.rtol, who + " running_var");
    for (int64_t c = 0; c < k.C; ++c) dw[size_t(c)] += o.dw[size_t(c)], db[size_t(c)] += o.db[size_t(c)];
  }
  check_close(dw, ref.dw, k.atol * double(total), k.rtol, "sum over ranks of dweight");
  check_close(db, ref.db, k.atol * double(total), k.rtol, "sum over ranks of dbias");
}

// A loss that adds up over images (unlike the detection loss, normalised by its batch's target
// scores), so that the ranks' losses sum to the loss of the combined batch.
inline Tensor additive_loss(const yolo::DetectOutput& out) {
  Tensor total;
  for (const Tensor& f : out.feats) {
    Tensor s = ops::sum(ops::square(ops::cast(f, DType::f32)));
    total = total.defined() ? ops::add(total, s) : s;
  }
  return ops::mul_scalar(total, 1e-3f);
}

struct SyncBnRun {
  std::vector<float> losses, first_grads, weights, buffers;
};

// Three SGD steps on 2 images per rank (`sync_bn` on each rank, or one process on all ranks' images,
// on single_device).
inline SyncBnRun sync_bn_train(int world, int rank, dist::Communicator* comm, bool sync_bn, Device single_device) {
  const uint64_t steps[3] = {41, 42, 43};
  const Device device = comm ? comm->device() : single_device;
  Learner l(7 + uint64_t(rank) * 93, device);  // ranks start apart: the broadcast must fix that
  std::unique_ptr<yolo::DataParallel> ddp;
  if (comm) {
    ddp = std::make_unique<yolo::DataParallel>(*comm, l.model);
    ddp->broadcast_state();
    if (sync_bn) ddp->enable_sync_bn();
  }
  SyncBnRun out;
  for (uint64_t s : steps) {
    std::vector<Tensor> images;
    for (int r = comm ? rank : 0; r < (comm ? rank + 1 : world); ++r)
      images.push_back(make_micro_batch(s * 10 + uint64_t(r), device).images);
    Tensor batch = images.size() == 1 ? images[0] : ops::concat(images, 0);
    if (ddp) ddp->before_forward();
    Tensor loss = additive_loss(l.model.forward(batch));
    out.losses.push_back(loss.item());
    if (ddp) {
      ddp->begin_backward(true);
      ddp->scale_loss(loss).backward();
      ddp->end_backward();
    } else {
      loss.backward();
    }
    if (out.first_grads.empty()) out.first_grads = l.model.parameters().grads().to_vector();
    l.step();
  }
  out.weights = l.model.parameters().values().to_vector();
  out.buffers = l.model.buffers().values().to_vector();
  return out;
}

// Runs `world` ranks with SyncBN and one process at the combined batch; checks the ranks' summed
// losses, the averaged first gradients, the final weights and BN statistics.
inline void check_sync_bn_training(int world, Device device, const RankRunner& run, double rtol) {
  SyncBnRun single = sync_bn_train(world, 0, nullptr, false, device);
  std::vector<SyncBnRun> ranks(static_cast<size_t>(world));
  run(world, [&](dist::Communicator& comm) {
    ranks[size_t(comm.rank())] = sync_bn_train(world, comm.rank(), &comm, true, device);
  });
  for (size_t i = 0; i < single.losses.size(); ++i) {
    double sum = 0;
    for (auto& r : ranks) sum += r.losses[i];
    CHECK_MESSAGE(std::abs(sum - single.losses[i]) <= rtol * std::abs(single.losses[i]),
                  "step ", i, ": ranks' losses add up to ", sum, ", one process at the combined batch ", single.losses[i]);
  }
  double gmax = 0;  // gradients near zero come from cancellation: their error scales with the largest
  for (float v : single.first_grads) gmax = std::max(gmax, double(std::abs(v)));
  for (int r = 0; r < world; ++r) {
    std::string who = "rank " + std::to_string(r);
    check_close(ranks[size_t(r)].first_grads, single.first_grads, rtol * gmax * 0.1, rtol,
                who + " averaged gradients, step 1");
    check_close(ranks[size_t(r)].weights, single.weights, 1e-6, rtol, who + " weights after 3 steps");
    check_close(ranks[size_t(r)].buffers, single.buffers, 1e-6, rtol, who + " BN running statistics");
  }
}

// Per-rank BN (no SyncBN) must differ from the combined batch: the check above can fail.
inline double per_rank_bn_gap(int world, Device device, const RankRunner& run) {
  SyncBnRun single = sync_bn_train(world, 0, nullptr, false, device);
  std::vector<SyncBnRun> ranks(static_cast<size_t>(world));
  run(world, [&](dist::Communicator& comm) {
    ranks[size_t(comm.rank())] = sync_bn_train(world, comm.rank(), &comm, false, device);
  });
  return compare(ranks[0].weights, single.weights, 0, 0).max_rel_err;
}

}  // namespace ye::test

// Bucketed gradient all-reduce over a ParameterArena: plan_grad_buckets() groups parameters in reverse
// module order into buckets of ~25 MB (the first 1 MB, as PyTorch DDP), each a few contiguous ranges of
// the gradient arena, together covering it exactly; GradReducer launches a bucket from the autograd
// on_grad_ready hook once all its gradients are final, strictly in bucket order (the same on every
// rank), overlapping the rest of backward; finish() launches the rest and orders all before the step.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/dist/communicator.h"
#include "engine/param_arena.h"

namespace ye::dist {

struct GradBucket {
  std::vector<size_t> entries;                        // arena entry indices, in ready order
  std::vector<std::pair<int64_t, int64_t>> ranges;    // [begin, end) element ranges of the arena, ascending
  int64_t numel = 0;                                  // elements of all ranges (alignment padding included)
};

constexpr int64_t kFirstBucketBytes = int64_t(1) << 20;
constexpr int64_t kBucketBytes = int64_t(25) << 20;

// The arena's entries ordered from the last module to the first: by the first number in the name
// (model.<i>. ...) descending, ties in reverse arena order; names without a number go last.
std::vector<size_t> reverse_module_order(const ParameterArena& arena);

// Buckets of f32 gradients over `ready_order` (a permutation of the arena's entries). Every entry
// owns its padded extent [offset, next offset) (the last one up to total()), so the ranges cover the
// arena exactly; adjacent extents of one bucket are merged.
std::vector<GradBucket> plan_grad_buckets(const ParameterArena& arena, const std::vector<size_t>& ready_order,
                                          int64_t first_bucket_bytes = kFirstBucketBytes,
                                          int64_t bucket_bytes = kBucketBytes);

class GradReducer {
 public:
  // Installs the ready hooks on the arena's parameters (removed by the destructor). op average with
  // the loss multiplied by world_size gives DDP's semantics (the sum of the ranks' gradients).
  GradReducer(Communicator& comm, const ParameterArena& arena, std::vector<GradBucket> buckets,
              ReduceOp op = ReduceOp::average);
  ~GradReducer();
  GradReducer(const GradReducer&) = delete;
  GradReducer& operator=(const GradReducer&) = delete;

  // Before a backward pass: sync = false skips communication for it (a micro-batch whose gradients
  // are only accumulated; the all-reduce of the accumulated sum at the stepping micro-batch gives the
  // same average, as all-reduce is linear).
  void begin(bool sync);
  // After backward: all-reduces the buckets not launched yet (parameters that got no gradient), in
  // order, then orders the reductions before later device work (no host wait on CUDA).
  void finish();

  const std::vector<GradBucket>& buckets() const { return buckets_; }
  // Buckets launched from inside the last backward pass (overlapped), for tests and logs.
  int64_t launched_in_backward() const { return launched_in_backward_; }

 private:
  void on_ready(size_t bucket);
  void launch(size_t bucket);

  Communicator& comm_;
  const ParameterArena& arena_;
  std::vector<GradBucket> buckets_;
  ReduceOp op_;
  std::vector<int64_t> pending_;  // per bucket: parameters whose gradient is not final yet
  size_t next_ = 0;               // next bucket to launch
  bool sync_ = false, in_backward_ = false;
  int64_t launched_in_backward_ = 0;
};

}  // namespace ye::dist

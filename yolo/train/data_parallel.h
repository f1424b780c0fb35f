// Data-parallel training of one DetectionModel per process, as PyTorch DDP does it for the reference:
// rank 0's parameters and BN buffers are broadcast at the start, BN buffers again before every
// training forward (broadcast_buffers=True), and gradients are averaged over the ranks in buckets
// during backward while the loss is multiplied by world_size (so the step uses the sum of the ranks'
// gradients, like the reference). Defines DataParallel; the Trainer owns one when WORLD_SIZE > 1.
#pragma once
#include <memory>

#include "engine/dist/communicator.h"
#include "engine/dist/grad_buckets.h"
#include "yolo/model/detection_model.h"

namespace ye::yolo {

class DataParallel {
 public:
  DataParallel(dist::Communicator& comm, DetectionModel& model);
  dist::Communicator& comm() { return comm_; }
  int rank() const { return comm_.rank(); }
  int world_size() const { return comm_.world_size(); }

  void broadcast_state();                    // parameters and buffers from rank 0
  void before_forward();                     // BN buffers from rank 0 (training forwards)
  void enable_sync_bn();                     // --sync-bn: BN batch statistics over all ranks
  Tensor scale_loss(const Tensor& loss) const;  // loss * world_size
  void begin_backward(bool sync);            // sync = this micro-batch ends with an optimizer step
  void end_backward();
  // Averages the whole gradient arena now: at the end of an epoch, so that gradients accumulated
  // since the last optimizer step (kept in the checkpoint for an exact resume) are the same on every
  // rank; averaging them again at the next step leaves them unchanged (all-reduce is linear).
  void sync_gradients();
  const dist::GradReducer& reducer() const { return *reducer_; }

 private:
  dist::Communicator& comm_;
  DetectionModel& model_;
  std::unique_ptr<dist::GradReducer> reducer_;
};

}  // namespace ye::yolo

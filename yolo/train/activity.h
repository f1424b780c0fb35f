// What a training process is doing now: a small record (phase, epoch, batch, when the phase began)
// that the trainer's loop publishes at cheap points and another thread reads whole (a seqlock over
// atomics: no allocation, lock or syscall). The cli's heartbeat sends it to the launcher, which names
// a hung or dead rank's last activity. Defines TrainPhase, ActivityRecord, TrainActivity.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace ye::yolo {

enum class TrainPhase : int32_t {
  setup,       // before the first epoch: data, model, process group
  data,        // waiting for the loader's next batch, uploading it
  broadcast,   // DDP: BN buffers from rank 0 before a forward
  forward,     // forward and loss (a CUDA-graph replay: forward, loss and backward)
  backward,
  all_reduce,  // DDP: waiting for the gradient buckets (in-loop or at the end of an epoch)
  optimizer,
  rank_sync,   // agreeing on stop with the other ranks (they wait here while rank 0 validates)
  validation,
  checkpoint,
  done,
};
const char* train_phase_name(TrainPhase p);  // "all-reduce", "rank sync", ...

struct ActivityRecord {
  TrainPhase phase = TrainPhase::setup;
  int32_t epoch = 0, epochs = 0;    // 1-based; 0: not in an epoch yet
  int32_t batch = 0, batches = 0;   // 1-based in the epoch; 0: none yet
  int32_t unused = 0;               // explicit padding: every byte of a beat is defined
  int64_t since_ns = 0;             // steady_clock (CLOCK_MONOTONIC, shared by the host's processes)
};

// "epoch 2/3, batch 17/40, backward (12.4 s ago)"; `now` on the same steady clock.
std::string describe_activity(const ActivityRecord& r, std::chrono::steady_clock::time_point now);

// Written by one thread (the trainer's), read by any. Each set() restarts the phase's clock.
class TrainActivity {
 public:
  TrainActivity();
  void start_epoch(int64_t epoch, int64_t epochs, int64_t batches);  // epoch 1-based; phase data, batch 0
  void set(TrainPhase phase);                                        // same position
  void set(TrainPhase phase, int64_t batch);                         // batch 1-based
  ActivityRecord read() const;

 private:
  void publish();
  ActivityRecord mine_;  // the writer's copy
  std::atomic<uint32_t> seq_{0};  // odd while a write is in progress
  std::atomic<int64_t> phase_{0}, epoch_{0}, epochs_{0}, batch_{0}, batches_{0}, since_ns_{0};
};

}  // namespace ye::yolo

// TrainActivity's seqlock and the text of a record (see activity.h).
#include "yolo/train/activity.h"

#include <cstdio>

namespace ye::yolo {
namespace {
int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
}  // namespace

const char* train_phase_name(TrainPhase p) {
  switch (p) {
    case TrainPhase::setup: return "setup";
    case TrainPhase::data: return "data";
    case TrainPhase::broadcast: return "broadcast";
    case TrainPhase::forward: return "forward";
    case TrainPhase::backward: return "backward";
    case TrainPhase::all_reduce: return "all-reduce";
    case TrainPhase::optimizer: return "optimizer";
    case TrainPhase::rank_sync: return "rank sync";
    case TrainPhase::validation: return "validation";
    case TrainPhase::checkpoint: return "checkpoint";
    case TrainPhase::done: return "done";
  }
  return "unknown";
}

std::string describe_activity(const ActivityRecord& r, std::chrono::steady_clock::time_point now) {
  std::string out;
  if (r.epoch > 0) out += "epoch " + std::to_string(r.epoch) + "/" + std::to_string(r.epochs) + ", ";
  if (r.batch > 0) out += "batch " + std::to_string(r.batch) + "/" + std::to_string(r.batches) + ", ";
  char ago[48];
  std::snprintf(ago, sizeof ago, " (%.1f s ago)", double(steady_ns(now) - r.since_ns) / 1e9);
  return out + train_phase_name(r.phase) + ago;
}

TrainActivity::TrainActivity() { set(TrainPhase::setup); }

void TrainActivity::start_epoch(int64_t epoch, int64_t epochs, int64_t batches) {
  mine_.epoch = int32_t(epoch), mine_.epochs = int32_t(epochs), mine_.batches = int32_t(batches);
  set(TrainPhase::data, 0);
}

void TrainActivity::set(TrainPhase phase) {
  mine_.phase = phase;
  mine_.since_ns = steady_ns(std::chrono::steady_clock::now());  // vDSO clock read, no syscall
  publish();
}

void TrainActivity::set(TrainPhase phase, int64_t batch) {
  mine_.batch = int32_t(batch);
  set(phase);
}

void TrainActivity::publish() {
  const uint32_t s = seq_.load(std::memory_order_relaxed);
  seq_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  phase_.store(int64_t(mine_.phase), std::memory_order_relaxed);
  epoch_.store(mine_.epoch, std::memory_order_relaxed);
  epochs_.store(mine_.epochs, std::memory_order_relaxed);
  batch_.store(mine_.batch, std::memory_order_relaxed);
  batches_.store(mine_.batches, std::memory_order_relaxed);
  since_ns_.store(mine_.since_ns, std::memory_order_relaxed);
  seq_.store(s + 2, std::memory_order_release);
}

ActivityRecord TrainActivity::read() const {
  ActivityRecord r;
  for (;;) {
    const uint32_t before = seq_.load(std::memory_order_acquire);
    r.phase = TrainPhase(phase_.load(std::memory_order_relaxed));
    r.epoch = int32_t(epoch_.load(std::memory_order_relaxed));
    r.epochs = int32_t(epochs_.load(std::memory_order_relaxed));
    r.batch = int32_t(batch_.load(std::memory_order_relaxed));
    r.batches = int32_t(batches_.load(std::memory_order_relaxed));
    r.since_ns = since_ns_.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if ((before & 1u) == 0 && seq_.load(std::memory_order_relaxed) == before) return r;
  }
}

}  // namespace ye::yolo

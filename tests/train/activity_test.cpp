// TrainActivity: the record a watcher thread reads is always one that was published whole (never a
// mix of two), its text names epoch, batch, phase and age, and the phase names are the closed set.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "yolo/train/activity.h"

using namespace ye::yolo;
using std::chrono::steady_clock;

TEST_CASE("describe_activity: epoch, batch, phase and how long ago the phase began") {
  TrainActivity a;
  ActivityRecord setup = a.read();
  CHECK(setup.phase == TrainPhase::setup);
  CHECK(describe_activity(setup, steady_clock::time_point(std::chrono::nanoseconds(setup.since_ns)) +
                                     std::chrono::milliseconds(3100)) == "setup (3.1 s ago)");
  a.start_epoch(2, 3, 40);
  a.set(TrainPhase::backward, 17);
  ActivityRecord r = a.read();
  CHECK(r.epoch == 2);
  CHECK(r.epochs == 3);
  CHECK(r.batch == 17);
  CHECK(r.batches == 40);
  auto at = steady_clock::time_point(std::chrono::nanoseconds(r.since_ns)) + std::chrono::milliseconds(12400);
  CHECK(describe_activity(r, at) == "epoch 2/3, batch 17/40, backward (12.4 s ago)");
  a.set(TrainPhase::all_reduce);  // keeps the position
  CHECK(describe_activity(a.read(), steady_clock::now()).rfind("epoch 2/3, batch 17/40, all-reduce (", 0) == 0);
  CHECK(std::string(train_phase_name(TrainPhase::rank_sync)) == "rank sync");
  CHECK(std::string(train_phase_name(TrainPhase::validation)) == "validation");
}

TEST_CASE("TrainActivity: a reader on another thread never sees a torn record") {
  TrainActivity a;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> reads{0}, torn{0};
  std::thread reader([&] {
    while (!stop.load()) {
      ActivityRecord r = a.read();
      // Every record the writer publishes has batches == 2 * epoch and batch either 0 or epoch.
      if (r.batches != 2 * r.epoch || (r.batch != 0 && r.batch != r.epoch)) torn++;
      reads++;
    }
  });
  for (int i = 1; i <= 200000; ++i) {
    a.start_epoch(i, 1 << 30, 2 * int64_t(i));
    a.set(TrainPhase(i % 10), i);
  }
  while (reads.load() < 1000) std::this_thread::yield();
  stop.store(true);
  reader.join();
  CHECK(torn.load() == 0);
  CHECK(reads.load() >= 1000);
}

// `yolo train` on one device (CPU or one GPU): the reference trainer's behaviour (8.3.166) on the
// engine — data loaders, model, loss, optimizer groups and schedule (warmup, linear/cosine lr,
// nbs accumulation, scaled decay), AMP with device-side loss scaling, EMA, validation every epoch,
// checkpoints (atomic) and resume, run outputs (args.yaml, results.csv/png, TensorBoard, plots).
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "yolo/config/train_args.h"

namespace ye::yolo {

class TrainActivity;

struct TrainSummary {
  std::string save_dir;
  int64_t epochs_completed = 0;
  double best_fitness = 0;
  double map50 = 0, map50_95 = 0, precision = 0, recall = 0;  // of the final validation
  int64_t skipped_steps = 0;
  bool interrupted = false;
};

class Trainer {
 public:
  // stop: set asynchronously (Ctrl-C) to end after the current iteration, saving last.
  Trainer(TrainArgs args, const std::atomic<bool>* stop = nullptr);
  ~Trainer();
  TrainSummary train();
  // Ends training cleanly (checkpoints written) after this many epochs of the run have completed,
  // as if it had been stopped there; used to test that resume continues identically.
  void stop_after_epochs(int64_t epochs);
  // Publishes the loop's phase, epoch and batch into `activity` (activity.h; it outlives train()).
  void report_activity(TrainActivity* activity);

  struct State;

 private:
  std::unique_ptr<State> s_;
};

// The embedded default run (no --data): generates the synthetic dataset under runs/synth and trains
// yolov8n on it at a small image size; what `make demo` runs.
TrainArgs embedded_default_args(TrainArgs args, const std::vector<std::string>& explicit_keys = {});

}  // namespace ye::yolo

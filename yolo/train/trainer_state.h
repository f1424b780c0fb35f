// Internal state of the Trainer shared by its implementation files (set-up, epoch loop, validation,
// outputs). Not part of the public API.
#pragma once
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "data/dataset_yaml.h"
#include "data/loader.h"
#include "engine/dist/communicator.h"
#include "engine/optimizer.h"
#include "yolo/config/epoch_rules.h"
#include "yolo/config/schedule.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/model/detection_model.h"
#include "yolo/run/gpu_monitor.h"
#include "yolo/run/results_csv.h"
#include "yolo/run/run_dir.h"
#include "yolo/run/tensorboard.h"
#include "yolo/train/activity.h"
#include "yolo/train/checkpoint.h"
#include "yolo/train/data_parallel.h"
#include "yolo/train/fault_policy.h"
#include "yolo/train/train_step.h"
#include "yolo/train/trainer.h"

namespace ye::yolo {

struct EpochValidation {
  double precision = 0, recall = 0, map50 = 0, map50_95 = 0, fitness = 0;
  std::array<double, 3> loss{};
};

struct Trainer::State {
  TrainArgs args;
  const std::atomic<bool>* stop = nullptr;
  Device device;
  // Distributed run (WORLD_SIZE > 1): rank 0 alone logs, validates, keeps the EMA and writes files.
  dist::DistEnv denv;
  bool main_rank = true;
  DType act_dtype = DType::f32;
  bool loss_scaling = false;

  data::DatasetConfig data_cfg;
  std::shared_ptr<const data::Dataset> train_ds, val_ds;
  std::unique_ptr<data::Loader> train_loader, val_loader;

  ModelSpec spec;
  std::unique_ptr<DetectionModel> model, eval_model;
  std::unique_ptr<DetectionLoss> criterion;
  std::unique_ptr<Optimizer> optimizer;
  std::unique_ptr<GradScaler> scaler;
  std::unique_ptr<ModelEMA> ema;

  OptimizerChoice opt_choice;
  int64_t batch = 16, accumulate = 1, nb = 0, nw = 0;
  double weight_decay = 0;
  std::vector<double> initial_lr;  // per group

  RunDir run;
  std::unique_ptr<TensorBoardWriter> tb;
  GpuMonitor gpu;
  TrainCounters counters;
  std::optional<EarlyStopping> stopper;
  NonFiniteStreak nonfinite;  // stops a run whose steps stay non-finite
  bool state_saved = false;   // this run has written its training state (save order: save_checkpoints)
  std::chrono::steady_clock::time_point start;
  double elapsed_before = 0;
  bool plots = true;
  bool interrupted = false;
  int64_t stop_after = -1;
  TrainActivity own_activity;
  TrainActivity* activity = &own_activity;  // phase, epoch and batch for a watcher (report_activity)
  bool mosaic_closed = false;
  bool recompute_reported = false;  // the train step's recompute choice was printed
  int64_t graphs_reported = 0;      // recordings whose memory was printed
  CheckpointWriter checkpoint_writer;  // the epoch's checkpoint files, written while the next one trains
  std::array<double, 3> epoch_train_loss{};
  double epoch_images_per_s = 0;
  // The process group and the DDP wrapper (declared last: destroyed before the model they hook).
  std::unique_ptr<dist::Communicator> comm;
  std::unique_ptr<DataParallel> ddp;
  std::unique_ptr<TrainStep> train_step;  // the micro-batch body (CUDA graphs on one GPU)

  void setup();
  void run_epoch(int64_t epoch);
  EpochValidation validate(bool final_eval);
  void save_checkpoints(int64_t epoch, const EpochValidation& v, bool is_best);
  bool end_epoch(int64_t epoch, bool final_epoch, bool stopped_after);  // rank 0; true = patience stop
  double elapsed() const;
  // Every rank's stop request (Ctrl-C) or decision (rank 0: patience) combined: true on all ranks
  // when any rank asks (one host reduction over the process group; local value when single).
  bool agree_stop(bool local);
};

}  // namespace ye::yolo

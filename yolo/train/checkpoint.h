// Checkpoints of a training run. weights/{last,best}.safetensors hold the EMA weights under the
// reference's state-dict names (readable by the reference after the conversion in docs/WEIGHTS.md),
// with metadata naming the model and classes; <name>.state.safetensors beside them holds everything
// resume needs (raw model and EMA arenas, optimizer buffers, loss scaler, counters, the resolved
// arguments). Every file is written to a temporary name and renamed.
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "engine/optimizer.h"
#include "yolo/model/detection_model.h"
#include "yolo/train/checkpoint_writer.h"

namespace ye::yolo {

struct TrainCounters {
  int64_t epoch = 0;          // epochs completed (the next epoch to run)
  int64_t ema_updates = 0;
  int64_t optimizer_steps = 0;
  int64_t last_opt_step = -1;
  double best_fitness = -1;
  double elapsed_s = 0;       // training time before this checkpoint (results.csv "time")
  bool finished = false;      // training ended (all epochs, or early stopping): nothing to resume
};

// Metadata keys of weight files: "model" (model name or config path), "scale", "nc", "names" (JSON list),
// "format" = "yolo-engine-weights-v1", plus anything in `extra`.
std::map<std::string, std::string> weights_metadata(const ModelSpec& spec, const std::vector<std::string>& names,
                                                    const std::map<std::string, std::string>& extra = {});

// EMA weights (copied into `eval_model`) under reference names, as a file for CheckpointWriter; throws,
// naming the file, when a value is not finite.
PendingFile weights_file(const std::filesystem::path& path, DetectionModel& eval_model,
                         const std::vector<std::string>& names, const std::map<std::string, std::string>& extra = {});

struct TrainState {
  TrainCounters counters;
  std::string args_yaml;
  std::vector<float> scaler;
};

std::filesystem::path state_path_for(const std::filesystem::path& weights_path);

// The resume state beside `weights_path`, as a file for CheckpointWriter.
PendingFile train_state_file(const std::filesystem::path& weights_path, DetectionModel& model, const ModelEMA& ema,
                             const Optimizer& optimizer, const GradScaler& scaler, const TrainState& state);
// Restores arenas, EMA, optimizer buffers and scaler in place; returns the counters and arguments.
TrainState load_train_state(const std::filesystem::path& weights_path, DetectionModel& model, ModelEMA& ema,
                            Optimizer& optimizer, GradScaler& scaler);
// The counters and arguments of the training state beside `weights_path`, read from the file's
// header only (no tensors); throws ye::Error naming the file when it is missing or not a state.
TrainState read_train_state_info(const std::filesystem::path& weights_path);

// Throws ye::Error, in the reference's words, when the run of `checkpoint` has nothing left to resume
// (finished, or its epoch counter already at `epochs`).
void check_resumable(const TrainCounters& counters, int64_t epochs, const std::filesystem::path& checkpoint);

}  // namespace ye::yolo

// One training micro-batch as a single call: upload, forward, loss, backward and, on stepping
// micro-batches, the optimizer step, loss-scale update, zero_grad and EMA. On one CUDA device without
// DDP the device work is recorded as CUDA graphs once the batch shape has repeated (warm-up steps run
// eagerly) and replayed afterwards, so the host only uploads the batch and the step's scalars; a new
// shape (last partial batch, rect or multi-scale sizes) or more boxes than the padded capacity runs
// eagerly; once it repeats it is recorded in place of the old graph, while a passing shape (an epoch's
// last partial batch) runs eagerly and keeps the recorded graph for the batches after it. More boxes
// than the padded capacity re-record. Graph and eager steps compute bitwise the same results. The images travel
// on a copy stream while the previous step still computes.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "engine/host_upload.h"
#include "engine/optimizer.h"
#include "engine/step_graph.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/model/detection_model.h"
#include "yolo/train/activity.h"

namespace ye::yolo {

class DataParallel;

// Whether BN+SiLU outputs are freed after the forward and rebuilt in backward (engine/recompute.h).
// automatic: YE_RECOMPUTE or an active RecomputeGuard decides when set; otherwise the first step of a
// shape runs with recompute and the later ones without when the device has room for what that frees
// (at least twice the step's peak plus 1 GiB), since recompute costs time (docs/PERFORMANCE.md).
enum class RecomputeMode { automatic, on, off };

struct TrainStepParts {
  DetectionModel* model = nullptr;
  DetectionLoss* loss = nullptr;
  Optimizer* optimizer = nullptr;
  GradScaler* scaler = nullptr;
  ModelEMA* ema = nullptr;        // null: no EMA update on this rank
  DataParallel* ddp = nullptr;    // non-null: eager steps with gradient all-reduce
  DType input_dtype = DType::f32;
  float max_norm = 10.0f;
  bool use_graphs = true;         // false: always eager (also YE_CUDA_GRAPH=0)
  int warmup_steps = 2;           // eager steps of a new shape before it is recorded
  RecomputeMode recompute = RecomputeMode::automatic;
  TrainActivity* activity = nullptr;  // non-null: the step's phases published there (activity.h)
};

// A batch as the loader hands it over: uint8 NHWC RGB images (pinned host memory, owned by `memory`,
// which TrainStep keeps until their copy to the device has completed) and (n, 6) target rows (image
// index, class, xc, yc, w, h normalized).
struct StepBatch {
  const uint8_t* images = nullptr;
  std::shared_ptr<void> memory;
  int batch = 0, height = 0, width = 0;
  const float* targets = nullptr;
  int64_t num_targets = 0;
};

struct TrainStepStats {
  int64_t graph_steps = 0;      // micro-batches replayed from a graph
  int64_t eager_steps = 0;      // micro-batches run eagerly (warm-up, fallbacks)
  int64_t captures = 0;         // successful recordings
  int64_t recaptures = 0;       // recordings after a shape or capacity change
  size_t graph_bytes = 0;       // device memory reserved by the graphs' pools
  size_t graph_cache_bytes = 0; // what size-class pools held for the same recordings (before planning)
  size_t graph_live_peak = 0;   // the recordings' peak of live bytes (the least a plan can hold)
  bool graph_planned = false;   // the forward graph's pool is a lifetime-planned arena
  size_t graph_nodes = 0;       // nodes of the recorded graphs
  std::string disabled_reason;  // why graphs are off (empty while they are used)
  bool recompute = true;        // the current shape's steps rebuild activations in backward
  std::string recompute_reason; // how that was chosen
};

class TrainStep {
 public:
  explicit TrainStep(TrainStepParts parts);
  // Runs one micro-batch; returns its loss components [4] f32 on the device (box, cls, dfl, total),
  // overwritten by the next call.
  const Tensor& run(const StepBatch& batch, bool optimizer_step);
  const TrainStepStats& stats() const { return stats_; }
  int box_capacity() const { return max_boxes_; }  // per image, of the padded targets

 private:
  void prepare_shape(const StepBatch& b);
  void upload(const StepBatch& b);
  void forward_backward(bool optimizer_step);
  void optimizer_tail();
  bool record(std::string* why);
  void drop_graphs();
  bool recompute_now() const;
  void choose_recompute(size_t step_bytes);
  void mark(TrainPhase phase) {
    if (p_.activity) p_.activity->set(phase);
  }

  TrainStepParts p_;
  TrainStepStats stats_;
  HostUploader uploader_;  // images: copy stream, overlapping the previous step
  Tensor images_;          // (B, H, W, 3) u8, the graphs' input
  PaddedTargets targets_;  // CUDA: fixed-capacity device rows
  Tensor host_targets_;    // CPU: the batch's rows
  std::vector<float> padded_rows_;
  Tensor components_;  // [4] f32
  std::vector<Tensor> batch_counters_;  // BN num_batches_tracked (host), counted for replays
  int batch_ = 0, height_ = 0, width_ = 0, max_boxes_ = 0;
  int warm_ = 0;
  bool graphs_ok_ = false;
  bool auto_recompute_ = true;  // the automatic mode's choice for the current shape
  bool on_graph_shape_ = false; // this batch replays the recorded graph (into graph_images_/targets_)
  bool graph_recompute_ = true; // whether the recorded graph rebuilds activations
  Tensor graph_images_;         // the recorded graph's input buffers
  PaddedTargets graph_targets_;
  StepGraph forward_graph_, tail_graph_;
};

}  // namespace ye::yolo

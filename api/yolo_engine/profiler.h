// Per-layer profile of one train step (part of <yolo_engine/yolo_engine.h>): forward and backward time
// of every model layer (CUDA events on the GPU, the steady clock on the CPU), the step's phases, and
// per layer the FLOPs and bytes that give achieved TFLOP/s and GB/s. With CUDA, each layer is also an
// NVTX range of the same name (forward ranges nest under "forward", backward ones under "backward").
#pragma once
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace ye::api {

class Model;
class TrainStep;

struct LayerProfile {
  int index = 0;
  std::string name;              // "model.2 C2f" (table, CSV and NVTX ranges)
  double forward_ms = 0, backward_ms = 0;
  double forward_flops = 0;      // 2 x multiply-accumulates of convs and attention matmuls
  double backward_flops = 0;     // input and weight gradients: 2 x forward
  double forward_bytes = 0;      // inputs + outputs + parameters at their dtypes (boundary traffic)
  double backward_bytes = 0;     // gradient of the outputs, saved inputs, input and weight gradients
  double total_ms() const { return forward_ms + backward_ms; }
};

struct StepProfile {
  std::string model, device, precision;
  int batch = 0, imgsz = 0, iterations = 0;
  std::vector<LayerProfile> layers;
  // Means over the timed iterations. backward_ms includes the loss's backward (before the head's).
  double forward_ms = 0, loss_ms = 0, backward_ms = 0, optimizer_ms = 0;
  double step_ms() const { return forward_ms + loss_ms + backward_ms + optimizer_ms; }
};

struct ProfileOptions {
  int warmup = 2;       // untimed steps first (cuDNN algorithm search, allocator warm-up)
  int iterations = 5;   // timed steps, averaged
  bool nvtx = true;     // NVTX ranges (CUDA builds)
};

// Runs warmup + iterations train steps of `trainer` on the given batch and times them per layer.
// images / targets as TrainStep::step takes them.
StepProfile profile_train_step(Model& model, TrainStep& trainer, const Tensor& images, const Tensor& targets,
                               const ProfileOptions& options = {});

// The profile as a fixed-width table (one row per layer, then the phases) and as CSV (one row per
// layer: index, name, forward_ms, backward_ms, share of the step, FLOPs, bytes, TFLOP/s, GB/s).
std::string profile_table(const StepProfile& profile);
std::string profile_csv(const StepProfile& profile);

}  // namespace ye::api

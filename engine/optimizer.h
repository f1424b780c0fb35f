// Optimizers over the parameter arena: SGD (momentum, Nesterov, L2 decay) and AdamW (decoupled decay)
// with parameter groups that are contiguous arena ranges, so a step is one kernel per group. The step
// unscales gradients, checks for inf/NaN and clips the global norm on the device (GradScaler), and
// skips itself on the device when a non-finite gradient was found: no host sync per step. Each step
// is split into a host part (prepare: counters, hyperparameters uploaded to the device) and a device
// part (enqueue) that a CUDA graph can record once and replay.
#pragma once
#include <string>
#include <vector>

#include "engine/param_arena.h"

namespace ye {

// Dynamic loss scaling state kept on the device (init 2^16, x2 after 2000 finite steps, x0.5 and skip
// on inf/NaN). Disabled (scale fixed at 1) for f32 and bf16 training; the inf check still runs.
class GradScaler {
 public:
  GradScaler(Device device, bool enabled, float init_scale = 65536.0f, float growth = 2.0f, float backoff = 0.5f,
             int interval = 2000);
  bool enabled() const { return enabled_; }
  const Tensor& scale() const { return scale_; }  // [1] f32 on the device; multiply the loss by it
  Tensor scale_loss(const Tensor& loss) const;    // loss * scale (or loss when disabled)
  // After the optimizer step: grows/backs off the scale and counts skipped steps, on the device.
  void update();
  // Host reads (synchronise; for logging and checkpoints only).
  float scale_value() const;
  int64_t skipped_steps() const;
  // Internal device scalars used by the optimizer step.
  Tensor found_inf, grad_sq_sum, growth_tracker, skipped;

  // Checkpoint state: scale, growth tracker, skipped count.
  std::vector<float> state() const;
  void load_state(const std::vector<float>& s);

 private:
  Device device_;
  bool enabled_;
  float growth_, backoff_;
  int interval_;
  Tensor scale_;
};

enum class OptimizerKind { sgd, adamw };

struct ParamGroup {
  std::string name;      // "bias", "weight", "bn" ...
  int64_t offset = 0;    // arena range [offset, offset + numel)
  int64_t numel = 0;
  int64_t count = 0;     // number of tensors (for the reference's log line)
  float lr = 0.01f;
  float momentum = 0.9f;  // SGD momentum, AdamW beta1
  float weight_decay = 0.0f;
  float initial_lr = 0.01f;
};

class Optimizer {
 public:
  Optimizer(OptimizerKind kind, const ParameterArena& arena, std::vector<ParamGroup> groups, float beta2 = 0.999f,
            float eps = 1e-8f, bool nesterov = true);
  // Unscale + inf check + clip at max_norm + update of every group, all on the device:
  // prepare() then enqueue_step().
  void step(GradScaler& scaler, float max_norm = 10.0f);
  // Host part of a step: counts it and uploads each group's lr/momentum/decay (and AdamW's bias
  // corrections) to the device, asynchronously on the compute stream.
  void prepare();
  // Device part of the step prepared last: capturable (reads every changing value from the device).
  void enqueue_step(GradScaler& scaler, float max_norm = 10.0f);
  std::vector<ParamGroup>& groups() { return groups_; }
  const std::vector<ParamGroup>& groups() const { return groups_; }
  OptimizerKind kind() const { return kind_; }
  int64_t steps() const { return steps_; }
  // Checkpoint state: momentum / moment buffers and the step count.
  std::vector<std::pair<std::string, Tensor>> state_tensors() const;
  void set_steps(int64_t s) { steps_ = s; }

 private:
  OptimizerKind kind_;
  const ParameterArena& arena_;
  std::vector<ParamGroup> groups_;
  float beta2_, eps_;
  bool nesterov_;
  int64_t steps_ = 0;
  Tensor buf1_, buf2_, partials_;
  Tensor hyper_;  // (groups, 6) f32 kernels::GroupHyper records on the device
};

// Exponential moving average of the model's parameters and buffers (BN running statistics):
// ema = d*ema + (1-d)*model with d = decay*(1 - exp(-updates/tau)), one pass per arena.
class ModelEMA {
 public:
  ModelEMA(const Tensor& values, const Tensor& buffers, float decay = 0.9999f, float tau = 2000.0f);
  void update(const Tensor& values, const Tensor& buffers);  // prepare() then enqueue()
  void prepare();  // host part: counts the update and uploads its decay to the device
  void enqueue(const Tensor& values, const Tensor& buffers);  // device part (capturable)
  float current_decay() const;
  const Tensor& values() const { return values_; }
  const Tensor& buffers() const { return buffers_; }
  int64_t updates = 0;

 private:
  Tensor values_, buffers_;
  Tensor decay_device_;  // [1] f32: the decay of the update prepared last
  float decay_, tau_, prepared_decay_ = 0.0f;
};

}  // namespace ye

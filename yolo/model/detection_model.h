// The YOLOv8 / YOLO11 detection model built from a resolved ModelSpec: the modules of layers/ wired as
// the spec's graph, parameters in one ParameterArena (grouped: biases, decayed weights, BN weights, so
// each optimizer group is a contiguous range) and BN running statistics in a second arena, weights
// exchangeable with the reference through its state-dict names (OIHW conv weights in files).
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "engine/optimizer.h"
#include "engine/param_arena.h"
#include "yolo/model_spec/model_spec.h"

namespace ye::dist {
class Communicator;
}

namespace ye::layers {
class LayerHooks;
}

namespace ye::yolo {

struct DetectOutput {
  std::vector<Tensor> feats;  // per level (P3, P4, P5): (B, H, W, 64 + nc) NHWC, box logits first
  Tensor decoded;             // eval only: (B, 4 + nc, A) f32, xywh pixels + sigmoid scores (reference layout)
};

struct LoadReport {
  int transferred = 0, total = 0;  // "Transferred X/Y items from pretrained weights"
  std::vector<std::string> missing, mismatched, unexpected;
};

class DetectionModel {
 public:
  // Builds the modules with the reference's initialisation (seeded), on `device`.
  DetectionModel(const ModelSpec& spec, Device device, uint64_t seed = 0);
  ~DetectionModel();
  DetectionModel(const DetectionModel&) = delete;
  DetectionModel& operator=(const DetectionModel&) = delete;

  const ModelSpec& spec() const { return spec_; }
  Device device() const { return device_; }
  int nc() const { return spec_.nc; }
  const std::vector<int>& strides() const { return strides_; }

  void set_training(bool on);
  bool training() const { return training_; }
  // The BN layers' num_batches_tracked host counters (i32 scalars), which a training forward increments
  // on the host: a replayed CUDA graph must count its forwards through them.
  std::vector<Tensor> batch_counters() const;
  // SyncBN: every BatchNorm2d normalises over the ranks of `comm` in training; nullptr: per process.
  void set_sync_batch_norm(dist::Communicator* comm);

  // images: (B, H, W, 3) NHWC, f32/f16/bf16, values in [0, 1]; H and W multiples of 32.
  DetectOutput forward(const Tensor& images);
  // Per-layer observer called around every layer of forward (profiling); nullptr: none.
  void set_layer_hooks(layers::LayerHooks* hooks) { hooks_ = hooks; }

  ParameterArena& parameters() { return *params_; }
  ParameterArena& buffers() { return *buffers_; }  // BN running_mean / running_var (f32)
  // Optimizer groups as the reference builds them: pg0 biases (no decay), pg1 weights (decay),
  // pg2 BN weights (no decay). The frozen DFL weight is in no group.
  std::vector<ParamGroup> param_groups(float lr, float momentum, float weight_decay) const;

  // Reference state dict (names, OIHW conv weights, BN buffers, num_batches_tracked as i32).
  std::vector<io::SafeTensor> state_dict(DType float_dtype = DType::f32) const;
  // strict: every name and shape must match (throws naming the tensor); otherwise tensors whose name
  // and shape match are copied (pretrained transfer to another nc) and the report says what was not.
  LoadReport load_state_dict(const io::SafeTensorsFile& file, bool strict);
  // Copies values/buffers of another arena pair of the same model (EMA -> evaluation model).
  void copy_weights_from(const Tensor& values, const Tensor& buffers);

  struct Impl;

 private:
  ModelSpec spec_;
  Device device_;
  bool training_ = true;
  layers::LayerHooks* hooks_ = nullptr;
  std::vector<int> strides_{8, 16, 32};
  std::unique_ptr<Impl> impl_;
  std::unique_ptr<ParameterArena> params_, buffers_;
  std::array<int64_t, 3> group_sizes_{};
};

// Uploads a uint8 NHWC RGB batch (pinned host memory for an asynchronous copy) and converts it to
// `dtype` in [0, 1] on the device: (B, H, W, 3).
Tensor images_to_input(const uint8_t* images, int batch, int height, int width, Device device, DType dtype);
// The conversion alone, from a uint8 (B, H, W, 3) tensor already on the device.
Tensor uint8_images_to_input(const Tensor& raw, DType dtype);

}  // namespace ye::yolo

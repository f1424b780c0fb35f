// The public API of the engine as a library (CMake package yolo_engine, target yolo_engine::yolo_engine):
// build a YOLOv8 / YOLO11 model by name or YAML, run forward / loss / backward / optimizer step on
// tensors you give it, or the whole train step as one call, load and save weights (reference state-dict
// names, safetensors), and profile a train step per layer (<yolo_engine/profiler.h>, included here).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "engine/optimizer.h"
#include "engine/tensor.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/model/detection_model.h"
#include "yolo_engine/profiler.h"

namespace ye::api {

struct ModelOptions {
  int nc = 80;                 // classes; 0 keeps the config's
  std::string scale;           // "n".."x"; "" takes it from the name ("yolov8s" -> s)
  Device device = Device::cpu();
  uint64_t seed = 0;           // initialisation (the reference's, seeded)
#ifdef YE_PACKAGE_CONFIG_DIR
  std::string config_dir = YE_PACKAGE_CONFIG_DIR;  // the installed package's configs/
#else
  std::string config_dir;      // "": $YE_CONFIG_DIR, ./configs, or configs/ above the executable
#endif
};

// A detection model plus its loss. Images are (B, H, W, 3) NHWC in [0, 1] on the model's device
// (f32, or f16/bf16 for mixed precision), H and W multiples of 32; targets are (n, 6) f32 host rows
// (image index, class, xc, yc, w, h normalised), the loader's format.
class Model {
 public:
  // "yolov8s", "yolo11n", a configs/*.toml file or an Ultralytics model YAML ("my_yolov8s.yaml").
  static Model create(const std::string& name_or_yaml, const ModelOptions& options = {});

  std::vector<Tensor> forward(const Tensor& images);  // train mode: head outputs, one per level
  Tensor predict(const Tensor& images);                // eval mode, no grad: (B, 4 + nc, A) xywh + scores
  yolo::LossResult loss(const std::vector<Tensor>& head, const Tensor& targets, int img_h, int img_w);
  void zero_grad();                                    // parameter gradients to 0

  void load_weights(const std::string& path, bool strict = true);  // safetensors, reference names
  void save_weights(const std::string& path) const;

  Device device() const;
  int64_t num_parameters() const;
  const yolo::ModelSpec& spec() const;
  yolo::DetectionModel& detection_model() { return *model_; }
  yolo::DetectionLoss& detection_loss() { return *loss_; }

 private:
  std::shared_ptr<yolo::DetectionModel> model_;
  std::shared_ptr<yolo::DetectionLoss> loss_;
};

struct TrainOptions {
  OptimizerKind optimizer = OptimizerKind::sgd;
  float lr = 0.01f, momentum = 0.937f, weight_decay = 5e-4f;
  float max_norm = 10.0f;      // gradient clipping (global norm)
  bool amp = false;            // f16 activations with dynamic loss scaling (inputs are cast to f16)
  bool ema = true;             // keep the reference's model EMA
};

struct StepResult {
  Tensor components;  // [4] f32 on the device: box, cls, dfl, total (read with to_vector(): syncs)
};

// Optimizer, loss scaler and EMA over a Model's parameter arena. step() is the whole train step
// (forward, loss, scaled backward, unscale + clip + optimizer, scaler update, zero grads, EMA); the
// parts are public for custom loops: backward() then optimizer_step().
class TrainStep {
 public:
  TrainStep(Model& model, const TrainOptions& options = {});
  StepResult step(const Tensor& images, const Tensor& targets);
  void backward(const Tensor& loss_total);  // scales by the loss scale under AMP
  void optimizer_step();                    // unscale, clip, update, scaler update, zero grads, EMA

  Optimizer& optimizer() { return *optimizer_; }
  GradScaler& scaler() { return *scaler_; }
  const ModelEMA* ema() const { return ema_.get(); }
  const TrainOptions& options() const { return options_; }

 private:
  Model& model_;
  TrainOptions options_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<GradScaler> scaler_;
  std::unique_ptr<ModelEMA> ema_;
};

// Random inputs for studies and tests: images in [0, 1] of `dtype` on `device`, and `per_image`
// plausible boxes per image with classes < nc (seeded, same on every run).
Tensor random_images(int batch, int height, int width, Device device, DType dtype, uint64_t seed = 1);
Tensor random_targets(int batch, int nc, int per_image = 8, uint64_t seed = 2);

}  // namespace ye::api

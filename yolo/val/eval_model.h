// What the validator and the predictor need of a detection model, as a small interface so their core
// runs without the real network: EvalModel (device, input conversion, eval-mode forward), a
// CallableEvalModel wrapping any std::function (tests feed chosen predictions through it), and
// DetectionEvalModel (yolo/val/detection_eval_model.cpp), the adapter over the real DetectionModel.
#pragma once
#include <cstdint>
#include <functional>

#include "engine/tensor.h"
#include "yolo/model/detection_model.h"

namespace ye::yolo {

class EvalModel {
 public:
  virtual ~EvalModel() = default;
  virtual Device device() const = 0;
  // A uint8 NHWC RGB batch -> the network input on device(): (B, H, W, 3) in `dtype`, values x / 255.
  // The default converts on the host (f32 division by 255, then cast) and uploads.
  virtual Tensor to_input(const uint8_t* images, int batch, int height, int width, DType dtype);
  // Eval-mode forward: `decoded` (B, 4 + nc, A) xywh pixels + scores; `feats` (per level, NHWC) are
  // needed only when the validator computes the val loss.
  virtual DetectOutput forward(const Tensor& input) = 0;
};

// Any callable as a model (fake models in tests, other back ends).
class CallableEvalModel : public EvalModel {
 public:
  using ForwardFn = std::function<DetectOutput(const Tensor& input)>;
  explicit CallableEvalModel(ForwardFn fn, Device device = Device::cpu()) : fn_(std::move(fn)), device_(device) {}
  Device device() const override { return device_; }
  DetectOutput forward(const Tensor& input) override { return fn_(input); }

 private:
  ForwardFn fn_;
  Device device_;
};

// The real model: switches it to eval mode for each forward (and back to the previous mode after),
// converts batches with images_to_input (asynchronous upload from pinned memory).
class DetectionEvalModel : public EvalModel {
 public:
  explicit DetectionEvalModel(DetectionModel& model) : model_(model) {}
  Device device() const override;
  Tensor to_input(const uint8_t* images, int batch, int height, int width, DType dtype) override;
  DetectOutput forward(const Tensor& input) override;

 private:
  DetectionModel& model_;
};

}  // namespace ye::yolo

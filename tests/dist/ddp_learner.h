// A minimal training step for the data-parallel equivalence tests (CPU and GPU): yolov8n with nc=2 at
// 64x64, deterministic micro-batches of 2 images, SGD over the parameter arena, no AMP.
#pragma once
#include <memory>

#include "common/harness.h"
#include "engine/optimizer.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/model/detection_model.h"

namespace ye::test {

struct MicroBatch {
  Tensor images, targets;  // (2, 64, 64, 3) f32 in [0, 1]; [3, 6] rows (image, cls, xc, yc, w, h)
};

inline MicroBatch make_micro_batch(uint64_t seed, Device device = Device::cpu()) {
  MicroBatch b;
  b.images = random_uniform({2, 64, 64, 3}, seed, 0.0f, 1.0f).to(device);
  std::vector<float> t = {0, 0, 0.3f, 0.4f, 0.2f, 0.3f, 1, 1, 0.6f, 0.5f, 0.4f, 0.25f, 1, 0, 0.25f, 0.7f, 0.3f, 0.2f};
  for (size_t i = 2; i < t.size(); i += 6) t[i] += 0.01f * float(seed % 7);
  b.targets = Tensor::from_vector(t, {3, 6});
  return b;
}

struct Learner {
  yolo::ModelSpec spec;
  yolo::DetectionModel model;
  yolo::DetectionLoss criterion{2};
  GradScaler scaler;
  std::unique_ptr<Optimizer> opt;
  Learner(uint64_t seed, Device device = Device::cpu())
      : spec(yolo::load_model_spec("yolov8n", 2, "", YE_SOURCE_DIR "/configs")),
        model(spec, device, seed),
        scaler(device, false) {
    opt = std::make_unique<Optimizer>(OptimizerKind::sgd, model.parameters(), model.param_groups(0.01f, 0.9f, 5e-4f));
  }
  Tensor loss(const MicroBatch& b) {
    yolo::DetectOutput out = model.forward(b.images);
    return criterion(out.feats, b.targets, 64, 64).total;
  }
  void step() {
    opt->step(scaler, 10.0f);
    scaler.update();
    model.parameters().zero_grad();
  }
};

}  // namespace ye::test

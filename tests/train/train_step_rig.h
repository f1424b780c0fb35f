// Test rig for TrainStep: a small detection model with its loss, SGD, scaler and EMA on one device,
// and reproducible random batches (uint8 images, a varying number of boxes per image), so the CPU and
// GPU suites can run the same micro-batches through TrainStep and through the plain step sequence.
#pragma once
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "yolo/train/train_step.h"

namespace ye::test {

struct RigBatch {
  int batch = 0, size = 0;
  std::vector<uint8_t> images;
  std::vector<float> targets;
  yolo::StepBatch view() const {
    return {images.data(), nullptr, batch, size, size, targets.data(), int64_t(targets.size() / 6)};
  }
};

inline RigBatch random_batch(int batch, int size, int nc, uint32_t seed, int max_boxes_per_image = 6) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  RigBatch b;
  b.batch = batch, b.size = size;
  b.images.resize(size_t(batch) * size * size * 3);
  for (auto& p : b.images) p = uint8_t(rng() & 0xFF);
  for (int i = 0; i < batch; ++i) {
    int n = 1 + int(rng() % unsigned(max_boxes_per_image));
    for (int k = 0; k < n; ++k) {
      float w = 0.1f + 0.4f * u(rng), h = 0.1f + 0.4f * u(rng);
      b.targets.insert(b.targets.end(), {float(i), float(rng() % unsigned(nc)), w / 2 + (1 - w) * u(rng),
                                         h / 2 + (1 - h) * u(rng), w, h});
    }
  }
  return b;
}

struct StepRig {
  std::unique_ptr<yolo::DetectionModel> model;
  std::unique_ptr<yolo::DetectionLoss> loss;
  std::unique_ptr<Optimizer> opt;
  std::unique_ptr<GradScaler> scaler;
  std::unique_ptr<ModelEMA> ema;
  std::unique_ptr<yolo::TrainStep> step;

  StepRig(Device dev, DType input_dtype, bool graphs, int nc = 4, const std::string& name = "yolov8n",
          yolo::RecomputeMode recompute = yolo::RecomputeMode::automatic) {
    model = std::make_unique<yolo::DetectionModel>(yolo::load_model_spec(name, nc), dev, 3);
    model->set_training(true);
    loss = std::make_unique<yolo::DetectionLoss>(nc);
    opt = std::make_unique<Optimizer>(OptimizerKind::sgd, model->parameters(), model->param_groups(0.01f, 0.9f, 5e-4f),
                                      0.999f, 1e-8f, true);
    scaler = std::make_unique<GradScaler>(dev, input_dtype == DType::f16);
    ema = std::make_unique<ModelEMA>(model->parameters().values(), model->buffers().values());
    yolo::TrainStepParts p;
    p.model = model.get(), p.loss = loss.get(), p.optimizer = opt.get(), p.scaler = scaler.get(), p.ema = ema.get();
    p.input_dtype = input_dtype;
    p.use_graphs = graphs;
    p.recompute = recompute;
    step = std::make_unique<yolo::TrainStep>(p);
  }
};

// Bitwise equality of two same-shaped tensors (any dtype, any device).
inline bool bitwise_equal(const Tensor& a, const Tensor& b) {
  Tensor ha = a.to(Device::cpu()).contiguous(), hb = b.to(Device::cpu()).contiguous();
  return ha.nbytes() == hb.nbytes() && std::memcmp(ha.data(), hb.data(), ha.nbytes()) == 0;
}

}  // namespace ye::test

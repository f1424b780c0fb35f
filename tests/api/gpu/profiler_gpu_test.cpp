// The public API on a GPU: a yolov8n f16 train step profiled per layer with CUDA events (times add up
// to the phases, FLOPs equal the CPU profile's), and the one-call train step giving finite losses.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>

#include "common/harness.h"
#include "yolo_engine/yolo_engine.h"

using namespace ye;

namespace {
api::StepProfile profile_on(Device device, bool amp) {
  api::ModelOptions mo;
  mo.config_dir = YE_SOURCE_DIR "/configs";
  mo.device = device;
  api::Model model = api::Model::create("yolov8n", mo);
  api::TrainOptions to;
  to.amp = amp;
  api::TrainStep trainer(model, to);
  api::ProfileOptions po;
  po.warmup = 2;
  po.iterations = 3;
  return api::profile_train_step(model, trainer, api::random_images(4, 128, 128, device, DType::f32),
                                 api::random_targets(4, 80), po);
}
}  // namespace

TEST_CASE("GPU profile_train_step: CUDA-event times per layer add up to the phases") {
  api::StepProfile gpu = profile_on(Device::cuda(0), true);
  CHECK(gpu.precision == "f16");
  CHECK(gpu.device == Device::cuda(0).str());
  double fwd = 0, bwd = 0;
  for (const api::LayerProfile& l : gpu.layers) {
    CHECK(l.forward_ms > 0);
    CHECK(l.backward_ms >= 0);
    fwd += l.forward_ms;
    bwd += l.backward_ms;
  }
  CHECK(fwd <= gpu.forward_ms * 1.001);
  CHECK(fwd >= 0.8 * gpu.forward_ms);
  CHECK(bwd <= gpu.backward_ms * 1.001);
  CHECK(bwd >= 0.5 * gpu.backward_ms);
  CHECK(gpu.optimizer_ms > 0);

  api::StepProfile cpu = profile_on(Device::cpu(), false);
  REQUIRE(cpu.layers.size() == gpu.layers.size());
  for (size_t i = 0; i < cpu.layers.size(); ++i) {
    CHECK(cpu.layers[i].name == gpu.layers[i].name);
    CHECK(cpu.layers[i].forward_flops == gpu.layers[i].forward_flops);
  }
}

TEST_CASE("GPU TrainStep::step: finite losses under AMP, weights save and load") {
  api::ModelOptions mo;
  mo.config_dir = YE_SOURCE_DIR "/configs";
  mo.device = Device::cuda(0);
  api::Model model = api::Model::create("yolov8n", mo);
  api::TrainOptions to;
  to.amp = true;
  api::TrainStep trainer(model, to);
  Tensor images = api::random_images(2, 128, 128, mo.device, DType::f32);
  Tensor targets = api::random_targets(2, 80);
  for (int i = 0; i < 3; ++i)
    for (float c : trainer.step(images, targets).components.to_vector()) CHECK(std::isfinite(c));
  std::string path = (std::filesystem::temp_directory_path() / "ye_api_gpu.safetensors").string();
  model.save_weights(path);
  api::Model copy = api::Model::create("yolov8n", mo);
  copy.load_weights(path);
  std::filesystem::remove(path);
  CHECK(copy.predict(images).to_vector() == model.predict(images).to_vector());
}

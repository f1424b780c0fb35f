// The public API's profiling path on the CPU: autograd markers pass gradients through and report the
// backward pass once, the model's layer hooks see every layer in order with its inputs, and the
// per-layer profile of a yolov8n train step adds up to its phases, with FLOPs from the spec and CSV rows.
#include <doctest/doctest.h>

#include <sstream>

#include "common/harness.h"
#include "engine/ops.h"
#include "layers/module.h"
#include "yolo_engine/yolo_engine.h"

using namespace ye;

TEST_CASE("autograd_marker: identity for values and gradients, callback once per backward") {
  Tensor x = test::random_uniform({2, 3}, test::fresh_seed());
  x.set_requires_grad(true);
  int calls = 0;
  Tensor y = layers::autograd_marker(x, [&] { ++calls; });
  CHECK(y.impl() != x.impl());
  CHECK(y.same_storage(x));
  CHECK(calls == 0);
  ops::sum(ops::mul_scalar(y, 3.0f)).backward();
  CHECK(calls == 1);
  for (float g : x.grad().to_vector()) CHECK(g == 3.0f);
  Tensor plain = test::random_uniform({4}, test::fresh_seed());
  CHECK(layers::autograd_marker(plain, [&] { ++calls; }).impl() == plain.impl());  // nothing to record
}

namespace {
struct RecordingHooks : layers::LayerHooks {
  std::vector<int> entered, left, inputs, outputs;
  void enter(int index, std::vector<Tensor>& xs) override {
    entered.push_back(index);
    inputs.push_back(int(xs.size()));
  }
  void leave(int index, std::vector<Tensor>& ys) override {
    left.push_back(index);
    outputs.push_back(int(ys.size()));
  }
};
}  // namespace

TEST_CASE("DetectionModel layer hooks: every layer entered and left in order, with its inputs") {
  api::ModelOptions mo;
  mo.config_dir = YE_SOURCE_DIR "/configs";
  api::Model model = api::Model::create("yolov8n", mo);
  RecordingHooks hooks;
  model.detection_model().set_layer_hooks(&hooks);
  model.forward(api::random_images(1, 64, 64, Device::cpu(), DType::f32));
  model.detection_model().set_layer_hooks(nullptr);
  const yolo::ModelSpec& spec = model.spec();
  REQUIRE(hooks.entered.size() == spec.layers.size());
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    CHECK(hooks.entered[i] == int(i));
    CHECK(hooks.left[i] == int(i));
    CHECK(hooks.inputs[i] == int(spec.layers[i].inputs.size()));
  }
  CHECK(hooks.inputs.back() == 3);   // Detect reads P3, P4, P5
  CHECK(hooks.outputs.back() == 3);  // and gives one output per level
  CHECK(hooks.outputs.front() == 1);
  model.forward(api::random_images(1, 64, 64, Device::cpu(), DType::f32));
  CHECK(hooks.entered.size() == spec.layers.size());  // detached: no more calls
}

TEST_CASE("profile_train_step: per-layer times add up to the phases; FLOPs, bytes and CSV") {
  api::ModelOptions mo;
  mo.config_dir = YE_SOURCE_DIR "/configs";
  mo.nc = 4;
  api::Model model = api::Model::create("yolov8n", mo);
  api::TrainStep trainer(model);
  const int batch = 2, imgsz = 64;
  api::ProfileOptions po;
  po.warmup = 1;
  po.iterations = 2;
  api::StepProfile p = api::profile_train_step(model, trainer, api::random_images(batch, imgsz, imgsz, Device::cpu(),
                                                                                   DType::f32),
                                               api::random_targets(batch, 4), po);
  REQUIRE(p.layers.size() == model.spec().layers.size());
  CHECK(p.layers[0].name == "model.0 Conv");
  CHECK(p.layers[2].name == "model.2 C2f");
  CHECK(p.layers.back().name == "model.22 Detect");
  CHECK(p.batch == batch);
  CHECK(p.precision == "f32");

  double fwd = 0, bwd = 0;
  for (const api::LayerProfile& l : p.layers) {
    CHECK(l.forward_ms > 0);
    CHECK(l.backward_ms >= 0);
    fwd += l.forward_ms;
    bwd += l.backward_ms;
  }
  for (int conv : {0, 1, 3, 5, 7}) CHECK(p.layers[size_t(conv)].backward_ms > 0);
  CHECK(fwd <= p.forward_ms * 1.0001);
  CHECK(fwd >= 0.8 * p.forward_ms);  // the model's own bookkeeping between layers is small
  CHECK(bwd <= p.backward_ms * 1.0001);
  CHECK(bwd >= 0.8 * p.backward_ms);  // only the loss's own backward belongs to no layer
  CHECK(p.optimizer_ms > 0);

  // Layer 0: Conv 3 -> 16, 3x3 stride 2: 32x32x16 outputs of 27 multiply-accumulates each.
  const double conv0 = 2.0 * batch * 32 * 32 * 16 * 27;
  CHECK(p.layers[0].forward_flops == doctest::Approx(conv0));
  CHECK(p.layers[0].backward_flops == doctest::Approx(2 * conv0));
  CHECK(p.layers[10].forward_flops == 0);  // Upsample
  // Boundary bytes of layer 0: the f32 image in, the (2, 32, 32, 16) f32 map out, 16*27 + 32 parameters.
  CHECK(p.layers[0].forward_bytes == doctest::Approx(4.0 * (batch * 64 * 64 * 3 + batch * 32 * 32 * 16 + 464)));

  std::istringstream csv(api::profile_csv(p));
  std::string line;
  std::getline(csv, line);
  CHECK(line.rfind("index,name,forward_ms,backward_ms,step_share,", 0) == 0);
  int rows = 0;
  while (std::getline(csv, line)) {
    CHECK(line.rfind(std::to_string(rows) + ",model." + std::to_string(rows) + " ", 0) == 0);
    ++rows;
  }
  CHECK(rows == int(p.layers.size()));
  std::string table = api::profile_table(p);
  CHECK(table.find("model.22 Detect") != std::string::npos);
  CHECK(table.find("phases: forward") != std::string::npos);
}

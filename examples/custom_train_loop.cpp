// A custom training loop on the public API: build a model, run forward / loss / backward / optimizer
// step yourself (here with a learning-rate decay and a loss printout), check the losses stay finite and
// the weights move, save the weights and load them into a fresh model. Usage: custom_train_loop [steps].
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include <yolo_engine/yolo_engine.h>

int main(int argc, char** argv) {
  using namespace ye;
  const int steps = argc > 1 ? std::stoi(argv[1]) : 8;
  const int batch = 2, imgsz = 64, nc = 4;
  const Device device = Device::cpu();

  api::ModelOptions mo;
  mo.nc = nc;
  mo.device = device;
  mo.seed = 1;
  api::Model model = api::Model::create("yolov8n", mo);
  api::TrainOptions to;
  to.lr = 0.01f;
  to.ema = false;
  api::TrainStep trainer(model, to);
  std::printf("yolov8n, %lld parameters, nc %d\n", static_cast<long long>(model.num_parameters()), nc);

  Tensor images = api::random_images(batch, imgsz, imgsz, device, DType::f32, 3);
  Tensor targets = api::random_targets(batch, nc, 4, 5);
  const std::vector<float> initial = model.detection_model().parameters().values().to_vector();
  for (int step = 0; step < steps; ++step) {
    for (ParamGroup& g : trainer.optimizer().groups()) g.lr = to.lr * (1.0f - 0.5f * float(step) / float(steps));
    std::vector<Tensor> head = model.forward(images);
    yolo::LossResult loss = model.loss(head, targets, imgsz, imgsz);
    trainer.backward(loss.total);
    trainer.optimizer_step();
    std::vector<float> c = loss.components.to_vector();  // box, cls, dfl, total
    std::printf("step %d  box %.4f  cls %.4f  dfl %.4f  total %.4f\n", step, c[0], c[1], c[2], c[3]);
    if (!std::isfinite(c[3])) return 1;
  }
  if (steps > 0 && model.detection_model().parameters().values().to_vector() == initial) {
    std::printf("the optimizer steps left every weight unchanged\n");
    return 1;
  }

  // The same step as one call, then a weights round trip.
  api::StepResult r = trainer.step(images, targets);
  std::printf("one-call step: total %.4f\n", r.components.to_vector()[3]);
  std::string path = (std::filesystem::temp_directory_path() / "custom_train_loop.safetensors").string();
  model.save_weights(path);
  api::Model copy = api::Model::create("yolov8n", mo);
  copy.load_weights(path);
  std::vector<float> a = model.predict(images).to_vector(), b = copy.predict(images).to_vector();
  std::filesystem::remove(path);
  if (a != b) {
    std::printf("loaded weights predict differently\n");
    return 1;
  }
  std::printf("weights saved and loaded: predictions equal (%zu values)\n", a.size());
  return 0;
}

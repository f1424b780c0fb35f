// Per-layer timing study of a train step (default yolov8s): every layer's forward and backward time,
// FLOPs, bytes and achieved TFLOP/s / GB/s, written as CSV. On a GPU the defaults are batch 16 at 640
// (f16); on the CPU pass small sizes. Usage: layer_timing [csv] [model] [batch] [imgsz] [cpu|cuda].
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>

#include <yolo_engine/yolo_engine.h>

int main(int argc, char** argv) {
  using namespace ye;
  std::string csv = argc > 1 ? argv[1] : "layer_timing.csv";
  std::string name = argc > 2 ? argv[2] : "yolov8s";
  int batch = argc > 3 ? std::stoi(argv[3]) : 16;
  int imgsz = argc > 4 ? std::stoi(argv[4]) : 640;
  Device device = argc > 5 ? Device::parse(argv[5]) : (cuda_available() ? Device::cuda(0) : Device::cpu());

  api::ModelOptions mo;
  mo.device = device;
  api::Model model = api::Model::create(name, mo);
  api::TrainOptions to;
  to.amp = device.is_cuda();
  api::TrainStep trainer(model, to);

  Tensor images = api::random_images(batch, imgsz, imgsz, device, DType::f32);
  Tensor targets = api::random_targets(batch, model.spec().nc);
  api::ProfileOptions po;
  po.warmup = device.is_cuda() ? 3 : 1;
  po.iterations = device.is_cuda() ? 10 : 2;
  api::StepProfile profile = api::profile_train_step(model, trainer, images, targets, po);

  std::ofstream(csv) << api::profile_csv(profile);
  std::printf("%s", api::profile_table(profile).c_str());

  // The data, not only the text: the three layers that take the largest share of the step.
  std::vector<api::LayerProfile> layers = profile.layers;
  std::sort(layers.begin(), layers.end(), [](auto& a, auto& b) { return a.total_ms() > b.total_ms(); });
  for (size_t i = 0; i < 3 && i < layers.size(); ++i)
    std::printf("top %zu: %s %.3f ms (%.1f%% of the step)\n", i + 1, layers[i].name.c_str(), layers[i].total_ms(),
                100.0 * layers[i].total_ms() / profile.step_ms());
  std::printf("CSV written to %s\n", csv.c_str());
  return 0;
}

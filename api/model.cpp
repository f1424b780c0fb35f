// The public API's Model (a DetectionModel and its DetectionLoss built by name or YAML), TrainStep
// (optimizer, loss scaler and EMA over the parameter arena; the train step as one call) and the
// seeded random inputs for studies and tests.
#include <filesystem>

#include "engine/io/safetensors.h"
#include "engine/ops.h"
#include "kernels/error.h"
#include "yolo_engine/yolo_engine.h"

namespace ye::api {

Model Model::create(const std::string& name_or_yaml, const ModelOptions& options) {
  std::string config_dir = options.config_dir;
  if (!config_dir.empty() && !std::filesystem::is_directory(config_dir)) config_dir.clear();
  Model m;
  yolo::ModelSpec spec = yolo::load_model_spec(name_or_yaml, options.nc, options.scale, config_dir);
  m.model_ = std::make_shared<yolo::DetectionModel>(spec, options.device, options.seed);
  m.loss_ = std::make_shared<yolo::DetectionLoss>(spec.nc);
  return m;
}

std::vector<Tensor> Model::forward(const Tensor& images) {
  model_->set_training(true);
  return model_->forward(images).feats;
}

Tensor Model::predict(const Tensor& images) {
  NoGradGuard no_grad;
  model_->set_training(false);
  Tensor decoded = model_->forward(images).decoded;
  model_->set_training(true);
  return decoded;
}

yolo::LossResult Model::loss(const std::vector<Tensor>& head, const Tensor& targets, int img_h, int img_w) {
  return (*loss_)(head, targets, img_h, img_w);
}

void Model::zero_grad() { model_->parameters().zero_grad(); }

void Model::load_weights(const std::string& path, bool strict) {
  model_->load_state_dict(io::read_safetensors(path), strict);
}

void Model::save_weights(const std::string& path) const { io::write_safetensors(path, model_->state_dict()); }

Device Model::device() const { return model_->device(); }
int64_t Model::num_parameters() const { return model_->parameters().total(); }
const yolo::ModelSpec& Model::spec() const { return model_->spec(); }

TrainStep::TrainStep(Model& model, const TrainOptions& options) : model_(model), options_(options) {
  yolo::DetectionModel& dm = model.detection_model();
  optimizer_ = std::make_unique<Optimizer>(options.optimizer, dm.parameters(),
                                           dm.param_groups(options.lr, options.momentum, options.weight_decay));
  scaler_ = std::make_unique<GradScaler>(dm.device(), options.amp);
  if (options.ema) ema_ = std::make_unique<ModelEMA>(dm.parameters().values(), dm.buffers().values());
}

StepResult TrainStep::step(const Tensor& images, const Tensor& targets) {
  YE_CHECK(images.ndim() == 4, "TrainStep::step: images must be (B, H, W, 3), got ", images.shape().str());
  Tensor input = options_.amp && images.dtype() == DType::f32 ? ops::cast(images, DType::f16) : images;
  yolo::LossResult l = model_.loss(model_.forward(input), targets, int(images.dim(1)), int(images.dim(2)));
  backward(l.total);
  optimizer_step();
  return {l.components};
}

void TrainStep::backward(const Tensor& loss_total) { scaler_->scale_loss(loss_total).backward(); }

void TrainStep::optimizer_step() {
  yolo::DetectionModel& dm = model_.detection_model();
  optimizer_->step(*scaler_, options_.max_norm);
  scaler_->update();
  dm.parameters().zero_grad();
  if (ema_) ema_->update(dm.parameters().values(), dm.buffers().values());
}

Tensor random_images(int batch, int height, int width, Device device, DType dtype, uint64_t seed) {
  Tensor img = Tensor::empty({batch, height, width, 3}, DType::f32, device);
  Generator gen(seed);
  ops::uniform_(img, 0.0f, 1.0f, gen);
  return dtype == DType::f32 ? img : ops::cast(img, dtype);
}

Tensor random_targets(int batch, int nc, int per_image, uint64_t seed) {
  YE_CHECK(batch > 0 && nc > 0 && per_image >= 0, "random_targets: batch ", batch, ", nc ", nc, ", per_image ",
           per_image);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&s] { return float((s = s * 6364136223846793005ull + 1442695040888963407ull) >> 40) / float(1 << 24); };
  std::vector<float> rows;
  for (int b = 0; b < batch; ++b)
    for (int k = 0; k < per_image; ++k) {
      float w = 0.05f + 0.4f * next(), h = 0.05f + 0.4f * next();
      float cls = float(int(next() * float(nc)) % nc);
      rows.insert(rows.end(), {float(b), cls, w / 2 + (1 - w) * next(), h / 2 + (1 - h) * next(), w, h});
    }
  return Tensor::from_vector(rows, {int64_t(rows.size() / 6), 6});
}

}  // namespace ye::api

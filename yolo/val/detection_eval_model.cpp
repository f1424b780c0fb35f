// DetectionEvalModel (see eval_model.h): the real DetectionModel behind the EvalModel interface. Kept in
// its own file so code that only uses fake models does not pull the network into its link.
#include "yolo/val/eval_model.h"

namespace ye::yolo {

Device DetectionEvalModel::device() const { return model_.device(); }

Tensor DetectionEvalModel::to_input(const uint8_t* images, int batch, int height, int width, DType dtype) {
  return images_to_input(images, batch, height, width, model_.device(), dtype);
}

DetectOutput DetectionEvalModel::forward(const Tensor& input) {
  const bool was_training = model_.training();
  if (was_training) model_.set_training(false);
  DetectOutput out = model_.forward(input);
  if (was_training) model_.set_training(true);
  return out;
}

}  // namespace ye::yolo

// The default input conversion of EvalModel (see eval_model.h): uint8 -> f32 x / 255 on the host, cast
// to the requested dtype, uploaded to the model's device.
#include "yolo/val/eval_model.h"

#include <vector>

#include "engine/ops.h"

namespace ye::yolo {

Tensor EvalModel::to_input(const uint8_t* images, int batch, int height, int width, DType dtype) {
  const size_t n = size_t(batch) * size_t(height) * size_t(width) * 3;
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = float(images[i]) / 255.0f;
  Tensor t = Tensor::from_vector(v, Shape{batch, height, width, 3});
  if (dtype != DType::f32) t = ops::cast(t, dtype);
  return t.to(device());
}

}  // namespace ye::yolo

// Helpers of the model tests: reference goldens (NCHW) to our NHWC layout, golden file paths, and a
// model loaded with the reference's weights.
#pragma once
#include <memory>
#include <string>

#include "engine/io/safetensors.h"
#include "engine/nn_ops.h"
#include "yolo/model/detection_model.h"

namespace ye::test {

inline std::string golden(const std::string& file) { return std::string(YE_SOURCE_DIR) + "/tests/parity/goldens/models/" + file; }

inline Tensor golden_tensor(const io::SafeTensorsFile& f, const std::string& name) {
  const io::SafeTensor& s = f.at(name);
  Tensor t = Tensor::from_blob_copy(s.bytes.data(), Shape::from(s.shape.begin(), s.shape.end()), s.dtype, Device::cpu());
  return ops::cast(t, DType::f32);
}

inline Tensor nchw_to_nhwc(const Tensor& t) { return ops::permute(t, {0, 2, 3, 1}); }

// yolov8n / yolo11n at nc=3 with the golden weights, on `device`, eval mode.
inline std::unique_ptr<yolo::DetectionModel> golden_model(const std::string& name, Device device) {
  auto spec = yolo::load_model_spec(name, 3);
  auto m = std::make_unique<yolo::DetectionModel>(spec, device, 1);
  auto file = io::read_safetensors(golden(name + "_nc3_weights.safetensors"));
  yolo::LoadReport r = m->load_state_dict(file, false);
  REQUIRE(r.mismatched.empty());
  for (const auto& miss : r.missing) REQUIRE(miss.find("num_batches_tracked") != std::string::npos);
  REQUIRE(r.unexpected.empty());
  m->set_training(false);
  return m;
}

}  // namespace ye::test

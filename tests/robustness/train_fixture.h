// The tiny training job of the crash-safety tests: a synthetic dataset of 32x32 images and yolov8n,
// a few optimizer steps per epoch, CPU, one loader thread; its command line and the final weights
// of a run, to compare an interrupted-and-resumed run with an uninterrupted one.
#pragma once
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "data/synth.h"
#include "engine/io/safetensors.h"

namespace ye::robust {

inline std::string tiny_dataset(const std::filesystem::path& dir, int images = 8) {  // 6 train, 2 val
  data::SynthOptions so;
  so.out_dir = (dir / "synth").string();
  so.images = images;
  so.imgsz = 32;
  so.seed = 11;
  return data::generate_synthetic_dataset(so).yaml_path;
}

inline std::vector<std::string> tiny_train_args(const std::string& yaml, const std::filesystem::path& project,
                                                int epochs) {
  return {"train", "--data", yaml, "--model", "yolov8n", "--imgsz", "32", "--batch", "2", "--epochs",
          std::to_string(epochs), "--workers", "1", "--device", "cpu", "--plots", "false", "--close_mosaic", "1",
          "--project", project.string(), "--name", "exp", "--exist_ok", "true"};
}

// Largest |a - b| over every tensor of two weight files with the same tensor names and shapes; a
// negative result when the files differ in names, shapes or dtypes.
inline double max_weight_difference(const std::filesystem::path& a, const std::filesystem::path& b) {
  io::SafeTensorsFile fa = io::read_safetensors(a.string()), fb = io::read_safetensors(b.string());
  if (fa.tensors.size() != fb.tensors.size()) return -1;
  double worst = 0;
  for (const auto& ta : fa.tensors) {
    const io::SafeTensor* tb = fb.find(ta.name);
    if (!tb || tb->shape != ta.shape || tb->dtype != ta.dtype || tb->bytes.size() != ta.bytes.size()) return -1;
    if (ta.dtype != DType::f32) {
      if (ta.bytes != tb->bytes) worst = std::max(worst, 1.0);
      continue;
    }
    const float* pa = reinterpret_cast<const float*>(ta.bytes.data());
    const float* pb = reinterpret_cast<const float*>(tb->bytes.data());
    for (size_t i = 0; i < ta.bytes.size() / 4; ++i) worst = std::max(worst, double(std::abs(pa[i] - pb[i])));
  }
  return worst;
}

}  // namespace ye::robust

// Helpers of the validator/predictor tests: a temporary folder, the coco8 dataset without a label
// cache, and fake models: one that answers each val batch with its own ground truth as detections
// (perfect predictions), one that returns fixed detections for any input.
#pragma once
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/loader.h"
#include "engine/tensor.h"
#include "yolo/val/eval_model.h"

namespace ye::yolo::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name) {
    path = std::filesystem::temp_directory_path() / ("ye_test_val_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline std::string coco8_dir() { return std::string(YE_SOURCE_DIR) + "/../shared/datasets/coco8"; }

inline std::shared_ptr<const data::Dataset> coco8_val() {
  const data::DatasetConfig cfg = data::load_dataset_yaml(coco8_dir() + "/coco8.yaml");
  data::DatasetOptions o;
  o.label_cache = false;
  o.log = [](const std::string&) {};
  return std::make_shared<const data::Dataset>(data::Dataset::load(cfg, "val", o));
}

// A val batch's targets as a Detect eval output (B, 4 + nc, A): one anchor per GT box with its
// xywh in batch pixels and `score` for its class; the other anchors score 0 (dropped by NMS).
inline Tensor decoded_from_targets(const data::Batch& b, int nc, float score, int anchors) {
  std::vector<float> v(size_t(b.batch_size) * size_t(4 + nc) * size_t(anchors), 0.f);
  std::vector<int> used(size_t(b.batch_size), 0);
  const float W = float(b.width), H = float(b.height);
  for (size_t t = 0; t < b.num_targets(); ++t) {
    const float* r = &b.targets[6 * t];
    const size_t i = size_t(r[0]);
    const size_t a = size_t(used[i]++);
    if (a >= size_t(anchors)) continue;
    float* base = v.data() + i * size_t(4 + nc) * size_t(anchors);
    base[0 * anchors + a] = r[2] * W, base[1 * anchors + a] = r[3] * H;
    base[2 * anchors + a] = r[4] * W, base[3 * anchors + a] = r[5] * H;
    base[size_t(4 + int(r[1])) * size_t(anchors) + a] = score;
  }
  return Tensor::from_vector(v, Shape{b.batch_size, 4 + nc, anchors});
}

// Collects a loader's batches (targets, sizes, metadata) in its val order.
inline std::vector<data::Batch> collect_batches(std::shared_ptr<const data::Dataset> ds, int imgsz, int batch) {
  data::LoaderOptions o = data::LoaderOptions::validation(imgsz, batch, 0);
  o.log = [](const std::string&) {};
  data::Loader loader(ds, o);
  loader.set_epoch(0);
  std::vector<data::Batch> out;
  while (auto b = loader.next()) out.push_back(std::move(*b));
  return out;
}

// A fake model answering the k-th forward of a pass with decoded_from_targets(batches[k % n]).
inline CallableEvalModel perfect_model(const std::vector<data::Batch>& batches, int nc, float score = 0.9f,
                                       Device device = Device::cpu()) {
  auto k = std::make_shared<size_t>(0);
  return CallableEvalModel(
      [&batches, nc, score, k, device](const Tensor& input) {
        const data::Batch& b = batches[(*k)++ % batches.size()];
        REQUIRE(input.dim(0) == b.batch_size);
        REQUIRE(input.dim(1) == b.height);
        REQUIRE(input.dim(2) == b.width);
        DetectOutput out;
        out.decoded = decoded_from_targets(b, nc, score, 32).to(device);
        return out;
      },
      device);
}

}  // namespace ye::yolo::test

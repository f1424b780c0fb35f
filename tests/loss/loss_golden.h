// Test helpers of the detection-loss suites: the golden cases written by tests/parity/gen_loss.py
// (safetensors with F32/F16/I32/U8 tensors, read into f32/int vectors) and a synthetic case generator
// (random logits, anchors of a 3-level grid, random/tiny/border/many target boxes). Header-only: both
// the CPU and the GPU loss suites include it.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kernels/det_loss.h"
#include <Eigen/Core>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ye::test::loss {

struct LossCase {
  std::string name;
  kernels::DetLossShape shape;
  std::vector<float> distri, scores;  // (B, A, 64), (B, A, nc)
  std::vector<float> anchors, strides;  // (A, 2), (A)
  std::vector<float> targets;         // (n, 6)
  int num_targets = 0;
  // Reference outputs (goldens only).
  std::vector<float> items, total, grad_distri, grad_scores, target_norm;
  std::vector<int32_t> fg_mask, target_gt_idx;
};

// Anchors (x + 0.5, y + 0.5) per level and their strides for strides 8, 16, 32 (row-major per level).
inline void make_anchors(int img_h, int img_w, std::vector<float>& anchors, std::vector<float>& strides) {
  anchors.clear();
  strides.clear();
  for (int s : {8, 16, 32}) {
    for (int y = 0; y < img_h / s; ++y) {
      for (int x = 0; x < img_w / s; ++x) {
        anchors.push_back(float(x) + 0.5f);
        anchors.push_back(float(y) + 0.5f);
        strides.push_back(float(s));
      }
    }
  }
}

namespace golden_detail {

struct RawFile {
  nlohmann::json header;
  std::vector<char> data;
};

inline RawFile read_raw(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open golden " + path);
  uint64_t n = 0;
  f.read(reinterpret_cast<char*>(&n), 8);
  std::string h(n, ' ');
  f.read(h.data(), std::streamsize(n));
  RawFile r;
  r.header = nlohmann::json::parse(h);
  r.data.assign(std::istreambuf_iterator<char>(f), {});
  return r;
}

template <class Out>
inline std::vector<Out> tensor(const RawFile& r, const std::string& name) {
  const auto& e = r.header.at(name);
  const std::string dt = e.at("dtype");
  const size_t begin = e.at("data_offsets")[0], end = e.at("data_offsets")[1];
  const char* p = r.data.data() + begin;
  std::vector<Out> out;
  auto push_all = [&](auto tag, size_t width) {
    using T = decltype(tag);
    for (size_t i = begin; i < end; i += width, p += width) {
      T v;
      std::memcpy(&v, p, width);
      if constexpr (std::is_same_v<T, Eigen::half>) out.push_back(Out(float(v)));
      else out.push_back(Out(v));
    }
  };
  if (dt == "F32") push_all(float{}, 4);
  else if (dt == "F16") push_all(Eigen::half{}, 2);
  else if (dt == "I32") push_all(int32_t{}, 4);
  else if (dt == "U8") push_all(uint8_t{}, 1);
  else throw std::runtime_error("golden tensor " + name + " has unsupported dtype " + dt);
  return out;
}

}  // namespace golden_detail

// Reads tests/parity/goldens/loss/<name>.safetensors; max_boxes = the most boxes of any image.
inline LossCase load_golden(const std::string& name) {
  const golden_detail::RawFile r = golden_detail::read_raw(std::string(YE_SOURCE_DIR) +
                                                           "/tests/parity/goldens/loss/" + name + ".safetensors");
  const auto& meta = r.header.at("__metadata__");
  LossCase c;
  c.name = name;
  c.shape.batch = std::stoi(meta.at("batch").get<std::string>());
  c.shape.classes = std::stoi(meta.at("classes").get<std::string>());
  c.shape.img_h = std::stoi(meta.at("img_h").get<std::string>());
  c.shape.img_w = std::stoi(meta.at("img_w").get<std::string>());
  c.shape.anchors = std::stoi(meta.at("anchors").get<std::string>());
  make_anchors(c.shape.img_h, c.shape.img_w, c.anchors, c.strides);
  c.distri = golden_detail::tensor<float>(r, "pred_distri");
  c.scores = golden_detail::tensor<float>(r, "pred_scores");
  c.targets = golden_detail::tensor<float>(r, "targets");
  c.num_targets = int(c.targets.size() / kernels::kDetTargetCols);
  std::vector<int> counts(c.shape.batch, 0);
  for (int i = 0; i < c.num_targets; ++i) counts[int(c.targets[i * 6])]++;
  c.shape.max_boxes = *std::max_element(counts.begin(), counts.end());
  c.items = golden_detail::tensor<float>(r, "loss_items");
  c.total = golden_detail::tensor<float>(r, "total");
  c.grad_distri = golden_detail::tensor<float>(r, "grad_distri");
  c.grad_scores = golden_detail::tensor<float>(r, "grad_scores");
  c.target_norm = golden_detail::tensor<float>(r, "target_norm");
  c.fg_mask = golden_detail::tensor<int32_t>(r, "fg_mask");
  c.target_gt_idx = golden_detail::tensor<int32_t>(r, "target_gt_idx");
  return c;
}

// A random case: logits like the goldens', boxes of random size (1 in 8 tiny, some on the borders). Image b
// gets counts[b] boxes when counts is given, else image 0 gets max_per_image and the others a uniform
// count in [0, max_per_image]. max_boxes = the largest count.
inline LossCase random_case(uint64_t seed, int batch, int img_h, int img_w, int classes, int max_per_image,
                            const std::vector<int>* counts = nullptr) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> uni(0.0f, 1.0f);
  LossCase c;
  c.name = "random";
  make_anchors(img_h, img_w, c.anchors, c.strides);
  const int A = int(c.strides.size());
  c.shape = {batch, A, classes, 0, img_h, img_w};
  c.distri.resize(size_t(batch) * A * 64);
  for (size_t i = 0; i < c.distri.size() / 16; ++i) {
    const float slope = 0.9f * uni(rng);
    for (int j = 0; j < 16; ++j) c.distri[i * 16 + j] = 1.5f * normal(rng) - slope * float(j);
  }
  c.scores.resize(size_t(batch) * A * classes);
  for (auto& v : c.scores) v = 2.0f * normal(rng) - 1.0f;
  int most = 0;
  for (int b = 0; b < batch; ++b) {
    const int n = counts ? (*counts)[b] : b == 0 ? max_per_image : int(rng() % uint64_t(max_per_image + 1));
    most = std::max(most, n);
    for (int i = 0; i < n; ++i) {
      const int kind = int(rng() % 8);
      float w = kind == 0 ? 2.0f + 4.0f * uni(rng) : 6.0f + (0.6f * img_w - 6.0f) * uni(rng) * uni(rng);
      float h = kind == 0 ? 2.0f + 4.0f * uni(rng) : 6.0f + (0.6f * img_h - 6.0f) * uni(rng) * uni(rng);
      float x1 = (img_w - w) * uni(rng), y1 = (img_h - h) * uni(rng);
      if (kind == 1) x1 = 0.0f;
      if (kind == 2) y1 = float(img_h) - h;
      const float row[6] = {float(b), float(rng() % uint64_t(classes)), (x1 + w / 2) / img_w, (y1 + h / 2) / img_h,
                            w / img_w, h / img_h};
      c.targets.insert(c.targets.end(), row, row + 6);
    }
  }
  c.num_targets = int(c.targets.size() / 6);
  c.shape.max_boxes = most;
  return c;
}

}  // namespace ye::test::loss

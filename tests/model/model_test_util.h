// Helpers of the model tests: parity sets written by tests/parity/gen_models.py (weights + the
// reference's eval / train outputs; conv weights of the s models from the formula-v1 generator), the
// model loaded with a set's weights, and the parity check (normwise relative error per tensor).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "common/harness.h"
#include "engine/io/safetensors.h"
#include "engine/nn_ops.h"
#include "yolo/model/detection_model.h"

namespace ye::test {

inline std::string golden_dir() { return std::string(YE_SOURCE_DIR) + "/tests/parity/goldens/models"; }
inline std::string golden(const std::string& file) { return golden_dir() + "/" + file; }

inline Tensor golden_tensor(const io::SafeTensorsFile& f, const std::string& name) {
  const io::SafeTensor& s = f.at(name);
  Tensor t = Tensor::from_blob_copy(s.bytes.data(), Shape::from(s.shape.begin(), s.shape.end()), s.dtype, Device::cpu());
  return ops::cast(t, DType::f32);
}

inline Tensor nchw_to_nhwc(const Tensor& t) { return ops::permute(t, {0, 2, 3, 1}); }

// formula-v1 (tests/parity/gen_models.py formula_weight): element i of conv weight `name` (OIHW) is
// m * 2^-(10+k), m = (splitmix64(fnv1a64(name) + i) >> 40) mod 2049 - 1024, 4^k the first power >= fan_in.
inline std::vector<float> formula_weight(const std::string& name, const std::vector<int64_t>& shape) {
  uint64_t key = 0xCBF29CE484222325ull;
  for (unsigned char c : name) key = (key ^ c) * 0x100000001B3ull;
  int64_t n = 1, fan_in = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    n *= shape[d];
    if (d > 0) fan_in *= shape[d];
  }
  int k = 0;
  while ((int64_t(1) << (2 * k)) < fan_in) ++k;
  std::vector<float> w(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    uint64_t z = key + uint64_t(i) + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    int64_t m = int64_t((z >> 40) % 2049) - 1024;
    w[size_t(i)] = float(std::ldexp(double(m), -(10 + k)));
  }
  return w;
}

// One parity set: <dir>/<model>_nc<nc>_io.safetensors with <model>_nc<nc>_weights.safetensors (every
// weight) or <model>_nc<nc>_stored.safetensors (all but the formula-v1 conv weights).
struct ParitySet {
  std::string model;
  int nc = 80;
  std::string dir = golden_dir();
  std::string file(const std::string& kind) const {
    return dir + "/" + model + "_nc" + std::to_string(nc) + "_" + kind + ".safetensors";
  }
};

// The set's weights, completed with formula-v1 tensors for the 4-D weights a _stored file leaves out.
inline io::SafeTensorsFile parity_weights(const ParitySet& set, const yolo::DetectionModel& model) {
  if (std::filesystem::exists(set.file("weights"))) return io::read_safetensors(set.file("weights"));
  io::SafeTensorsFile f = io::read_safetensors(set.file("stored"));
  REQUIRE(f.metadata.count("generated"));
  REQUIRE(f.metadata.at("generated") == "formula-v1");
  for (const io::SafeTensor& t : model.state_dict()) {
    if (f.find(t.name) || t.shape.size() != 4 || t.name.find(".dfl.") != std::string::npos) continue;
    std::vector<float> w = formula_weight(t.name, t.shape);
    io::SafeTensor g{t.name, DType::f32, t.shape, {}};
    g.bytes.resize(w.size() * sizeof(float));
    std::memcpy(g.bytes.data(), w.data(), g.bytes.size());
    f.tensors.push_back(std::move(g));
  }
  return f;
}

// The set's model on `device` in eval mode; every tensor but num_batches_tracked must load.
inline std::unique_ptr<yolo::DetectionModel> parity_model(const ParitySet& set, Device device) {
  auto m = std::make_unique<yolo::DetectionModel>(yolo::load_model_spec(set.model, set.nc), device, 1);
  yolo::LoadReport r = m->load_state_dict(parity_weights(set, *m), false);
  REQUIRE(r.mismatched.empty());
  for (const auto& miss : r.missing) REQUIRE(miss.find("num_batches_tracked") != std::string::npos);
  REQUIRE(r.unexpected.empty());
  m->set_training(false);
  return m;
}

// yolov8n / yolo11n at nc=3 with the committed golden weights, eval mode.
inline std::unique_ptr<yolo::DetectionModel> golden_model(const std::string& name, Device device) {
  return parity_model({name, 3}, device);
}

// Normwise relative error max|a - r| / max|r| (infinite when a holds NaN or the sizes differ).
inline double normwise_error(const std::vector<float>& a, const std::vector<float>& r) {
  if (a.size() != r.size()) return INFINITY;
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) return INFINITY;
    num = std::max(num, std::fabs(double(a[i]) - double(r[i])));
    den = std::max(den, std::fabs(double(r[i])));
  }
  return den > 0 ? num / den : num;
}

inline void check_normwise(const Tensor& actual, const Tensor& ref, double tol, const std::string& what) {
  REQUIRE(actual.shape() == ref.shape());
  double e = normwise_error(ops::cast(actual, DType::f32).to(Device::cpu()).to_vector(), ref.to_vector());
  INFO(what, ": normwise relative error ", e, " (tolerance ", tol, ")");
  if (std::getenv("YE_PARITY_REPORT")) MESSAGE(what, ": normwise relative error ", e, " (tolerance ", tol, ")");
  CHECK(e <= tol);
}

// Tolerances of one comparison. Normwise relative (per tensor): the decoded boxes (rows 0..3 of the
// eval output, pixels) and the raw heads, whose box (DFL, 64 channels) and class-logit channels are
// compared separately. Absolute: the decoded scores (sigmoid of the class logits; the reference's own
// f32 scores differ from its f64 evaluation by up to 1.2e-4 on the live yolo11 sets).
struct ParityTolerance {
  double boxes = 1e-4, heads = 1e-4, train_heads = 1e-4, scores_abs = 5e-4;
  bool train = true;  // also compare the train-mode heads and layer 0's BN statistics
};

inline void check_head(const Tensor& actual, const Tensor& ref_nhwc, double tol, const std::string& what) {
  const int64_t c = ref_nhwc.shape()[3];
  check_normwise(ops::narrow(actual, 3, 0, 64), ops::narrow(ref_nhwc, 3, 0, 64), tol, what + " box channels");
  check_normwise(ops::narrow(actual, 3, 64, c - 64), ops::narrow(ref_nhwc, 3, 64, c - 64), tol, what + " class channels");
}

// Runs `model` (on any device; input cast to `dtype`) on the set's input and checks the reference's
// eval output, eval heads and (tol.train) train heads and layer 0's BN statistics after that forward.
inline void check_parity(yolo::DetectionModel& model, const ParitySet& set, DType dtype, const ParityTolerance& tol) {
  auto io = io::read_safetensors(set.file("io"));
  const std::string what = set.model + " nc" + std::to_string(set.nc) + " " + std::string(dtype_name(dtype));
  Tensor input = ops::cast(nchw_to_nhwc(golden_tensor(io, "input")), dtype).to(model.device());
  NoGradGuard ng;
  model.set_training(false);
  yolo::DetectOutput eval = model.forward(input);
  Tensor ref = golden_tensor(io, "eval_pred"), got = ops::cast(eval.decoded, DType::f32).to(Device::cpu());
  const int64_t rows = ref.shape()[1];
  check_normwise(ops::narrow(got, 1, 0, 4), ops::narrow(ref, 1, 0, 4), tol.boxes, what + " eval boxes");
  CloseResult scores = compare(ops::narrow(got, 1, 4, rows - 4), ops::narrow(ref, 1, 4, rows - 4), tol.scores_abs, 0);
  INFO(what, " eval scores: ", scores.summary());
  if (std::getenv("YE_PARITY_REPORT")) MESSAGE(what, " eval scores: ", scores.summary());
  CHECK(scores.ok);
  for (int l = 0; l < 3; ++l)
    check_head(ops::cast(eval.feats[size_t(l)], DType::f32).to(Device::cpu()),
               nchw_to_nhwc(golden_tensor(io, "eval_head_" + std::to_string(l))), tol.heads,
               what + " eval head " + std::to_string(l));
  if (!tol.train) return;
  model.set_training(true);
  yolo::DetectOutput train = model.forward(input);
  model.set_training(false);
  for (int l = 0; l < 3; ++l)
    check_head(ops::cast(train.feats[size_t(l)], DType::f32).to(Device::cpu()),
               nchw_to_nhwc(golden_tensor(io, "train_head_" + std::to_string(l))), tol.train_heads,
               what + " train head " + std::to_string(l));
  for (const io::SafeTensor& t : model.state_dict()) {
    if (t.name != "model.0.bn.running_mean" && t.name != "model.0.bn.running_var") continue;
    std::vector<float> v((const float*)t.bytes.data(), (const float*)t.bytes.data() + t.numel());
    double e = normwise_error(v, golden_tensor(io, "train_" + t.name).to_vector());
    INFO(what, " ", t.name, " after the train forward: normwise relative error ", e);
    CHECK(e <= 1e-5);
  }
}

}  // namespace ye::test

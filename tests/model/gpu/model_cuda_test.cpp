// The whole model on CUDA against the reference and the CPU: eval outputs of the committed parity sets
// (yolov8n / yolo11n at nc=3, yolov8s / yolo11s at nc=80) in f32 (normwise 1e-4, TF32 off) with the
// train-mode heads and BN statistics, and in f16 within stated tolerances; an f32 training step's loss
// and parameter gradients (the arena), and f16 forward + backward, on CUDA vs CPU.
#include <cmath>

#include "common/harness.h"
#include "model/model_test_util.h"
#include "yolo/loss/detection_loss.h"

using namespace ye;

namespace {
// f16 tolerances: about 3x the reference's own f16 error (torch f16 vs its f64 evaluation) on these
// sets: yolov8n/s boxes 2.3e-3/5.2e-3, heads <= 1.7e-2/1.9e-2, scores 1e-4/2e-5 absolute; yolo11n/s
// (attention amplifies rounding) boxes 1.3e-2/1.7e-2, heads <= 3.8e-2/1.9e-2, scores 3.1e-2/1.8e-2.
test::ParityTolerance f16_tolerance(const std::string& name) {
  test::ParityTolerance t;
  const bool attention = name.rfind("yolo11", 0) == 0;
  t.boxes = attention ? 4e-2 : 1.5e-2;
  t.heads = attention ? 1e-1 : 5e-2;
  t.scores_abs = attention ? 8e-2 : 2e-3;
  t.train = false;
  return t;
}

void eval_matches(const test::ParitySet& set) {
  // A fresh model for f16: the f32 check's train-mode forward moved the BN running statistics.
  test::check_parity(*test::parity_model(set, Device::cuda(0)), set, DType::f32, test::ParityTolerance{});
  test::check_parity(*test::parity_model(set, Device::cuda(0)), set, DType::f16, f16_tolerance(set.model));
}

// Whole-arena relative L2 error of the gradients: summation orders differ between cuDNN and the CPU GEMM.
double arena_grad_error(yolo::DetectionModel& gpu, yolo::DetectionModel& cpu) {
  std::vector<float> g = gpu.parameters().grads().to_vector(), c = cpu.parameters().grads().to_vector();
  double num = 0, den = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    num += (double(g[i]) - c[i]) * (double(g[i]) - c[i]);
    den += double(c[i]) * c[i];
  }
  return std::sqrt(num / den);
}

void train_step_matches(const std::string& name, DType dtype, double atol, double rtol) {
  auto cpu = test::golden_model(name, Device::cpu());
  auto gpu = test::golden_model(name, Device::cuda(0));
  cpu->set_training(true);
  gpu->set_training(true);
  const uint64_t seed = test::fresh_seed();
  INFO(name, " ", dtype_name(dtype), " input seed ", seed);
  const int64_t h = 96, w = 128;
  Tensor x = test::random_uniform({2, h, w, 3}, seed, 0, 1);
  Tensor targets = Tensor::from_vector({0, 1, 0.5f, 0.5f, 0.3f, 0.4f, 1, 2, 0.25f, 0.6f, 0.2f, 0.3f, 1, 0, 0.7f, 0.3f, 0.1f, 0.1f},
                                       {3, 6});
  yolo::DetectionLoss lc(3), lg(3);
  auto rc = lc(cpu->forward(x).feats, targets, int(h), int(w));
  auto rg = lg(gpu->forward(ops::cast(x, dtype).to(Device::cuda(0))).feats, targets, int(h), int(w));
  rc.total.backward();
  rg.total.backward();
  test::check_close(rg.components.to_vector(), rc.components.to_vector(), atol, rtol, name + " loss components");
  const double e = arena_grad_error(*gpu, *cpu);
  INFO(name, " gradient relative L2 error ", e);
  CHECK(e < rtol);
}

// f16 forward + backward against the f32 CPU through a smooth surrogate loss (the heads times fixed
// random weights, summed). Through the detection loss the comparison is meaningless: its task-aligned
// assigner is discontinuous, f16 rounding flips a few assignments, and the whole-arena gradient moved
// by 0.03 to 0.35 between inputs (seen on an H200); the loss kernel's f16 path has its own tests.
// Through the surrogate the error is stable: yolov8n 0.068-0.097, yolo11n 0.126-0.140 (3 runs, H200;
// f16 activations and gradients through the BN backward's cancellation); a wrong kernel gives ~1.
void f16_backward_matches(const std::string& name, double rtol) {
  auto cpu = test::golden_model(name, Device::cpu());
  auto gpu = test::golden_model(name, Device::cuda(0));
  cpu->set_training(true);
  gpu->set_training(true);
  const uint64_t seed = test::fresh_seed();
  INFO(name, " f16 input seed ", seed);
  Tensor x = test::random_uniform({4, 160, 160, 3}, seed, 0, 1);
  std::vector<Tensor> fc = cpu->forward(x).feats, fg = gpu->forward(ops::cast(x, DType::f16).to(Device::cuda(0))).feats;
  Tensor lc, lg;
  for (size_t l = 0; l < fc.size(); ++l) {
    Tensor wl = test::random_uniform(fc[l].shape(), seed + 1 + l);
    Tensor tc = ops::sum(ops::mul(fc[l], wl)), tg = ops::sum(ops::mul(ops::cast(fg[l], DType::f32), wl.to(Device::cuda(0))));
    lc = lc.defined() ? ops::add(lc, tc) : tc;
    lg = lg.defined() ? ops::add(lg, tg) : tg;
  }
  lc.backward();
  lg.backward();
  const double e = arena_grad_error(*gpu, *cpu);
  MESSAGE(name, " f16 backward: whole-arena gradient relative L2 error ", e);
  CHECK(e < rtol);
}
}  // namespace

TEST_CASE("yolov8n and yolo11n forward on CUDA match the reference (f32 and f16)") {
  eval_matches({"yolov8n", 3});
  eval_matches({"yolo11n", 3});
}

TEST_CASE("yolov8s and yolo11s forward on CUDA match the reference (f32 and f16)") {
  eval_matches({"yolov8s", 80});
  eval_matches({"yolo11s", 80});
}

TEST_CASE("a training step's loss and gradients on CUDA match the CPU (f32)") {
  train_step_matches("yolov8n", DType::f32, 1e-4, 1e-3);
  train_step_matches("yolo11n", DType::f32, 1e-4, 1e-3);
}

TEST_CASE("f16 forward and backward on CUDA stay close to the f32 CPU (smooth surrogate loss)") {
  f16_backward_matches("yolov8n", 0.15);
  f16_backward_matches("yolo11n", 0.2);
}

// GPU suite of the detection loss: CUDA against the reference goldens and against the CPU twin on fresh
// random inputs of realistic size (batch 16, 8400 anchors, 80 classes, up to 100 boxes per image) with
// f32, f16 and bf16 logits; empty batch, hundreds of boxes, device-side gradient scale, box overflow.
// Outputs are poisoned with NaN before each run so an element the kernels forget to write fails.
#include <doctest/doctest.h>

#ifdef YE_WITH_CUDA
#include <cuda_runtime.h>

#include <Eigen/Core>
#include <cmath>
#include <cstring>

#include "common/harness.h"
#include "kernels/cpu/det_loss_internal.h"
#include "kernels/det_loss.h"
#include "loss/loss_golden.h"

namespace {

using namespace ye::kernels;
using ye::DType;
using ye::test::loss::LossCase;

#define CUDA_OK(call) REQUIRE((call) == cudaSuccess)

struct Outputs {
  float loss[4];
  std::vector<float> gd, gs, norm;  // gradients converted to f32
  std::vector<int32_t> assigned, counts;
};

// Rounds f32 values to the logits' dtype and back (what the CPU twin sees for low-precision inputs).
std::vector<float> rounded(const std::vector<float>& v, DType dt) {
  std::vector<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    r[i] = dt == DType::f16 ? float(Eigen::half(v[i])) : dt == DType::bf16 ? float(Eigen::bfloat16(v[i])) : v[i];
  return r;
}

std::vector<uint16_t> to_bits16(const std::vector<float>& v, DType dt) {
  std::vector<uint16_t> r(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    r[i] = dt == DType::f16 ? Eigen::numext::bit_cast<uint16_t>(Eigen::half(v[i]))
                            : Eigen::numext::bit_cast<uint16_t>(Eigen::bfloat16(v[i]));
  return r;
}

std::vector<float> from_bits16(const std::vector<uint16_t>& v, DType dt) {
  std::vector<float> r(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    r[i] = dt == DType::f16 ? float(Eigen::numext::bit_cast<Eigen::half>(v[i]))
                            : float(Eigen::numext::bit_cast<Eigen::bfloat16>(v[i]));
  return r;
}

template <class T>
T* upload(const std::vector<T>& v) {
  T* d = nullptr;
  CUDA_OK(cudaMalloc(&d, std::max<size_t>(v.size(), 1) * sizeof(T)));
  if (!v.empty()) CUDA_OK(cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return d;
}

void* upload_logits(const std::vector<float>& v, DType dt) {
  if (dt == DType::f32) return upload(v);
  return upload(to_bits16(v, dt));
}

std::vector<float> download_logits(const void* d, size_t n, DType dt) {
  if (dt == DType::f32) {
    std::vector<float> r(n);
    CUDA_OK(cudaMemcpy(r.data(), d, n * 4, cudaMemcpyDeviceToHost));
    return r;
  }
  std::vector<uint16_t> r(n);
  CUDA_OK(cudaMemcpy(r.data(), d, n * 2, cudaMemcpyDeviceToHost));
  return from_bits16(r, dt);
}

Outputs run_cuda(const LossCase& c, DType dt, const DetLossShape& s, float grad_scale = 1.0f) {
  const size_t nd = size_t(s.batch) * s.anchors * 64, ns = size_t(s.batch) * s.anchors * s.classes;
  const size_t ba = size_t(s.batch) * s.anchors, esz = ye::dtype_size(dt);
  DetLossInputs in;
  in.pred_distri = upload_logits(c.distri, dt);
  in.pred_scores = upload_logits(c.scores, dt);
  in.dtype = dt;
  in.anchors = upload(c.anchors);
  in.strides = upload(c.strides);
  in.targets = upload(c.targets);
  in.num_targets = c.num_targets;
  in.grad_scale = upload(std::vector<float>{grad_scale});
  DetLossOutputs out;
  void *gd, *gs;
  CUDA_OK(cudaMalloc(&out.loss, 4 * sizeof(float)));
  CUDA_OK(cudaMalloc(&gd, nd * esz));
  CUDA_OK(cudaMalloc(&gs, ns * esz));
  CUDA_OK(cudaMalloc(&out.assigned_gt, ba * sizeof(int32_t)));
  CUDA_OK(cudaMalloc(&out.target_norm, ba * sizeof(float)));
  CUDA_OK(cudaMalloc(&out.box_counts, s.batch * sizeof(int32_t)));
  out.grad_distri = gd;
  out.grad_scores = gs;
  // Poison: 0xff bytes are NaN in f32/f16/bf16; 0x7f bytes are an impossible GT row.
  CUDA_OK(cudaMemset(out.loss, 0xff, 4 * sizeof(float)));
  CUDA_OK(cudaMemset(gd, 0xff, nd * esz));
  CUDA_OK(cudaMemset(gs, 0xff, ns * esz));
  CUDA_OK(cudaMemset(out.assigned_gt, 0x7f, ba * sizeof(int32_t)));
  CUDA_OK(cudaMemset(out.target_norm, 0xff, ba * sizeof(float)));
  CUDA_OK(cudaMemset(out.box_counts, 0x7f, s.batch * sizeof(int32_t)));
  const size_t ws_bytes = cuda::det_loss_workspace_bytes(s);
  void* ws = nullptr;
  CUDA_OK(cudaMalloc(&ws, ws_bytes));
  CUDA_OK(cudaMemset(ws, 0xff, ws_bytes));  // stale scratch must not matter
  cudaStream_t stream;
  CUDA_OK(cudaStreamCreate(&stream));
  cuda::det_loss(s, {}, in, out, ws, ws_bytes, stream);
  CUDA_OK(cudaStreamSynchronize(stream));
  CUDA_OK(cudaGetLastError());
  Outputs r;
  CUDA_OK(cudaMemcpy(r.loss, out.loss, 4 * sizeof(float), cudaMemcpyDeviceToHost));
  r.gd = download_logits(gd, nd, dt);
  r.gs = download_logits(gs, ns, dt);
  r.assigned.resize(ba);
  r.norm.resize(ba);
  r.counts.resize(s.batch);
  CUDA_OK(cudaMemcpy(r.assigned.data(), out.assigned_gt, ba * 4, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(r.norm.data(), out.target_norm, ba * 4, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(r.counts.data(), out.box_counts, s.batch * 4, cudaMemcpyDeviceToHost));
  const void* buffers[] = {in.pred_distri, in.pred_scores, in.anchors, in.strides, in.targets, in.grad_scale,
                           out.loss, gd, gs, out.assigned_gt, out.target_norm, out.box_counts, ws};
  for (const void* p : buffers) CUDA_OK(cudaFree(const_cast<void*>(p)));
  CUDA_OK(cudaStreamDestroy(stream));
  return r;
}

Outputs run_cpu(const LossCase& c, float grad_scale = 1.0f) {
  const auto& s = c.shape;
  Outputs r;
  r.gd.assign(size_t(s.batch) * s.anchors * 64, NAN);
  r.gs.assign(size_t(s.batch) * s.anchors * s.classes, NAN);
  r.norm.assign(size_t(s.batch) * s.anchors, NAN);
  r.assigned.assign(size_t(s.batch) * s.anchors, -7);
  r.counts.assign(s.batch, -7);
  DetLossInputs in;
  in.pred_distri = c.distri.data();
  in.pred_scores = c.scores.data();
  in.anchors = c.anchors.data();
  in.strides = c.strides.data();
  in.targets = c.targets.data();
  in.num_targets = c.num_targets;
  in.grad_scale = &grad_scale;
  DetLossOutputs out;
  out.loss = r.loss;
  out.grad_distri = r.gd.data();
  out.grad_scores = r.gs.data();
  out.assigned_gt = r.assigned.data();
  out.target_norm = r.norm.data();
  out.box_counts = r.counts.data();
  cpu::det_loss(s, {}, in, out);
  return r;
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::abs(x)));
  return m;
}

// Elements outside atol + rtol |ref| (NaN counts as outside).
int64_t count_bad(const std::vector<float>& a, const std::vector<float>& ref, double atol, double rtol) {
  REQUIRE(a.size() == ref.size());
  int64_t bad = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::abs(double(a[i]) - double(ref[i]));
    bad += !(d <= atol + rtol * std::abs(double(ref[i])));
  }
  return bad;
}

struct Tolerance {
  double loss_rel, grad_atol_of_max, grad_rtol;
};
Tolerance tolerance_for(DType dt) {
  if (dt == DType::f16) return {1e-4, 2e-4, 2e-3};
  if (dt == DType::bf16) return {1e-4, 2e-3, 1.6e-2};
  return {1e-4, 2e-5, 1e-4};
}

// CUDA (dt) vs the CPU twin on the dt-rounded inputs. The assignments must agree except on a handful
// of anchors (exact ties between positive metrics, a transcendental rounding the other way); the losses
// and gradients are then compared with the CPU loss evaluated on CUDA's own assignment, so a differing
// anchor cannot hide or excuse an error of the loss kernels.
void compare_to_cpu(LossCase c, DType dt) {
  c.distri = rounded(c.distri, dt);
  c.scores = rounded(c.scores, dt);
  const auto& s = c.shape;
  const Outputs ref = run_cpu(c);
  const Outputs got = run_cuda(c, dt, s);
  const Tolerance t = tolerance_for(dt);
  INFO("dtype ", ye::dtype_name(dt), " B=", s.batch, " A=", s.anchors, " nc=", s.classes, " M=", s.max_boxes,
       " targets=", c.num_targets);
  int64_t assign_diff = 0, fg = 0;
  for (size_t i = 0; i < ref.assigned.size(); ++i) {
    assign_diff += ref.assigned[i] != got.assigned[i];
    fg += ref.assigned[i] >= 0;
  }
  MESSAGE("fg anchors ", fg, ", assignment differences ", assign_diff);
  CHECK(assign_diff <= 2);
  CHECK(got.counts == ref.counts);
  // norm = t * max u / max t with t = s^0.5 u^6: the 6th power amplifies f32 CIoU rounding (1e-5 -> 6e-5).
  CHECK(count_bad(got.norm, ref.norm, 1e-6, 1e-4) <= 20 * assign_diff);
  for (int i = 0; i < 4; ++i)
    CHECK(double(got.loss[i]) == doctest::Approx(ref.loss[i]).epsilon(assign_diff ? 1e-2 : t.loss_rel));

  cpu::DetAssignment asg;
  asg.gt.assign(size_t(s.batch) * s.max_boxes * 5, 0.0f);
  asg.counts.assign(s.batch, 0);
  cpu::det_targets_preprocess(c.targets.data(), c.num_targets, s, asg.gt.data(), asg.counts.data());
  asg.assigned = got.assigned;
  asg.norm = got.norm;
  for (float v : got.norm) asg.target_scores_sum += v;
  std::vector<double> gd(got.gd.size()), gs(got.gs.size());
  const cpu::DetLossValues v = cpu::det_loss_given_assignment<float>(
      s, {}, c.distri.data(), c.scores.data(), c.anchors.data(), c.strides.data(), asg, 1.0, gd.data(), gs.data());
  const double want[4] = {v.box, v.cls, v.dfl, v.total};
  for (int i = 0; i < 4; ++i) CHECK(double(got.loss[i]) == doctest::Approx(want[i]).epsilon(t.loss_rel));
  const std::vector<float> ref_gd(gd.begin(), gd.end()), ref_gs(gs.begin(), gs.end());
  CHECK(count_bad(got.gs, ref_gs, t.grad_atol_of_max * max_abs(ref_gs), t.grad_rtol) == 0);
  CHECK(count_bad(got.gd, ref_gd, t.grad_atol_of_max * max_abs(ref_gd), t.grad_rtol) == 0);
}

TEST_CASE("det_loss cuda: reference goldens (f32)") {
  for (const char* name : {"basic", "conflict", "many", "empty", "large"}) {
    const LossCase c = ye::test::loss::load_golden(name);
    INFO("golden case ", name);
    const Outputs r = run_cuda(c, DType::f32, c.shape);
    int fg_mismatch = 0, idx_mismatch = 0;
    for (size_t i = 0; i < r.assigned.size(); ++i) {
      fg_mismatch += (r.assigned[i] >= 0) != (c.fg_mask[i] != 0);
      if (c.fg_mask[i]) idx_mismatch += r.assigned[i] != c.target_gt_idx[i];
    }
    CHECK(fg_mismatch == 0);
    CHECK(idx_mismatch == 0);
    CHECK(count_bad(r.norm, c.target_norm, 1e-6, 1e-5) == 0);
    for (int i = 0; i < 3; ++i) CHECK(double(r.loss[i]) == doctest::Approx(c.items[i]).epsilon(2e-5));
    CHECK(double(r.loss[3]) == doctest::Approx(c.total[0]).epsilon(2e-5));
    CHECK(count_bad(r.gs, c.grad_scores, 2e-5 * max_abs(c.grad_scores), 1e-4) == 0);
    CHECK(count_bad(r.gd, c.grad_distri, 2e-5 * max_abs(c.grad_distri), 1e-4) == 0);
  }
}

TEST_CASE("det_loss cuda: matches CPU at realistic size (B=16, 640x640, nc=80, <=100 boxes)") {
  for (DType dt : {DType::f32, DType::f16, DType::bf16}) {
    const uint64_t seed = ye::test::fresh_seed();
    INFO("seed ", seed);
    compare_to_cpu(ye::test::loss::random_case(seed, 16, 640, 640, 80, 100), dt);
  }
}

TEST_CASE("det_loss cuda: empty batch, hundreds of boxes, non-square input") {
  const uint64_t seed = ye::test::fresh_seed();
  INFO("seed ", seed);
  compare_to_cpu(ye::test::loss::random_case(seed, 3, 320, 320, 20, 0), DType::f32);
  compare_to_cpu(ye::test::loss::random_case(seed + 1, 2, 320, 320, 80, 400), DType::f32);
  compare_to_cpu(ye::test::loss::random_case(seed + 2, 4, 384, 640, 7, 30), DType::f32);
  compare_to_cpu(ye::test::loss::random_case(seed + 3, 4, 96, 160, 5, 12), DType::bf16);  // small-A top-k path
}

TEST_CASE("det_loss cuda: device-side gradient scale") {
  const LossCase c = ye::test::loss::random_case(ye::test::fresh_seed(), 2, 256, 256, 10, 8);
  const Outputs a = run_cuda(c, DType::f32, c.shape, 1.0f);
  const Outputs b = run_cuda(c, DType::f32, c.shape, 4096.0f);
  for (int i = 0; i < 4; ++i) CHECK(a.loss[i] == b.loss[i]);
  std::vector<float> scaled(a.gs.size());
  for (size_t i = 0; i < a.gs.size(); ++i) scaled[i] = a.gs[i] * 4096.0f;
  CHECK(count_bad(b.gs, scaled, 1e-9, 1e-6) == 0);
}

TEST_CASE("det_loss cuda: boxes beyond max_boxes are dropped and counted") {
  LossCase c = ye::test::loss::random_case(ye::test::fresh_seed(), 2, 256, 256, 10, 20);
  DetLossShape s = c.shape;
  s.max_boxes = 5;
  const Outputs r = run_cuda(c, DType::f32, s);
  CHECK(r.counts[0] == 20);
  for (int32_t g : r.assigned) REQUIRE(g < 5);
  // Same as the CPU on the first 5 boxes of each image.
  LossCase kept = c;
  kept.targets.clear();
  std::vector<int> seen(2, 0);
  for (int i = 0; i < c.num_targets; ++i) {
    const int b = int(c.targets[i * 6]);
    if (seen[b]++ < 5) kept.targets.insert(kept.targets.end(), &c.targets[i * 6], &c.targets[i * 6] + 6);
  }
  kept.num_targets = int(kept.targets.size() / 6);
  kept.shape.max_boxes = 5;
  const Outputs ref = run_cpu(kept);
  for (int i = 0; i < 4; ++i) CHECK(double(r.loss[i]) == doctest::Approx(ref.loss[i]).epsilon(1e-4));
}

}  // namespace

#else
TEST_CASE("det_loss cuda: built without CUDA") { MESSAGE("CUDA backend not built; GPU loss tests skipped"); }
#endif

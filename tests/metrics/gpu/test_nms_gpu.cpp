// CUDA NMS vs the CPU twin on fresh random predictions: many images, heavy score ties, clustered boxes,
// multi-label on/off, agnostic, small max_det and max_nms, empty inputs, both layouts, f32/f16/bf16.
// Outputs are poisoned (NaN rows, -1 counts/anchors) before the kernel; kept rows must match bit for bit.
#include <doctest/doctest.h>

#include <Eigen/Core>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "common/harness.h"
#include "kernels/nms.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/nms_cuda.h"
#endif

using namespace ye::kernels;
using ye::DType;

#ifdef YE_WITH_CUDA
namespace {
struct Case {
  NmsShape shape;
  NmsConfig cfg;
  DType dtype;
  bool empty = false;
};

// Random (B, 4+nc, A) f32 predictions: clustered centres, scores quantized to 1/256 (many ties).
std::vector<float> random_preds(const NmsShape& s, uint64_t seed, bool empty, float conf) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  const int C = 4 + s.nc;
  std::vector<float> p(size_t(s.batch) * C * s.anchors);
  for (int b = 0; b < s.batch; ++b)
    for (int a = 0; a < s.anchors; ++a) {
      auto at = [&](int ch) -> float& { return p[(size_t(b) * C + ch) * s.anchors + a]; };
      const bool snap = u(rng) < 0.5f;
      at(0) = snap ? std::round(u(rng) * 10) * 60 + u(rng) * 4 : u(rng) * 640;
      at(1) = snap ? std::round(u(rng) * 8) * 60 + u(rng) * 4 : u(rng) * 480;
      at(2) = 4 + u(rng) * 150;
      at(3) = 4 + u(rng) * 150;
      for (int c = 0; c < s.nc; ++c) {
        float v = std::floor(u(rng) * 256) / 256;
        at(4 + c) = empty ? conf * 0.5f : (u(rng) < 0.6f ? v * 0.2f : v);
      }
    }
  return p;
}

std::vector<uint16_t> to_16(const std::vector<float>& p, DType t) {
  std::vector<uint16_t> h(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (t == DType::f16) {
      Eigen::half v(p[i]);
      std::memcpy(&h[i], &v, 2);
    } else {
      Eigen::bfloat16 v(p[i]);
      std::memcpy(&h[i], &v, 2);
    }
  }
  return h;
}

std::vector<float> transpose_to_anchors_first(const std::vector<float>& p, const NmsShape& s) {
  const int C = 4 + s.nc;
  std::vector<float> t(p.size());
  for (int b = 0; b < s.batch; ++b)
    for (int c = 0; c < C; ++c)
      for (int a = 0; a < s.anchors; ++a)
        t[(size_t(b) * s.anchors + a) * C + c] = p[(size_t(b) * C + c) * s.anchors + a];
  return t;
}

void run_case(const Case& k, uint64_t seed) {
  CAPTURE(seed);
  const NmsShape& s = k.shape;
  const NmsConfig& cfg = k.cfg;
  NmsShape cf = s;
  cf.layout = PredLayout::channels_first;
  std::vector<float> f32 = random_preds(cf, seed, k.empty, cfg.conf_thres);
  if (s.layout == PredLayout::anchors_first) f32 = transpose_to_anchors_first(f32, cf);
  std::vector<uint16_t> h16;
  const void* host = f32.data();
  size_t bytes = f32.size() * 4;
  if (k.dtype != DType::f32) {
    h16 = to_16(f32, k.dtype);
    host = h16.data();
    bytes = h16.size() * 2;
  }
  const size_t rows = size_t(s.batch) * size_t(cfg.max_det);
  std::vector<float> ref(rows * kNmsRow, std::nanf(""));
  std::vector<int32_t> ref_counts(size_t(s.batch), -1), ref_anchor(rows, -1);
  cpu::nms_detect(host, k.dtype, s, cfg, ref.data(), ref_counts.data(), ref_anchor.data());

  void *d_pred = nullptr, *d_ws = nullptr;
  float* d_out = nullptr;
  int32_t *d_counts = nullptr, *d_anchor = nullptr;
  const size_t ws = cuda::nms_workspace_bytes(s, cfg);
  YE_CUDA_CHECK(cudaMalloc(&d_pred, bytes + 1));
  YE_CUDA_CHECK(cudaMalloc(&d_ws, ws + 1));
  YE_CUDA_CHECK(cudaMalloc(&d_out, rows * kNmsRow * 4 + 4));
  YE_CUDA_CHECK(cudaMalloc(&d_counts, size_t(s.batch) * 4 + 4));
  YE_CUDA_CHECK(cudaMalloc(&d_anchor, rows * 4 + 4));
  YE_CUDA_CHECK(cudaMemcpy(d_pred, host, bytes, cudaMemcpyHostToDevice));
  YE_CUDA_CHECK(cudaMemset(d_out, 0xFF, rows * kNmsRow * 4));  // NaN
  YE_CUDA_CHECK(cudaMemset(d_counts, 0xFF, size_t(s.batch) * 4));
  YE_CUDA_CHECK(cudaMemset(d_anchor, 0xFF, rows * 4));
  YE_CUDA_CHECK(cudaMemset(d_ws, 0xFF, ws));
  cuda::nms_detect(d_pred, k.dtype, s, cfg, d_ws, ws, d_out, d_counts, d_anchor, nullptr);
  YE_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<float> got(rows * kNmsRow);
  std::vector<int32_t> counts(size_t(s.batch)), anchor(rows);
  YE_CUDA_CHECK(cudaMemcpy(got.data(), d_out, got.size() * 4, cudaMemcpyDeviceToHost));
  YE_CUDA_CHECK(cudaMemcpy(counts.data(), d_counts, counts.size() * 4, cudaMemcpyDeviceToHost));
  YE_CUDA_CHECK(cudaMemcpy(anchor.data(), d_anchor, anchor.size() * 4, cudaMemcpyDeviceToHost));
  for (void* p : {d_pred, d_ws, static_cast<void*>(d_out), static_cast<void*>(d_counts), static_cast<void*>(d_anchor)})
    YE_CUDA_CHECK(cudaFree(p));

  CHECK(counts == ref_counts);
  int total = 0, mismatched_rows = 0;
  for (int b = 0; b < s.batch; ++b) {
    const int n = std::min(counts[size_t(b)], ref_counts[size_t(b)]);
    total += n;
    for (int r = 0; r < n; ++r) {
      const size_t row = size_t(b) * size_t(cfg.max_det) + size_t(r);
      const bool same = std::memcmp(&got[row * kNmsRow], &ref[row * kNmsRow], kNmsRow * 4) == 0 &&
                        anchor[row] == ref_anchor[row];
      mismatched_rows += !same;
    }
  }
  CHECK(mismatched_rows == 0);
  if (k.empty) CHECK(total == 0);
  else if (s.batch > 0 && s.anchors > 0) CHECK(total > 0);
}
}  // namespace

TEST_CASE("nms cuda vs cpu: random predictions with ties, all options") {
  const NmsShape base{12, 5, 3000, PredLayout::channels_first};
  auto cfg = [](float conf, float iou, bool multi, bool agn, int max_det, int max_nms) {
    NmsConfig c;
    c.conf_thres = conf, c.iou_thres = iou, c.multi_label = multi, c.agnostic = agn, c.max_det = max_det;
    c.max_nms = max_nms;
    return c;
  };
  std::vector<Case> cases = {
      {base, cfg(0.001f, 0.7f, true, false, 300, 30000), DType::f32},   // validation settings
      {base, cfg(0.25f, 0.7f, false, false, 300, 30000), DType::f32},   // predict settings
      {base, cfg(0.05f, 0.5f, true, true, 300, 30000), DType::f32},     // agnostic
      {base, cfg(0.01f, 0.6f, true, false, 17, 30000), DType::f32},     // small max_det
      {base, cfg(0.01f, 0.6f, true, false, 300, 500), DType::f32},      // max_nms truncation with ties
      {base, cfg(0.001f, 0.7f, true, false, 300, 30000), DType::f16},
      {base, cfg(0.001f, 0.7f, true, false, 300, 30000), DType::bf16},
      {{12, 5, 3000, PredLayout::anchors_first}, cfg(0.001f, 0.7f, true, false, 300, 30000), DType::f32},
      {{3, 1, 5000, PredLayout::channels_first}, cfg(0.001f, 0.45f, true, false, 1000, 30000), DType::f32},  // nc 1
      {{40, 3, 200, PredLayout::channels_first}, cfg(0.2f, 0.5f, true, false, 300, 30000), DType::f32},     // many images
      {base, cfg(0.3f, 0.5f, true, false, 300, 30000), DType::f32, true},  // every score under conf
      {{4, 3, 0, PredLayout::channels_first}, cfg(0.3f, 0.5f, true, false, 300, 30000), DType::f32},  // no anchors
      {{2, 80, 8400, PredLayout::channels_first}, cfg(0.001f, 0.7f, true, false, 300, 30000), DType::f16},  // COCO-sized
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    CAPTURE(i);
    run_case(cases[i], ye::test::fresh_seed());
  }
}
#endif

// CPU NMS: parity with the reference's ops.non_max_suppression (goldens: multi-label, single label,
// agnostic, max_det, max_nms, nc=1, empty, f16 input), both input layouts, and hand-built cases with
// known answers (score ties, suppression chains, class offsets, max_det).
#include <doctest/doctest.h>

#include <Eigen/Core>
#include <cstring>

#include "kernels/error.h"
#include "kernels/nms.h"
#include "yolo/metrics/det_metrics.h"
#include "tests/metrics/golden.h"

using namespace ye::kernels;
using ye::DType;
using ye::test::vec;

namespace {
struct NmsOut {
  std::vector<float> rows;
  std::vector<int32_t> counts, anchors;
};

NmsOut run_cpu(const void* preds, DType dt, const NmsShape& s, const NmsConfig& cfg) {
  NmsOut o;
  o.rows.assign(size_t(s.batch) * size_t(cfg.max_det) * kNmsRow, std::nanf(""));
  o.counts.assign(size_t(s.batch), -1);
  o.anchors.assign(size_t(s.batch) * size_t(cfg.max_det), -1);
  cpu::nms_detect(preds, dt, s, cfg, o.rows.data(), o.counts.data(), o.anchors.data());
  return o;
}

std::vector<float> image_rows(const NmsOut& o, int b, int max_det) {
  auto first = o.rows.begin() + long(b) * max_det * kNmsRow;
  return std::vector<float>(first, first + long(o.counts[size_t(b)]) * kNmsRow);
}

// (B, C, A) -> (B, A, C)
std::vector<float> to_anchors_first(const std::vector<float>& p, int B, int C, int A) {
  std::vector<float> t(p.size());
  for (int b = 0; b < B; ++b)
    for (int c = 0; c < C; ++c)
      for (int a = 0; a < A; ++a) t[(size_t(b) * A + a) * C + c] = p[(size_t(b) * C + c) * A + a];
  return t;
}

// One anchor column per box: cx, cy, w, h, scores... laid out as (1, 4+nc, A).
std::vector<float> make_preds(const std::vector<std::vector<float>>& anchors) {
  const int A = int(anchors.size()), C = int(anchors[0].size());
  std::vector<float> p(size_t(C) * A);
  for (int a = 0; a < A; ++a)
    for (int c = 0; c < C; ++c) p[size_t(c) * A + a] = anchors[size_t(a)][size_t(c)];
  return p;
}
}  // namespace

TEST_CASE("nms cpu: parity with the reference's non_max_suppression") {
  const nlohmann::json cases = ye::test::load_metrics_golden("nms_cases.json");
  REQUIRE(cases.size() >= 8);
  for (const auto& c : cases) {
    const std::string name = c["name"];
    CAPTURE(name);
    NmsShape s{c["B"].get<int>(), c["nc"].get<int>(), c["A"].get<int>(), PredLayout::channels_first};
    NmsConfig cfg;
    cfg.conf_thres = c["conf"].get<float>();
    cfg.iou_thres = c["iou"].get<float>();
    cfg.multi_label = c["multi_label"];
    cfg.agnostic = c["agnostic"];
    cfg.max_det = c["max_det"];
    cfg.max_nms = c["max_nms"];
    const auto preds = vec<float>(c["preds"]);
    const bool half = c["dtype"] == "f16";
    std::vector<uint16_t> h(preds.size());
    for (size_t i = 0; i < preds.size(); ++i) {
      Eigen::half v(preds[i]);
      std::memcpy(&h[i], &v, 2);
    }
    const void* src = half ? static_cast<const void*>(h.data()) : static_cast<const void*>(preds.data());
    const NmsOut o = run_cpu(src, half ? DType::f16 : DType::f32, s, cfg);
    int total = 0;
    for (int b = 0; b < s.batch; ++b) {
      const auto want = vec<float>(c["out"][size_t(b)]);
      CHECK(image_rows(o, b, cfg.max_det) == want);
      total += o.counts[size_t(b)];
    }
    if (name == "empty") CHECK(total == 0);
    else CHECK(total > 0);
    if (!half) {  // the anchors-first layout gives the same rows
      const auto t = to_anchors_first(preds, s.batch, 4 + s.nc, s.anchors);
      NmsShape sa = s;
      sa.layout = PredLayout::anchors_first;
      const NmsOut oa = run_cpu(t.data(), DType::f32, sa, cfg);
      CHECK(oa.counts == o.counts);
      for (int b = 0; b < s.batch; ++b) CHECK(image_rows(oa, b, cfg.max_det) == image_rows(o, b, cfg.max_det));
    }
  }
}

TEST_CASE("nms cpu: equal scores keep the lower emission index and suppress the later box") {
  // Anchors 0 and 1: the same box and the same score; anchor 2 elsewhere with the same score.
  const auto p = make_preds({{50, 50, 20, 20, 0.5f, 0.1f}, {50, 50, 20, 20, 0.5f, 0.1f}, {200, 200, 20, 20, 0.5f, 0.1f}});
  NmsConfig cfg;
  cfg.conf_thres = 0.25f;
  const NmsOut o = run_cpu(p.data(), DType::f32, {1, 2, 3, PredLayout::channels_first}, cfg);
  REQUIRE(o.counts[0] == 2);
  CHECK(o.anchors[0] == 0);
  CHECK(o.anchors[1] == 2);
  CHECK(image_rows(o, 0, cfg.max_det) == std::vector<float>{40, 40, 60, 60, 0.5f, 0, 190, 190, 210, 210, 0.5f, 0});
}

TEST_CASE("nms cpu: multi-label keeps one box per class, class offsets stop cross-class suppression") {
  // One box scoring 0.9 (class 0) and 0.6 (class 1); a second overlapping box of class 0 with 0.8.
  const auto p = make_preds({{50, 50, 20, 20, 0.9f, 0.6f}, {52, 50, 20, 20, 0.8f, 0.1f}});
  NmsConfig cfg;
  cfg.multi_label = true;
  cfg.conf_thres = 0.25f;
  const NmsShape s{1, 2, 2, PredLayout::channels_first};
  NmsOut o = run_cpu(p.data(), DType::f32, s, cfg);
  REQUIRE(o.counts[0] == 2);  // (anchor 0, cls 0) 0.9 and (anchor 0, cls 1) 0.6; anchor 1 suppressed (IoU 0.82)
  CHECK(o.rows[4] == 0.9f);
  CHECK(o.rows[5] == 0.f);
  CHECK(o.rows[6 + 4] == 0.6f);
  CHECK(o.rows[6 + 5] == 1.f);
  cfg.agnostic = true;  // now the 0.6 box of class 1 is the same box: suppressed
  o = run_cpu(p.data(), DType::f32, s, cfg);
  CHECK(o.counts[0] == 1);
  cfg.agnostic = false;
  cfg.multi_label = false;  // best class only
  o = run_cpu(p.data(), DType::f32, s, cfg);
  CHECK(o.counts[0] == 1);
  cfg.iou_thres = 0.9f;  // IoU 0.82 no longer suppresses
  o = run_cpu(p.data(), DType::f32, s, cfg);
  CHECK(o.counts[0] == 2);
}

TEST_CASE("nms cpu: greedy chain, strict thresholds, max_det and empty inputs") {
  // IoU(A,B) = IoU(B,C) = 0.6, IoU(A,C) = 1/3: A and C kept, B suppressed.
  const auto p = make_preds({{50, 50, 40, 10, 0.9f}, {60, 50, 40, 10, 0.8f}, {70, 50, 40, 10, 0.7f}});
  NmsConfig cfg;
  cfg.iou_thres = 0.5f;
  const NmsShape s{1, 1, 3, PredLayout::channels_first};
  NmsOut o = run_cpu(p.data(), DType::f32, s, cfg);
  REQUIRE(o.counts[0] == 2);
  CHECK(o.anchors[0] == 0);
  CHECK(o.anchors[1] == 2);
  cfg.iou_thres = 0.6f;  // IoU exactly 24/40 = 0.6 in f32 is not > 0.6: nothing suppressed
  o = run_cpu(p.data(), DType::f32, s, cfg);
  CHECK(o.counts[0] == 3);
  cfg.max_det = 1;
  o = run_cpu(p.data(), DType::f32, s, cfg);
  CHECK(o.counts[0] == 1);
  CHECK(o.anchors[0] == 0);
  cfg.max_det = 300;
  cfg.conf_thres = 0.9f;  // strictly greater: the 0.9 box is not a candidate
  o = run_cpu(p.data(), DType::f32, s, cfg);
  CHECK(o.counts[0] == 0);
  o = run_cpu(p.data(), DType::f32, {1, 1, 0, PredLayout::channels_first}, cfg);  // no anchors
  CHECK(o.counts[0] == 0);
  o = run_cpu(p.data(), DType::f32, {0, 1, 3, PredLayout::channels_first}, cfg);  // no images
  CHECK(o.counts.empty());
}

TEST_CASE("nms cpu: bad arguments are rejected with a message") {
  const auto p = make_preds({{50, 50, 40, 10, 0.9f}});
  NmsConfig cfg;
  cfg.conf_thres = 1.5f;
  CHECK_THROWS_AS(run_cpu(p.data(), DType::f32, {1, 1, 1, PredLayout::channels_first}, cfg), ye::Error);
  cfg = NmsConfig{};
  CHECK_THROWS_AS(run_cpu(p.data(), DType::i32, {1, 1, 1, PredLayout::channels_first}, cfg), ye::Error);
  CHECK_THROWS_AS(run_cpu(p.data(), DType::f32, {1, 0, 1, PredLayout::channels_first}, cfg), ye::Error);
}

TEST_CASE("nms cpu -> MetricsAccumulator: NMS rows feed the metrics directly") {
  // Two GT boxes of classes 0 and 1; predictions: each box twice (the copy slightly shifted, lower score).
  const auto p = make_preds({{30, 30, 20, 20, 0.9f, 0.0005f}, {31, 30, 20, 20, 0.6f, 0.0005f},
                             {100, 80, 40, 30, 0.0005f, 0.8f}, {100, 81, 40, 30, 0.0005f, 0.5f}});
  NmsConfig cfg;
  cfg.conf_thres = 0.001f;
  cfg.iou_thres = 0.7f;
  cfg.multi_label = true;
  const NmsOut o = run_cpu(p.data(), DType::f32, {1, 2, 4, PredLayout::channels_first}, cfg);
  REQUIRE(o.counts[0] == 2);  // the copies are suppressed (IoU 0.90 and 0.94 > 0.7)
  ye::yolo::MetricsAccumulator acc({"a", "b"});
  acc.add_image_rows(image_rows(o, 0, cfg.max_det), std::vector<float>{20, 20, 40, 40, 80, 65, 120, 95},
                     std::vector<int32_t>{0, 1});
  const auto m = acc.finalize();
  CHECK(m.mp == 1.0);
  CHECK(m.mr == 1.0);
  CHECK(m.map50 == doctest::Approx(0.995));
  CHECK(m.confusion.at(0, 0) == 1);
  CHECK(m.confusion.at(1, 1) == 1);
}

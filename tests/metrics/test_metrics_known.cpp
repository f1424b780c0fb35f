// Hand-built metric cases with known answers: perfect predictions (the reference's trapezoid gives
// 0.995), classes missing from predictions or from the GT, empty images, no GT at all, confidence and
// IoU ties (documented order), the prediction-order rule of match_predictions, the confusion matrix and
// the table format; plus numpy-semantics checks of interp/linspace/rounding.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "yolo/metrics/det_metrics.h"
#include "yolo/metrics/numeric.h"

using namespace ye::yolo;

namespace {
struct Img {
  std::vector<float> pb, pc;
  std::vector<int32_t> pk;
  std::vector<float> gb;
  std::vector<int32_t> gk;
};
DetMetrics run(const std::vector<Img>& imgs, int nc) {
  std::vector<std::string> names;
  for (int i = 0; i < nc; ++i) names.push_back("c" + std::to_string(i));
  MetricsAccumulator acc(names);
  for (const Img& im : imgs) acc.add_image(im.pb, im.pc, im.pk, im.gb, im.gk);
  return acc.finalize();
}
}  // namespace

TEST_CASE("metrics: perfect predictions give P = R = 1 and the reference's 101-point AP of 0.995") {
  std::vector<Img> imgs = {
      {{10, 10, 50, 60, 100, 100, 200, 180}, {0.9f, 0.8f}, {0, 1}, {10, 10, 50, 60, 100, 100, 200, 180}, {0, 1}},
      {{5, 5, 25, 45}, {0.7f}, {1}, {5, 5, 25, 45}, {1}},
      {{}, {}, {}, {}, {}},  // empty image: no predictions, no labels
  };
  const DetMetrics m = run(imgs, 3);
  CHECK(m.images == 3);
  CHECK(m.ap_class_index == std::vector<int32_t>{0, 1});
  CHECK(m.mp == 1.0);
  CHECK(m.mr == 1.0);
  CHECK(m.map50 == doctest::Approx(0.995).epsilon(1e-12));
  CHECK(m.map == doctest::Approx(0.995).epsilon(1e-12));
  CHECK(m.fitness == doctest::Approx(0.995).epsilon(1e-12));
  CHECK(m.maps == std::vector<double>{m.ap50_95[0], m.ap50_95[1], m.map});  // class 2 absent from GT: map
  CHECK(m.nt_per_class == std::vector<int64_t>{1, 2, 0});
  CHECK(m.nt_per_image == std::vector<int64_t>{1, 2, 0});
  CHECK(m.ap.tp == std::vector<double>{1, 2});
  CHECK(m.ap.fp == std::vector<double>{0, 0});
  CHECK(m.confusion.at(0, 0) == 1);
  CHECK(m.confusion.at(1, 1) == 2);
  double off_diag = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) off_diag += i == j ? 0 : m.confusion.at(i, j);
  CHECK(off_diag == 0);
}

TEST_CASE("metrics: a class with GT but no predictions counts as AP 0, predicted-only classes are ignored") {
  std::vector<Img> imgs = {
      // class 0 found, class 1 never predicted, class 2 predicted but absent from GT
      {{0, 0, 10, 10, 50, 50, 60, 60}, {0.9f, 0.95f}, {0, 2}, {0, 0, 10, 10, 20, 20, 40, 40}, {0, 1}},
  };
  const DetMetrics m = run(imgs, 3);
  REQUIRE(m.ap_class_index == std::vector<int32_t>{0, 1});
  CHECK(m.ap50[0] == doctest::Approx(0.995));
  CHECK(m.ap50[1] == 0.0);
  CHECK(m.ap.p[1] == 0.0);
  CHECK(m.ap.r[1] == 0.0);
  CHECK(m.map50 == doctest::Approx(0.995 / 2));
  CHECK(m.ap.prec_values.size() == 1);  // only classes with predictions have a PR row
  CHECK(m.ap.pr_classes == std::vector<int32_t>{0});
  // confusion: class 1 GT missed -> (background, 1); class 2 prediction unmatched -> (2, background)
  CHECK(m.confusion.at(3, 1) == 1);
  CHECK(m.confusion.at(2, 3) == 1);
  CHECK(m.confusion.at(0, 0) == 1);
}

TEST_CASE("metrics: no GT at all gives zeros, not NaN, and the table still prints") {
  const DetMetrics m = run({{{0, 0, 10, 10}, {0.9f}, {0}, {}, {}}, {{}, {}, {}, {}, {}}}, 2);
  CHECK(m.ap_class_index.empty());
  CHECK(m.mp == 0.0);
  CHECK(m.mr == 0.0);
  CHECK(m.map50 == 0.0);
  CHECK(m.map == 0.0);
  CHECK(m.fitness == 0.0);
  CHECK(m.instances() == 0);
  CHECK(m.confusion.at(0, 2) == 1);  // the prediction is a background false positive
  const auto rows = format_val_rows(m, true);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == std::string(19, ' ') + "all" + std::string(10, ' ') + "2" + std::string(10, ' ') + "0" +
                       std::string(10, ' ') + "0" + std::string(10, ' ') + "0" + std::string(10, ' ') + "0" +
                       std::string(10, ' ') + "0");
}

TEST_CASE("metrics: equal confidences keep input order (stable), which sets the AP") {
  // One GT; a false positive and a true positive with the same confidence, the FP first.
  const std::vector<float> gt = {0, 0, 10, 10};
  DetMetrics m = run({{{50, 50, 60, 60, 0, 0, 10, 10}, {0.5f, 0.5f}, {0, 0}, gt, {0}}}, 1);
  CHECK(m.ap50[0] == doctest::Approx(0.4975).epsilon(1e-12));
  m = run({{{0, 0, 10, 10, 50, 50, 60, 60}, {0.5f, 0.5f}, {0, 0}, gt, {0}}}, 1);  // TP first
  CHECK(m.ap50[0] == doctest::Approx(0.995).epsilon(1e-12));
}

TEST_CASE("match_predictions: per prediction its best label, then labels go to the earliest prediction") {
  const std::vector<float> gt = {0, 0, 100, 100};
  const std::vector<float> preds = {0, 0, 100, 62, 0, 0, 100, 92};  // IoU 0.62 then 0.92
  const auto c = match_predictions(std::vector<int32_t>{0, 0}, std::vector<int32_t>{0}, box_iou(gt, preds));
  const std::vector<uint8_t> d0 = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0}, d1 = {0, 0, 0, 1, 1, 1, 1, 1, 1, 0};
  CHECK(std::vector<uint8_t>(c.begin(), c.begin() + 10) == d0);
  CHECK(std::vector<uint8_t>(c.begin() + 10, c.end()) == d1);
  // a class mismatch zeroes the IoU
  const auto none = match_predictions(std::vector<int32_t>{1, 1}, std::vector<int32_t>{0}, box_iou(gt, preds));
  CHECK(std::count(none.begin(), none.end(), 1) == 0);
  // two identical predictions of one label: the first is the TP
  const std::vector<float> twin = {0, 0, 100, 92, 0, 0, 100, 92};
  const auto t = match_predictions(std::vector<int32_t>{0, 0}, std::vector<int32_t>{0}, box_iou(gt, twin));
  CHECK(std::count(t.begin(), t.begin() + 10, 1) == 9);
  CHECK(std::count(t.begin() + 10, t.end(), 1) == 0);
}

TEST_CASE("box_iou: f32 with eps 1e-7 in the union") {
  const auto iou = box_iou(std::vector<float>{0, 0, 10, 10}, std::vector<float>{5, 0, 15, 10, 20, 20, 30, 30, 0, 0, 10, 10});
  CHECK(iou[0] == 50.f / (100.f + 100.f - 50.f + 1e-7f));
  CHECK(iou[1] == 0.f);
  CHECK(iou[2] == 100.f / (200.f - 100.f + 1e-7f));
}

TEST_CASE("confusion matrix: conf 0.25 filter, IoU > 0.45, background row and column") {
  ConfusionMatrix cm(2);
  const std::vector<float> gt = {0, 0, 10, 10, 100, 100, 120, 120};
  const std::vector<int32_t> gk = {0, 1};
  // pred 0 matches GT 0 with the wrong class; pred 1 conf 0.2 is dropped; pred 2 is a far FP.
  const std::vector<float> pb = {0, 0, 10, 9, 100, 100, 120, 120, 300, 300, 310, 310};
  cm.process_batch(pb, std::vector<float>{0.9f, 0.2f, 0.5f}, std::vector<int32_t>{1, 1, 0}, gt, gk, 0.001);
  CHECK(cm.at(1, 0) == 1);  // predicted 1, true 0
  CHECK(cm.at(2, 1) == 1);  // GT 1 missed (its prediction was under conf 0.25)
  CHECK(cm.at(0, 2) == 1);  // far prediction of class 0: background FP
  double total = 0;
  for (double v : cm.values()) total += v;
  CHECK(total == 3);
  // a conf other than the val default is used as given
  ConfusionMatrix low(2);
  low.process_batch(pb, std::vector<float>{0.9f, 0.2f, 0.5f}, std::vector<int32_t>{1, 1, 0}, gt, gk, 0.1);
  CHECK(low.at(1, 1) == 1);
  // IoU must be strictly greater than 0.45: 0.45 exactly in f32 does not match
  ConfusionMatrix strict(1);
  strict.process_batch(std::vector<float>{0, 0, 45, 100}, std::vector<float>{0.9f}, std::vector<int32_t>{0},
                       std::vector<float>{0, 0, 100, 100}, std::vector<int32_t>{0});
  CHECK(strict.at(0, 0) == 0);
  CHECK(strict.at(1, 0) == 1);
  CHECK(strict.at(0, 1) == 1);
  // normalized as plotted: columns divided by their sums, < 0.005 blank (NaN)
  const auto norm = cm.plotted(true);
  CHECK(norm[1 * 3 + 0] == doctest::Approx(1.0));
  CHECK(std::isnan(norm[0 * 3 + 0]));
  CHECK(cm.tp() == std::vector<double>{0, 0});
  CHECK(cm.fp() == std::vector<double>{1, 1});
}

TEST_CASE("confusion matrix: equal IoUs of one label go to the later detection (documented tie rule)") {
  ConfusionMatrix cm(2);
  const std::vector<float> box = {0, 0, 10, 10};
  cm.process_batch(std::vector<float>{0, 0, 10, 10, 0, 0, 10, 10}, std::vector<float>{0.9f, 0.8f},
                   std::vector<int32_t>{0, 1}, box, std::vector<int32_t>{0});
  CHECK(cm.at(1, 0) == 1);
  CHECK(cm.at(0, 2) == 1);
}

TEST_CASE("val table: header and row formats") {
  CHECK(format_val_header() == std::string(17, ' ') + "Class" + std::string(5, ' ') + "Images" + "  Instances" +
                                   std::string(6, ' ') + "Box(P" + std::string(10, ' ') + "R" + std::string(6, ' ') +
                                   "mAP50" + "  mAP50-95)");
  DetMetrics m;
  m.names = {"person", "car"};
  m.images = 128;
  m.nt_per_class = {5, 0};
  m.nt_per_image = {3, 0};
  m.mp = 0.123456;
  m.mr = 1.0;
  m.map50 = 0.0004567;
  m.map = 0.5;
  m.ap_class_index = {0};
  m.ap.p = {0.5};
  m.ap.r = {0.25};
  m.ap50 = {0.995};
  m.ap50_95 = {0.6789};
  const auto rows = format_val_rows(m, true);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::string(19, ' ') + "all" + std::string(8, ' ') + "128" + std::string(10, ' ') + "5" +
                       std::string(6, ' ') + "0.123" + std::string(10, ' ') + "1" + std::string(3, ' ') + "0.000457" +
                       std::string(8, ' ') + "0.5");
  CHECK(rows[1] == std::string(16, ' ') + "person" + std::string(10, ' ') + "3" + std::string(10, ' ') + "5" +
                       std::string(8, ' ') + "0.5" + std::string(7, ' ') + "0.25" + std::string(6, ' ') + "0.995" +
                       std::string(6, ' ') + "0.679");
}

TEST_CASE("numeric: np.interp, np.linspace and rounding semantics") {
  const std::vector<double> xp = {0, 1, 1, 2}, fp = {0, 10, 20, 30};
  CHECK(interp(-1, xp.data(), fp.data(), 4, -5, 99) == -5);
  CHECK(interp(3, xp.data(), fp.data(), 4, -5, 99) == 99);
  CHECK(interp(1, xp.data(), fp.data(), 4, -5, 99) == 20);  // duplicate xp: the last one
  CHECK(interp(0.5, xp.data(), fp.data(), 4, -5, 99) == 5);
  CHECK(interp(1.5, xp.data(), fp.data(), 4, -5, 99) == 25);
  CHECK(interp(2, xp.data(), fp.data(), 4, -5, 99) == 30);
  const double one = 1;
  CHECK(interp(1, &one, &one, 1, 0, 2) == 1);
  const auto x = linspace(0, 1, 1000);
  CHECK(x.front() == 0.0);
  CHECK(x.back() == 1.0);
  CHECK(x[1] == 1.0 / 999);
  CHECK(x[500] == 500 * (1.0 / 999));
  CHECK(round_half_even(2.5) == 2);
  CHECK(round_half_even(3.5) == 4);
  CHECK(trapezoid({1, 1, 1}, {0, 0.5, 1}) == 1.0);
  const auto sm = smooth({0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6}, 0.1);  // nf = 3
  REQUIRE(sm.size() == 20);
  CHECK(sm[8] == doctest::Approx(1.0));
  CHECK(sm[9] == doctest::Approx(1.0));
  CHECK(sm[10] == doctest::Approx(1.0));
  CHECK(sm[11] == 0.0);
  CHECK(sm[19] == doctest::Approx(4.0));  // (0 + 6 + 6) / 3: edge padded with the last value
}

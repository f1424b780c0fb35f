// Parity of the metrics with the reference's own code (goldens from tests/parity/gen_metrics.py):
// per-image TP matrices (match_predictions), ap_per_class outputs, DetMetrics means/fitness/maps,
// counts, the confusion matrix, the printed table, the P/R/F1 curves and smooth().
#include <doctest/doctest.h>

#include <cmath>

#include "tests/metrics/golden.h"
#include "yolo/metrics/det_metrics.h"
#include "yolo/metrics/numeric.h"

using ye::test::vec;
using namespace ye::yolo;

namespace {
void check_vec(const std::vector<double>& got, const nlohmann::json& want, double tol, const char* what) {
  REQUIRE_MESSAGE(got.size() == want.size(), what, ": size ", got.size(), " vs ", want.size());
  for (size_t i = 0; i < got.size(); ++i)
    CHECK_MESSAGE(std::abs(got[i] - want[i].get<double>()) <= tol, what, "[", i, "]: ", got[i], " vs ", want[i]);
}
}  // namespace

TEST_CASE("metrics: parity with the reference on random, dense, perfect, single-class and sparse sets") {
  const nlohmann::json cases = ye::test::load_metrics_golden("metrics_cases.json");
  REQUIRE(cases.size() >= 5);
  for (const auto& c : cases) {
    const std::string name = c["name"];
    CAPTURE(name);
    MetricsAccumulator acc(vec<std::string>(c["names"]));
    for (const auto& im : c["images"]) {
      const auto pb = vec<float>(im["pred_boxes"]), pc = vec<float>(im["pred_conf"]);
      const auto pk = vec<int32_t>(im["pred_cls"]);
      const auto gb = vec<float>(im["gt_boxes"]);
      const auto gk = vec<int32_t>(im["gt_cls"]);
      if (!pk.empty() && !gk.empty()) {
        const auto tp = match_predictions(pk, gk, box_iou(gb, pb));
        std::vector<uint8_t> want;
        for (const auto& row : im["tp"])
          for (const auto& v : row) want.push_back(uint8_t(v.get<int>()));
        CHECK(tp == want);
      }
      acc.add_image(pb, pc, pk, gb, gk);
    }
    const DetMetrics m = acc.finalize();
    CHECK(m.ap_class_index == vec<int32_t>(c["ap_class_index"]));
    const double tol = 1e-12;
    check_vec(m.ap.p, c["p"], tol, "p");
    check_vec(m.ap.r, c["r"], tol, "r");
    check_vec(m.ap.f1, c["f1"], tol, "f1");
    check_vec(m.ap.tp, c["tp"], 0, "tp");
    check_vec(m.ap.fp, c["fp"], 0, "fp");
    check_vec(m.ap50, c["ap50"], tol, "ap50");
    check_vec(m.ap50_95, c["ap"], tol, "ap50-95");
    REQUIRE(m.ap.ap.size() == c["all_ap"].size());
    for (size_t i = 0; i < m.ap.ap.size(); ++i)
      check_vec(std::vector<double>(m.ap.ap[i].begin(), m.ap.ap[i].end()), c["all_ap"][i], tol, "all_ap");
    CHECK(m.mp == doctest::Approx(c["mp"].get<double>()).epsilon(1e-12));
    CHECK(m.mr == doctest::Approx(c["mr"].get<double>()).epsilon(1e-12));
    CHECK(m.map50 == doctest::Approx(c["map50"].get<double>()).epsilon(1e-12));
    CHECK(m.map75 == doctest::Approx(c["map75"].get<double>()).epsilon(1e-12));
    CHECK(m.map == doctest::Approx(c["map"].get<double>()).epsilon(1e-12));
    CHECK(m.fitness == doctest::Approx(c["fitness"].get<double>()).epsilon(1e-12));
    check_vec(m.maps, c["maps"], tol, "maps");
    CHECK(m.nt_per_class == vec<int64_t>(c["nt_per_class"]));
    CHECK(m.nt_per_image == vec<int64_t>(c["nt_per_image"]));
    const int n = m.confusion.size();
    REQUIRE(int(c["confusion"].size()) == n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) CHECK_MESSAGE(m.confusion.at(i, j) == c["confusion"][i][j].get<double>(), i, ",", j);
    CHECK(format_val_header() == c["header"].get<std::string>());
    const auto rows = format_val_rows(m, m.names.size() > 1);
    CHECK(rows == vec<std::string>(c["table"]));
    if (c.contains("curves")) {
      const auto& cv = c["curves"];
      const size_t step = cv["step"];
      auto sub = [&](const std::vector<double>& v) {
        std::vector<double> s;
        for (size_t k = 0; k < v.size(); k += step) s.push_back(v[k]);
        return s;
      };
      check_vec(sub(m.ap.px), cv["px"], 0, "px");
      for (size_t i = 0; i < m.ap.p_curve.size(); ++i) {
        check_vec(sub(m.ap.p_curve[i]), cv["p_curve"][i], tol, "p_curve");
        check_vec(sub(m.ap.r_curve[i]), cv["r_curve"][i], tol, "r_curve");
        check_vec(sub(m.ap.f1_curve[i]), cv["f1_curve"][i], tol, "f1_curve");
      }
      REQUIRE(m.ap.prec_values.size() == cv["prec_values"].size());
      for (size_t i = 0; i < m.ap.prec_values.size(); ++i)
        check_vec(sub(m.ap.prec_values[i]), cv["prec_values"][i], tol, "prec_values");
      CHECK(m.ap.max_f1_index == cv["max_f1_index"].get<int>());
    }
  }
}

TEST_CASE("metrics: smooth() matches the reference's box filter, edges included") {
  const nlohmann::json g = ye::test::load_metrics_golden("smooth.json");
  check_vec(smooth(vec<double>(g["y"]), g["f"].get<double>()), g["out"], 1e-13, "smooth");
  check_vec(smooth(vec<double>(g["y_short"]), g["f"].get<double>()), g["out_short"], 1e-13, "smooth short");
}

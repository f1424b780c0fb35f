// Parity of the validation pipeline with the reference (goldens/val/val_pipeline.json, gen_val.py):
// identical decoded predictions go through nms_to_host and accumulate_batch (scale_boxes to native
// space, matching, confusion matrix) and MetricsAccumulator; P, R, mAP50, mAP50-95, per-class values
// and the confusion matrix must equal the reference's. Also the predictor's letterbox and scale_boxes.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "yolo/predict/predictor.h"
#include "yolo/val/postprocess.h"
#include "yolo/val/validator.h"

namespace ye::yolo {
namespace {

nlohmann::json golden() {
  std::ifstream in(std::string(YE_SOURCE_DIR) + "/tests/parity/goldens/val/val_pipeline.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

data::Batch batch_from(const nlohmann::json& c) {
  data::Batch b;
  const auto shape = c["preds_shape"].get<std::vector<int>>();
  b.batch_size = shape[0];
  b.height = c["height"].get<int>(), b.width = c["width"].get<int>();
  b.targets = c["targets"].get<std::vector<float>>();
  for (const auto& m : c["meta"]) {
    data::ImageMeta im;
    im.h0 = m["h0"], im.w0 = m["w0"], im.h = m["h"], im.w = m["w"];
    im.ratio_h = float(im.h) / float(im.h0), im.ratio_w = float(im.w) / float(im.w0);
    im.pad_left = m["pad_left"].get<float>(), im.pad_top = m["pad_top"].get<float>();
    b.meta.push_back(im);
  }
  return b;
}

}  // namespace

TEST_CASE("validation pipeline matches the reference on identical predictions") {
  const nlohmann::json g = golden();
  for (const auto& c : g["cases"]) {
    const std::string name = c["name"];
    CAPTURE(name);
    const auto shape = c["preds_shape"].get<std::vector<int64_t>>();
    const Tensor decoded = Tensor::from_vector(c["preds"].get<std::vector<float>>(), Shape{shape[0], shape[1], shape[2]});
    const bool single_cls = c["single_cls"];
    kernels::NmsConfig cfg;
    cfg.conf_thres = 0.001f, cfg.iou_thres = 0.7f, cfg.multi_label = true, cfg.agnostic = single_cls;
    const auto rows = nms_to_host(decoded, cfg);
    REQUIRE(rows.size() == size_t(shape[0]));
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto ref = c["nms_rows"][i].get<std::vector<float>>();
      REQUIRE(rows[i].size() == ref.size());
      for (size_t k = 0; k < ref.size(); ++k) CHECK(rows[i][k] == doctest::Approx(ref[k]).epsilon(1e-6));
    }

    const int nc = c["nc"];
    std::vector<std::string> names;
    for (int k = 0; k < nc; ++k) names.push_back("class" + std::to_string(k));
    MetricsAccumulator acc(names, 0.001);
    accumulate_batch(batch_from(c), rows, single_cls, acc);
    const DetMetrics m = acc.finalize();
    CHECK(m.mp == doctest::Approx(c["mp"].get<double>()).epsilon(1e-12));
    CHECK(m.mr == doctest::Approx(c["mr"].get<double>()).epsilon(1e-12));
    CHECK(m.map50 == doctest::Approx(c["map50"].get<double>()).epsilon(1e-12));
    CHECK(m.map == doctest::Approx(c["map"].get<double>()).epsilon(1e-12));
    CHECK(m.fitness == doctest::Approx(c["fitness"].get<double>()).epsilon(1e-12));
    CHECK(m.ap_class_index == c["ap_class_index"].get<std::vector<int32_t>>());
    const auto ap50 = c["ap50"].get<std::vector<double>>(), ap = c["ap"].get<std::vector<double>>();
    REQUIRE(m.ap50.size() == ap50.size());
    for (size_t k = 0; k < ap50.size(); ++k) {
      CHECK(m.ap50[k] == doctest::Approx(ap50[k]).epsilon(1e-12));
      CHECK(m.ap50_95[k] == doctest::Approx(ap[k]).epsilon(1e-12));
    }
    const auto nt = c["nt_per_class"].get<std::vector<int64_t>>();
    for (size_t k = 0; k < nt.size(); ++k) CHECK(m.nt_per_class[k] == nt[k]);
    const auto conf = c["confusion"].get<std::vector<double>>();
    REQUIRE(m.confusion.values().size() == conf.size());
    for (size_t k = 0; k < conf.size(); ++k) CHECK(m.confusion.values()[k] == conf[k]);
  }
}

TEST_CASE("predictor letterbox (auto, stride 32) and scale_boxes match the reference") {
  const nlohmann::json g = golden();
  for (const auto& c : g["letterbox"]) {
    const int h0 = c["h0"], w0 = c["w0"], imgsz = c["imgsz"];
    CAPTURE(h0);
    CAPTURE(w0);
    data::Image img(h0, w0, 7);
    const data::Letterboxed lb = letterbox_auto(img, imgsz, 32);
    CHECK(lb.img.h == c["out_h"].get<int>());
    CHECK(lb.img.w == c["out_w"].get<int>());
    // The padding is 114 and the image pixels are where the pad says.
    CHECK(lb.img.row(lb.pad_top)[3 * lb.pad_left] == 7);
    if (lb.pad_top > 0) CHECK(lb.img.row(lb.pad_top - 1)[3 * lb.pad_left] == 114);
    if (lb.pad_left > 0) CHECK(lb.img.row(lb.pad_top)[3 * (lb.pad_left - 1)] == 114);
    std::vector<float> boxes = c["boxes"].get<std::vector<float>>();
    scale_boxes(boxes.data(), boxes.size() / 4, 4, ratio_pad_from_shapes(lb.img.h, lb.img.w, h0, w0), h0, w0);
    const auto mapped = c["mapped"].get<std::vector<float>>();
    for (size_t k = 0; k < mapped.size(); ++k) CHECK(boxes[k] == mapped[k]);
  }
}

}  // namespace ye::yolo

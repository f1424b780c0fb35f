// The validator with fake models on coco8's val split: perfect predictions give the reference's perfect
// scores (AP 0.995: the 101-point trapezoid ends at precision 0), the GT and prediction mapping back
// through letterbox padding is exact on a known case, val losses are the per-batch mean of the
// criterion, the table is formatted like the reference, and plots/JSON files are written.
#include <doctest/doctest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "engine/ops.h"
#include "tests/val/val_helpers.h"
#include "yolo/run/atomic_file.h"
#include "yolo/val/postprocess.h"
#include "yolo/val/validator.h"

namespace ye::yolo {
using test::TempDir;

namespace {
data::Loader make_loader(std::shared_ptr<const data::Dataset> ds, int imgsz, int batch) {
  data::LoaderOptions o = data::LoaderOptions::validation(imgsz, batch, 1);
  o.log = [](const std::string&) {};
  return data::Loader(ds, o);
}
ValidatorOptions quiet() {
  ValidatorOptions o;
  o.log = [](const std::string&) {};
  return o;
}
}  // namespace

TEST_CASE("GT and predictions map back through letterbox padding exactly") {
  // 640x480 original, long side resized to 320 (240x320), letterboxed into a 256x320 rect batch.
  data::Batch b;
  b.batch_size = 1, b.height = 256, b.width = 320;
  data::ImageMeta m;
  m.h0 = 480, m.w0 = 640, m.h = 240, m.w = 320, m.ratio_h = 0.5f, m.ratio_w = 0.5f, m.pad_left = 0, m.pad_top = 8;
  b.meta = {m};
  // Original box (100, 50, 300, 250) is (50, 33, 150, 133) in the batch image.
  b.targets = {0.f, 2.f, 100.f / 320, 83.f / 256, 100.f / 320, 100.f / 256};
  std::vector<float> gt;
  std::vector<int32_t> cls;
  gt_boxes_original(b, 0, gt, cls);
  CHECK(gt == std::vector<float>{100, 50, 300, 250});
  CHECK(cls == std::vector<int32_t>{2});

  std::vector<float> rows = {50, 33, 150, 133, 0.9f, 2, -10, 0, 400, 300, 0.5f, 1};
  scale_boxes(rows.data(), 2, 6, ratio_pad_from_meta(m), m.h0, m.w0);
  CHECK(std::vector<float>(rows.begin(), rows.begin() + 4) == std::vector<float>{100, 50, 300, 250});
  CHECK(rows[4] == 0.9f);
  CHECK(std::vector<float>(rows.begin() + 6, rows.begin() + 10) == std::vector<float>{0, 0, 640, 480});  // clipped

  // The predictor's mapping without ratio_pad: gain and pad from the shapes.
  const RatioPad rp = ratio_pad_from_shapes(256, 320, 480, 640);
  CHECK(rp.gain == 0.5f);
  CHECK(rp.pad_x == 0.f);
  CHECK(rp.pad_y == 8.f);
}

TEST_CASE("coco8 val GT in original pixels equals the dataset labels") {
  auto ds = test::coco8_val();
  const auto batches = test::collect_batches(ds, 320, 2);
  size_t images = 0;
  for (const auto& b : batches)
    for (int i = 0; i < b.batch_size; ++i, ++images) {
      const data::ImageMeta& m = b.meta[size_t(i)];
      const data::ImageRecord& rec = (*ds)[m.dataset_index];
      std::vector<float> gt;
      std::vector<int32_t> cls;
      gt_boxes_original(b, i, gt, cls);
      REQUIRE(cls.size() == rec.boxes.size());
      // The reference's gain is ratio_pad[0][0] = h / h0 for both axes: y comes back exactly, x is
      // scaled by (w / w0) / (h / h0), off by the long-side resize's rounding of the short side.
      const double gain = double(m.h) / m.h0, sx = double(m.w) / gain;
      for (size_t k = 0; k < cls.size(); ++k) {
        const data::Box& bx = rec.boxes[k];
        CHECK(cls[k] == int32_t(bx.cls));
        CHECK(gt[4 * k + 0] == doctest::Approx(std::max(0.0, (bx.xc - bx.w / 2) * sx)).epsilon(1e-4));
        CHECK(gt[4 * k + 1] == doctest::Approx(std::max(0.f, (bx.yc - bx.h / 2) * m.h0)).epsilon(1e-4));
        CHECK(gt[4 * k + 2] == doctest::Approx(std::min(double(m.w0), (bx.xc + bx.w / 2) * sx)).epsilon(1e-4));
        CHECK(gt[4 * k + 3] == doctest::Approx(std::min(float(m.h0), (bx.yc + bx.h / 2) * m.h0)).epsilon(1e-4));
      }
    }
  CHECK(images == ds->size());
}

TEST_CASE("perfect predictions on coco8 val: the reference's perfect scores and table") {
  auto ds = test::coco8_val();
  const auto batches = test::collect_batches(ds, 320, 2);
  REQUIRE(batches.size() == 2);
  CallableEvalModel model = test::perfect_model(batches, ds->nc());
  data::Loader loader = make_loader(ds, 320, 2);
  ValidatorOptions o = quiet();
  o.per_class = true;
  const ValResult r = validate(model, loader, o);

  int64_t instances = 0;
  for (const auto& rec : ds->records()) instances += int64_t(rec.boxes.size());
  CHECK(r.images == 4);
  CHECK(r.instances == instances);
  CHECK(r.mp == doctest::Approx(1.0));
  CHECK(r.mr == doctest::Approx(1.0));
  CHECK(r.map50 == doctest::Approx(0.995));
  CHECK(r.map == doctest::Approx(0.995));
  CHECK(r.fitness == doctest::Approx(0.995));
  CHECK(r.losses == std::array<double, 3>{0, 0, 0});
  // Confusion matrix: every GT matched with its own class.
  const ConfusionMatrix& cm = r.metrics.confusion;
  double diag = 0, total = 0;
  for (int i = 0; i < cm.size(); ++i)
    for (int j = 0; j < cm.size(); ++j) (i == j ? diag : total) += cm.at(i, j);
  CHECK(diag == double(instances));
  CHECK(total == 0);

  REQUIRE(r.table.size() == 2 + r.metrics.ap_class_index.size());
  CHECK(r.table[0] == "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)");
  char all[200];
  std::snprintf(all, sizeof(all), "                   all          4%11lld          1          1      0.995      0.995",
                (long long)instances);
  CHECK(r.table[1] == all);
  CHECK(r.table[2].substr(0, 22) == "                person");
}

TEST_CASE("predictions off by a class or box lower the scores") {
  auto ds = test::coco8_val();
  auto batches = test::collect_batches(ds, 320, 4);
  // Swap the class of the first GT and shift the second far away: two misses, two false positives.
  std::vector<data::Batch> wrong = batches;
  wrong[0].targets[1] = float((int(wrong[0].targets[1]) + 1) % ds->nc());
  wrong[0].targets[6 + 2] = 0.05f, wrong[0].targets[6 + 3] = 0.05f;
  CallableEvalModel model = test::perfect_model(wrong, ds->nc());
  data::Loader loader = make_loader(ds, 320, 4);
  const ValResult r = validate(model, loader, quiet());
  CHECK(r.map50 < 0.995);
  CHECK(r.map50 > 0.0);
  CHECK(r.mr < 1.0);
}

TEST_CASE("val losses are the criterion's components averaged over batches") {
  auto ds = test::coco8_val();
  const auto batches = test::collect_batches(ds, 320, 3);  // 2 batches: 3 + 1 images
  REQUIRE(batches.size() == 2);
  const int nc = ds->nc();
  auto feats_of = [nc](const data::Batch& b, uint64_t seed) {
    std::vector<Tensor> f;
    for (int s : {8, 16, 32}) {
      Tensor t = Tensor::empty(Shape{b.batch_size, b.height / s, b.width / s, 64 + nc});
      Generator g(seed * 10 + uint64_t(s));
      ops::uniform_(t, -2.f, 2.f, g);
      f.push_back(t);
    }
    return f;
  };
  auto k = std::make_shared<size_t>(0);
  CallableEvalModel model([&, k](const Tensor&) {
    const size_t i = (*k)++;
    DetectOutput out;
    out.feats = feats_of(batches[i], i);
    out.decoded = test::decoded_from_targets(batches[i], nc, 0.9f, 32);
    return out;
  });
  DetectionLoss criterion(nc);
  data::Loader loader = make_loader(ds, 320, 3);
  ValidatorOptions o = quiet();
  o.criterion = &criterion;
  const ValResult r = validate(model, loader, o);

  DetectionLoss reference(nc);
  std::array<double, 3> expect{};
  for (size_t i = 0; i < batches.size(); ++i) {
    const auto& b = batches[i];
    Tensor targets = Tensor::from_vector(b.targets, Shape{int64_t(b.num_targets()), 6});
    const auto c = reference(feats_of(b, i), targets, b.height, b.width).components.to_vector();
    for (size_t j = 0; j < 3; ++j) expect[j] += double(c[j]) / double(batches.size());
  }
  for (size_t j = 0; j < 3; ++j) {
    CHECK(r.losses[j] > 0);
    CHECK(r.losses[j] == doctest::Approx(expect[j]).epsilon(1e-6));
  }
  CHECK(r.map50 == doctest::Approx(0.995));
}

TEST_CASE("plots and COCO JSON are written into the run folder") {
  auto ds = test::coco8_val();
  const auto batches = test::collect_batches(ds, 320, 2);
  CallableEvalModel model = test::perfect_model(batches, ds->nc());
  data::Loader loader = make_loader(ds, 320, 2);
  TempDir dir("outputs");
  ValidatorOptions o = quiet();
  o.save_dir = dir.path / "val";
  o.plots = true;
  o.save_json = true;
  const ValResult r = validate(model, loader, o);
  for (const char* f : {"confusion_matrix.png", "confusion_matrix_normalized.png", "BoxPR_curve.png", "BoxF1_curve.png",
                        "BoxP_curve.png", "BoxR_curve.png", "val_batch0_labels.jpg", "val_batch0_pred.jpg",
                        "val_batch1_labels.jpg", "val_batch1_pred.jpg", "predictions.json", "ground_truth.json"}) {
    CAPTURE(f);
    CHECK(std::filesystem::file_size(o.save_dir / f) > 100);
  }
  CHECK_FALSE(std::filesystem::exists(o.save_dir / "val_batch2_labels.jpg"));  // only 2 batches
  CHECK(r.files.size() == 12);
  const auto preds = nlohmann::json::parse(read_file(o.save_dir / "predictions.json"));
  const auto gt = nlohmann::json::parse(read_file(o.save_dir / "ground_truth.json"));
  CHECK(preds.size() == size_t(r.instances));
  CHECK(gt["images"].size() == 4);
  CHECK(gt["annotations"].size() == size_t(r.instances));
  // coco8 is not the COCO val set: category ids are class + 1; image ids are the numeric stems.
  CHECK(preds[0]["score"].get<double>() == doctest::Approx(0.9));
  CHECK(preds[0]["image_id"].is_number_integer());
  // The GT file holds the dataset labels in original pixels.
  const data::ImageMeta& m0 = batches[0].meta[0];
  const data::Box& b0 = (*ds)[m0.dataset_index].boxes.at(0);
  CHECK(gt["images"][0]["width"] == m0.w0);
  CHECK(gt["annotations"][0]["bbox"][0].get<double>() == doctest::Approx((b0.xc - b0.w / 2) * m0.w0).epsilon(1e-5));
  CHECK(gt["annotations"][0]["bbox"][2].get<double>() == doctest::Approx(b0.w * m0.w0).epsilon(1e-5));
  CHECK(gt["annotations"][0]["category_id"] == b0.cls + 1);
}

}  // namespace ye::yolo

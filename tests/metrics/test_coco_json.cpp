// COCO JSON: prediction records (bbox from the reference's f32 xyxy->xywh, Python rounding, image ids
// from numeric stems, category ids 1..nc or COCO's 91 ids), the GT file, and a pycocotools check run
// through tests/parity/coco_eval.py (a "reference:" case, run by ctest's parity_coco entry with the
// parity venv, reported as skipped where it is absent).
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "kernels/error.h"
#include "common/harness.h"
#include "yolo/metrics/coco_json.h"

using namespace ye::yolo;
namespace fs = std::filesystem;

TEST_CASE("coco json: ids, category mapping and Python rounding") {
  CHECK(coco_image_id("/data/images/000000000139.jpg") == nlohmann::json(139));
  CHECK(coco_image_id("a/b/img_7.png") == nlohmann::json("img_7"));
  CHECK(category_ids(3, false) == std::vector<int>{1, 2, 3});
  const auto coco = category_ids(80, true);
  REQUIRE(coco.size() == 80);
  CHECK(coco[11] == 13);
  CHECK(coco[79] == 90);
  CHECK(is_coco_val_path("/datasets/coco/val2017.txt"));
  CHECK_FALSE(is_coco_val_path("/datasets/coco128/images/train2017"));
  CHECK(python_round(0.12345, 3) == 0.123);
  CHECK(python_round(2.675, 2) == 2.67);  // 2.675 is 2.67499999... in binary, as Python rounds
  CHECK(python_round(0.125, 2) == 0.12);  // exact tie: half to even
  CHECK(python_round(-0.0001, 3) == 0.0);

  nlohmann::json rec = nlohmann::json::array();
  const std::vector<float> boxes = {10.25f, 20.5f, 110.7f, 220.3f};
  append_coco_predictions(rec, coco_image_id("42.jpg"), boxes, std::vector<float>{0.876543f},
                          std::vector<int32_t>{2}, category_ids(5, false));
  REQUIRE(rec.size() == 1);
  CHECK(rec[0]["image_id"] == 42);
  CHECK(rec[0]["category_id"] == 3);
  CHECK(rec[0]["score"].get<double>() == 0.87654);
  const float w = 110.7f - 10.25f, cx = (10.25f + 110.7f) / 2.f;
  CHECK(rec[0]["bbox"][0].get<double>() == python_round(cx - w / 2.f, 3));
  CHECK(rec[0]["bbox"][2].get<double>() == python_round(w, 3));
  CHECK(rec[0]["bbox"][3].get<double>() == python_round(220.3f - 20.5f, 3));
  CHECK_THROWS_AS(append_coco_predictions(rec, 1, boxes, std::vector<float>{0.5f}, std::vector<int32_t>{5},
                                          category_ids(5, false)),
                  ye::Error);
}

namespace {
// Returns COCOeval stats, or empty when the script failed.
std::vector<double> coco_eval(const std::string& py, const nlohmann::json& gt, const nlohmann::json& preds,
                              const std::string& tag) {
  const fs::path dir = fs::temp_directory_path() / ("ye_metrics_coco_" + std::to_string(::getpid()) + "_" + tag);
  fs::create_directories(dir);
  write_json_file((dir / "gt.json").string(), gt);
  write_json_file((dir / "pred.json").string(), preds);
  const std::string cmd = py + " " + YE_SOURCE_DIR + "/tests/parity/coco_eval.py " + (dir / "gt.json").string() + " " +
                          (dir / "pred.json").string() + " > " + (dir / "stats.json").string();
  const int rc = std::system(cmd.c_str());
  std::vector<double> stats;
  if (rc == 0) {
    std::ifstream f(dir / "stats.json");
    for (const auto& v : nlohmann::json::parse(f)) stats.push_back(v.get<double>());
  }
  fs::remove_all(dir);
  return stats;
}
}  // namespace

TEST_CASE("reference: pycocotools scores our coco json (perfect -> 1.0, half recall -> 51/101)" * doctest::skip()) {
  const std::string py = ye::test::reference_python();
  const std::vector<std::string> names = {"cat", "dog"};
  const auto ids = category_ids(2, false);
  std::vector<CocoGtImage> images = {
      {coco_image_id("1.jpg"), "1.jpg", 640, 480, {10, 20, 110, 220, 300, 300, 420, 380}, {0, 1}},
      {coco_image_id("2.jpg"), "2.jpg", 320, 240, {5.5f, 6.25f, 100.75f, 200.5f}, {1}},
      {coco_image_id("3.jpg"), "3.jpg", 320, 240, {}, {}},
  };
  const nlohmann::json gt = coco_gt_json(images, names, ids);
  CHECK(gt["annotations"].size() == 3);
  CHECK(gt["annotations"][0]["id"] == 1);
  CHECK(gt["categories"][1]["id"] == 2);

  nlohmann::json perfect = nlohmann::json::array();
  const std::vector<float> confs = {0.9f, 0.8f, 0.7f};
  int k = 0;
  for (const auto& im : images)
    for (size_t j = 0; j < im.cls.size(); ++j, ++k)
      append_coco_predictions(perfect, im.id, std::span<const float>(im.boxes).subspan(j * 4, 4),
                              std::span<const float>(confs).subspan(size_t(k), 1),
                              std::span<const int32_t>(im.cls).subspan(j, 1), ids);
  auto stats = coco_eval(py, gt, perfect, "perfect");
  REQUIRE(stats.size() == 12);
  CHECK(stats[0] == doctest::Approx(1.0));
  CHECK(stats[1] == doctest::Approx(1.0));

  // Class "dog" (2 GT): one exact hit at 0.9 and one far false positive at 0.3; class "cat" missed by a
  // wrong-class box. dog AP = 51/101 (precision 1 up to recall 0.5), cat AP = 0.
  nlohmann::json half = nlohmann::json::array();
  append_coco_predictions(half, images[0].id, std::vector<float>{300, 300, 420, 380}, std::vector<float>{0.9f},
                          std::vector<int32_t>{1}, ids);
  append_coco_predictions(half, images[1].id, std::vector<float>{200, 100, 300, 200}, std::vector<float>{0.3f},
                          std::vector<int32_t>{1}, ids);
  stats = coco_eval(py, gt, half, "half");
  REQUIRE(stats.size() == 12);
  CHECK(stats[1] == doctest::Approx((51.0 / 101.0 + 0.0) / 2.0));
}

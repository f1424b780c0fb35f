// The validator and predictor with the real DetectionModel (randomly initialised yolov8n, nc 80):
// its state dict saved as safetensors with the documented metadata is rebuilt by load_eval_model
// (strict), predicted on coco8 images (every output written, a corrupt file skipped) and validated.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/io/safetensors.h"
#include "tests/val/val_helpers.h"
#include "yolo/model_spec/model_spec.h"
#include "yolo/predict/predictor.h"
#include "yolo/predict/sources.h"
#include "yolo/run/atomic_file.h"
#include "yolo/val/model_loading.h"
#include "yolo/val/validator.h"

namespace ye::yolo {

TEST_CASE("random yolov8n: weights metadata -> model, predict and validate on coco8") {
  test::TempDir dir("real");
  auto ds = test::coco8_val();
  const std::string weights = (dir.path / "w.safetensors").string();
  {
    DetectionModel net(load_model_spec("yolov8n", 80), Device::cpu(), 1);
    nlohmann::json names;
    for (size_t i = 0; i < ds->names().size(); ++i) names[std::to_string(i)] = ds->names()[i];
    io::write_safetensors(weights, net.state_dict(), {{"model", "yolov8n"}, {"nc", "80"}, {"names", names.dump()}});
  }
  LoadedModel lm = load_eval_model(weights, "", Device::cpu());
  CHECK(lm.model == "yolov8n");
  CHECK(lm.names == ds->names());
  REQUIRE(lm.net->nc() == 80);
  CHECK_FALSE(lm.net->training());
  DetectionEvalModel model(*lm.net);

  const auto src = dir.path / "src";
  std::filesystem::create_directories(src);
  std::filesystem::copy_file(test::coco8_dir() + "/images/val/000000000042.jpg", src / "000000000042.jpg");
  { std::ofstream(src / "zz_corrupt.png", std::ios::binary) << "\x89PNG broken"; }
  PredictOptions po;
  po.imgsz = 160, po.conf = 1e-6f, po.max_det = 5;
  po.names = lm.names;
  po.save_dir = dir.path / "pred";
  po.log = [](const std::string&) {};
  const PredictSummary s = predict(model, list_image_sources(src.string()), po);
  REQUIRE(s.images.size() == 1);
  CHECK(s.skipped.size() == 1);
  CHECK(s.images[0].size() == 5);
  for (float c : s.images[0].conf) CHECK((c > 0 && c < 1));
  CHECK(std::filesystem::exists(po.save_dir / "000000000042.jpg"));
  CHECK(std::filesystem::exists(po.save_dir / "labels" / "000000000042.txt"));
  CHECK(nlohmann::json::parse(read_file(po.save_dir / "predictions.json")).size() == 1);

  data::LoaderOptions lo = data::LoaderOptions::validation(160, 4, 1);
  lo.log = [](const std::string&) {};
  data::Loader loader(ds, lo);
  ValidatorOptions vo;
  vo.print = false;
  const ValResult r = validate(model, loader, vo);
  CHECK(r.images == 4);
  CHECK(std::isfinite(r.map));
  CHECK(r.map >= 0.0);
  CHECK(r.speed.inference > 0.0);
}

}  // namespace ye::yolo

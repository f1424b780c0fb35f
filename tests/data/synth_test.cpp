// Synthetic dataset generator: files, YAML and counts agree; labels are exact (the box centre of each
// filled shape has the saturated class colour, boxes lie inside the image); same seed, same files.
#include <doctest/doctest.h>

#include "data/dataset.h"
#include "data/image.h"
#include "data/synth.h"
#include "kernels/error.h"
#include "helpers.h"

using namespace ye::data;
using namespace ye::data::test;

TEST_CASE("synth: dataset YAML, splits and exact labels") {
  TempDir d("synth");
  for (bool jpeg : {true, false}) {
    SynthOptions o;
    o.out_dir = d / (jpeg ? "jpg" : "png");
    o.images = 12, o.classes = 4, o.imgsz = 96, o.jpeg = jpeg, o.seed = 3;
    SynthResult r = generate_synthetic_dataset(o);
    CHECK(r.train_images == 9);
    CHECK(r.val_images == 3);
    DatasetOptions dopt;
    dopt.log = nullptr;
    auto cfg = load_dataset_yaml(r.yaml_path);
    CHECK(cfg.names == std::vector<std::string>{"circle", "square", "triangle", "diamond"});
    auto train = Dataset::load(cfg, "train", dopt);
    auto val = Dataset::load(cfg, "val", dopt);
    CHECK(int(train.size()) == r.train_images);
    CHECK(train.summary().boxes == r.train_boxes);
    CHECK(val.summary().boxes == r.val_boxes);
    CHECK(train.summary().lines_dropped == 0);
    CHECK(r.train_boxes >= 9);
    for (const auto& rec : train.records()) {
      Image img = load_image(rec.image_path);
      CHECK(std::max(img.w, img.h) == 96);  // long side = imgsz
      for (const auto& b : rec.boxes) {
        CHECK(b.xc - b.w / 2 >= 0.f);
        CHECK(b.xc + b.w / 2 <= 1.f);
        const uint8_t* p = img.row(int(b.yc * img.h)) + 3 * int(b.xc * img.w);
        CHECK(std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]}) > 100);  // saturated shape colour
      }
    }
  }
  SynthOptions again;
  again.out_dir = d / "again";
  again.images = 12, again.classes = 4, again.imgsz = 96, again.jpeg = false, again.seed = 3;
  generate_synthetic_dataset(again);
  CHECK(read_file_bytes(d / "again/images/train/000002.png") == read_file_bytes(d / "png/images/train/000002.png"));
  CHECK(read_file_bytes(d / "again/labels/val/000011.txt") == read_file_bytes(d / "png/labels/val/000011.txt"));
  SynthOptions bad;
  bad.out_dir = d / "bad";
  bad.classes = 0;
  CHECK_THROWS_AS(generate_synthetic_dataset(bad), ye::Error);
}

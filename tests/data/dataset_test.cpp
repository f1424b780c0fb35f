// Dataset YAML and scanning: path/train/val/test forms (folder, .txt list with ./ paths, list), names
// as list or map, nc checks, problem files (corrupt, truncated, zero-byte, tiny, bad labels, missing
// label folder) reported once and summarised, the label cache, and the shared coco8/coco128 counts.
#include <doctest/doctest.h>

#include <filesystem>

#include "data/dataset.h"
#include "data/dataset_yaml.h"
#include "data/image_write.h"
#include "kernels/error.h"
#include "helpers.h"

using namespace ye::data;
using namespace ye::data::test;
namespace fs = std::filesystem;

namespace {

Image plain(int h, int w) {
  Image img(h, w, 90);
  fill_rect(img, w / 4, h / 4, w / 2, h / 2, 200, 30, 30);
  return img;
}

const char* kYamlNamesMap = "path: .\ntrain: images/train\nval: images/val\nnc: 2\nnames:\n  0: cat\n  1: dog\n";

}  // namespace

TEST_CASE("dataset: YAML names as a map or a list, nc must agree") {
  TempDir d("yaml");
  save_png(plain(32, 32), d / "images/train/a.png");
  save_png(plain(32, 32), d / "images/val/b.png");
  write_text(d / "map.yaml", kYamlNamesMap);
  write_text(d / "list.yaml", "path: .\ntrain: images/train\nval: images/val\nnames: [cat, dog, bird]\n");
  write_text(d / "bad.yaml", "path: .\ntrain: images/train\nval: images/val\nnc: 3\nnames: [cat, dog]\n");
  write_text(d / "noval.yaml", "path: .\ntrain: images/train\nnames: [a]\n");
  auto m = load_dataset_yaml(d / "map.yaml");
  CHECK(m.names == std::vector<std::string>{"cat", "dog"});
  CHECK(load_dataset_yaml(d / "list.yaml").nc() == 3);
  CHECK_THROWS_WITH_AS(load_dataset_yaml(d / "bad.yaml"), doctest::Contains("nc is 3 but names has 2"), ye::Error);
  CHECK_THROWS_AS(load_dataset_yaml(d / "noval.yaml"), ye::Error);
  CHECK_THROWS_WITH_AS(load_dataset_yaml(d / "nope.yaml"), doctest::Contains("not found"), ye::Error);
}

TEST_CASE("dataset: root relative to the YAML folder; txt lists with ./ paths; lists of entries") {
  TempDir d("lists");
  for (const char* n : {"a", "b", "c"}) save_png(plain(24, 24), d / (std::string("data/images/x/") + n + ".png"));
  save_png(plain(24, 24), d / "data/images/y/sub/d.png");
  write_text(d / "data/images/x/ignored.txt", "not an image");
  write_text(d / "data/list.txt", "./images/x/a.png\r\n./images/x/c.png\n\n");
  write_text(d / "cfg/ds.yaml", "path: ../data\ntrain: [list.txt, images/y]\nval: images/x\nnames: [o]\n");
  auto cfg = load_dataset_yaml(d / "cfg/ds.yaml");
  auto train = list_split_images(cfg, "train");
  REQUIRE(train.size() == 3);
  CHECK(train[0].find("x/a.png") != std::string::npos);
  CHECK(train[1].find("x/c.png") != std::string::npos);
  CHECK(train[2].find("y/sub/d.png") != std::string::npos);
  CHECK(list_split_images(cfg, "val").size() == 3);
  CHECK_THROWS_WITH_AS(list_split_images(cfg, "test"), doctest::Contains("no 'test' split"), ye::Error);
  write_text(d / "cfg/missing.yaml", "path: ../data\ntrain: nowhere\nval: images/x\nnames: [o]\n");
  CHECK_THROWS_WITH_AS(list_split_images(load_dataset_yaml(d / "cfg/missing.yaml"), "train"),
                       doctest::Contains("does not exist"), ye::Error);
}

TEST_CASE("dataset: label path rule") {
  CHECK(label_path_for("/d/images/train/images/x.jpg") == "/d/images/train/labels/x.txt");
  CHECK(label_path_for("/d/images/a.b.JPG") == "/d/labels/a.b.txt");
  CHECK(label_path_for("/d/pics/x.png") == "/d/pics/x.txt");
}

TEST_CASE("dataset: problem files are skipped and reported once each, then summarised") {
  TempDir d("problems");
  save_png(plain(40, 40), d / "images/train/good1.png");
  save_jpeg(plain(40, 60), d / "images/train/good2.jpg");
  write_text(d / "labels/train/good1.txt", "0 0.5 0.5 0.2 0.2\r\n1 0.3 0.3 0.1 0.1  \n");
  write_text(d / "labels/train/good2.txt", "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.1 0.1\n");
  save_png(plain(40, 40), d / "images/train/empty_label.png");
  write_text(d / "labels/train/empty_label.txt", "");
  save_png(plain(40, 40), d / "images/train/no_label.png");
  write_bytes(d / "images/train/zero.jpg", {});
  write_bytes(d / "images/train/garbage.png", {1, 2, 3, 4, 5, 6, 7, 8, 9});
  save_png(plain(5, 5), d / "images/train/tiny.png");
  Image noisy(160, 160);
  for (size_t i = 0; i < noisy.px.size(); ++i) noisy.px[i] = uint8_t((i * 2654435761u) >> 13);
  auto jpeg = encode_jpeg(noisy, 90);
  jpeg.resize(jpeg.size() * 2 / 3);  // cut inside the entropy-coded data
  write_bytes(d / "images/train/truncated.jpg", jpeg);
  write_text(d / "images/val/.keep", "");
  save_png(plain(40, 40), d / "images/val/v.png");
  write_text(d / "ds.yaml", kYamlNamesMap);
  LogSink log;
  DatasetOptions opt;
  opt.log = log.fn();
  auto ds = Dataset::load(load_dataset_yaml(d / "ds.yaml"), "train", opt);
  const auto& s = ds.summary();
  CHECK(s.corrupt == 3);  // zero-byte, garbage, tiny
  CHECK(s.images == 5);   // good1, good2, empty_label, no_label, truncated
  CHECK(s.backgrounds == 3);
  CHECK(s.missing_labels == 2);
  CHECK(s.lines_dropped == 2);  // duplicate + class 7 >= nc
  CHECK(s.boxes == 3);
  CHECK(s.line() == "train: 5 images, 3 backgrounds, 3 corrupt (skipped), 2 label lines dropped");
  CHECK(log.count("zero.jpg") == 1);
  CHECK(log.count("garbage.png") == 1);
  CHECK(log.count("tiny.png") == 1);
  CHECK(log.count("good2.txt") == 1);
  CHECK(log.count("truncated.jpg") == 1);
  CHECK(log.count("train: 5 images") == 1);
  auto counts = ds.class_counts();
  CHECK(counts == std::vector<int64_t>{2, 1});
}

TEST_CASE("dataset: missing label folder means backgrounds; no usable image stops clearly") {
  TempDir d("nolabels");
  save_png(plain(30, 30), d / "images/train/a.png");
  save_png(plain(30, 30), d / "images/val/b.png");
  write_text(d / "ds.yaml", kYamlNamesMap);
  DatasetOptions opt;
  opt.log = nullptr;
  auto ds = Dataset::load(load_dataset_yaml(d / "ds.yaml"), "train", opt);
  CHECK(ds.size() == 1);
  CHECK(ds.summary().backgrounds == 1);
  TempDir e("nousable");
  write_bytes(e / "images/train/a.jpg", {});
  write_bytes(e / "images/val/a.jpg", {0xFF, 0xD8, 0xFF});
  write_text(e / "ds.yaml", kYamlNamesMap);
  CHECK_THROWS_WITH_AS(Dataset::load(load_dataset_yaml(e / "ds.yaml"), "val", opt),
                       doctest::Contains("no usable image"), ye::Error);
  TempDir f("noimages");
  fs::create_directories(f.path / "images/train");
  fs::create_directories(f.path / "images/val");
  write_text(f / "ds.yaml", kYamlNamesMap);
  CHECK_THROWS_WITH_AS(Dataset::load(load_dataset_yaml(f / "ds.yaml"), "train", opt),
                       doctest::Contains("no images found"), ye::Error);
}

TEST_CASE("dataset: the label cache is written, reused, rebuilt on change, skipped when read-only") {
  TempDir d("cache");
  save_png(plain(40, 40), d / "images/train/a.png");
  save_png(plain(40, 40), d / "images/train/b.png");
  write_text(d / "labels/train/a.txt", "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n");
  save_png(plain(40, 40), d / "images/val/v.png");
  write_text(d / "ds.yaml", kYamlNamesMap);
  auto cfg = load_dataset_yaml(d / "ds.yaml");
  LogSink log;
  DatasetOptions opt;
  opt.log = log.fn();
  auto first = Dataset::load(cfg, "train", opt);
  CHECK_FALSE(first.summary().from_cache);
  CHECK(fs::exists(d / "labels/train.yecache"));
  auto second = Dataset::load(cfg, "train", opt);
  CHECK(second.summary().from_cache);
  CHECK(second.size() == first.size());
  CHECK(second[0].boxes == first[0].boxes);
  CHECK(second.summary().line() == first.summary().line());
  CHECK(log.count("duplicate row") == 2);  // reported again from the cache, once per start
  write_text(d / "labels/train/b.txt", "1 0.5 0.5 0.4 0.4\n");
  auto third = Dataset::load(cfg, "train", opt);
  CHECK_FALSE(third.summary().from_cache);
  CHECK(third.summary().boxes == 2);
  // Read-only labels folder (like the shared datasets): one warning, no failure.
  fs::remove(d / "labels/train.yecache");
  fs::permissions(d.path / "labels", fs::perms::owner_read | fs::perms::owner_exec);
  LogSink ro;
  opt.log = ro.fn();
  auto fourth = Dataset::load(cfg, "train", opt);
  CHECK(fourth.size() == 2);
  CHECK(ro.count("cannot write the label cache") == 1);
  CHECK_FALSE(fs::exists(d / "labels/train.yecache"));
}

TEST_CASE("dataset: coco8 and coco128 give the documented counts") {
  const std::string root = YE_SOURCE_DIR "/../shared/datasets";
  if (!fs::exists(root + "/coco128/coco128.yaml")) return;
  DatasetOptions opt;
  opt.label_cache = false;  // never write into the shared datasets
  opt.log = nullptr;
  auto c128 = load_dataset_yaml(root + "/coco128/coco128.yaml");
  CHECK(c128.nc() == 80);
  auto train = Dataset::load(c128, "train", opt);
  auto val = Dataset::load(c128, "val", opt);
  CHECK(train.size() == 102);
  CHECK(train.summary().boxes == 778);
  CHECK(train.summary().backgrounds == 2);
  CHECK(train.summary().corrupt == 0);
  CHECK(val.size() == 26);
  CHECK(val.summary().boxes == 151);
  opt.fraction = 0.5;  // --fraction: the first round(102 * 0.5) sorted images
  auto half = Dataset::load(c128, "train", opt);
  CHECK(half.size() == 51);
  CHECK(half[50].image_path == train[50].image_path);
  opt.fraction = 1.0;
  auto c8 = load_dataset_yaml(root + "/coco8/coco8.yaml");
  CHECK(Dataset::load(c8, "train", opt).size() == 4);
  CHECK(Dataset::load(c8, "val", opt).size() == 4);
}

// Loader: identical batches for the same seed with 0, 1 and 4 workers; epochs differ; distributed
// sampler shares are disjoint; rect validation shapes and metadata map boxes back; train boxes sit on
// their objects; RAM cache gives the same batches; close_mosaic switches to letterbox samples.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <set>

#include "data/loader.h"
#include "helpers.h"

using namespace ye::data;
using namespace ye::data::test;

namespace {

const uint8_t kColours[3][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};

// n PNG images of varied sizes, each with one solid rectangle of its class colour.
std::shared_ptr<const Dataset> rect_dataset(const TempDir& d, int n) {
  for (int i = 0; i < n; ++i) {
    const int h = 60 + 13 * (i % 5), w = 90 - 9 * (i % 4), c = i % 3;
    Image img(h, w, 40);
    const int x1 = 5 + i % 7, y1 = 8 + i % 5, x2 = w - 20, y2 = h - 15;
    fill_rect(img, x1, y1, x2, y2, kColours[c][0], kColours[c][1], kColours[c][2]);
    std::string stem = "img" + std::to_string(100 + i);
    save_png(img, d / ("images/train/" + stem + ".png"));
    char line[128];
    std::snprintf(line, sizeof line, "%d %f %f %f %f\n", c, (x1 + x2) / 2.0 / w, (y1 + y2) / 2.0 / h, double(x2 - x1) / w,
                  double(y2 - y1) / h);
    write_text(d / ("labels/train/" + stem + ".txt"), line);
  }
  std::vector<std::string> files;
  for (int i = 0; i < n; ++i) files.push_back(d / ("images/train/img" + std::to_string(100 + i) + ".png"));
  DatasetOptions opt;
  opt.log = nullptr;
  return std::make_shared<const Dataset>(Dataset::from_files(files, 3, "train", opt));
}

std::vector<Batch> epoch_batches(Loader& l, int epoch) {
  l.set_epoch(epoch);
  std::vector<Batch> out;
  while (auto b = l.next()) out.push_back(std::move(*b));
  return out;
}

bool same_batches(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].image_bytes() != b[i].image_bytes() || a[i].targets != b[i].targets) return false;
    if (std::memcmp(a[i].images, b[i].images, a[i].image_bytes()) != 0) return false;
  }
  return true;
}

LoaderOptions small_train(int workers) {
  LoaderOptions o;
  o.imgsz = 64, o.batch_size = 4, o.workers = workers, o.seed = 7, o.log = nullptr;
  o.aug.mixup = 0.3;  // exercise the mixup path too
  return o;
}

}  // namespace

TEST_CASE("loader: same seed gives identical batches with 0, 1 and 4 workers") {
  TempDir d("loader_det");
  auto ds = rect_dataset(d, 10);
  Loader l0(ds, small_train(0)), l1(ds, small_train(1)), l4(ds, small_train(4));
  CHECK(l1.num_batches() == 3);
  for (int epoch : {0, 1}) {
    auto b0 = epoch_batches(l0, epoch), b1 = epoch_batches(l1, epoch), b4 = epoch_batches(l4, epoch);
    REQUIRE(b1.size() == 3);
    CHECK(b1.back().batch_size == 2);  // drop_last = false
    CHECK(same_batches(b1, b4));
    CHECK(same_batches(b0, b1));
  }
  CHECK_FALSE(same_batches(epoch_batches(l1, 0), epoch_batches(l1, 1)));
  auto o = small_train(2);
  o.seed = 8;
  Loader other(ds, o);
  CHECK_FALSE(same_batches(epoch_batches(l1, 0), epoch_batches(other, 0)));
}

TEST_CASE("loader: train boxes sit on their objects; targets normalised; RAM cache is identical") {
  TempDir d("loader_boxes");
  auto ds = rect_dataset(d, 9);
  auto o = small_train(2);
  o.aug.hsv_h = o.aug.hsv_s = o.aug.hsv_v = 0;
  o.aug.mixup = 0;
  Loader l(ds, o);
  auto batches = epoch_batches(l, 3);
  size_t boxes = 0;
  for (const auto& b : batches) {
    CHECK(b.height == 64);
    for (size_t t = 0; t < b.num_targets(); ++t) {
      const float* r = &b.targets[6 * t];
      CHECK(r[2] - r[4] / 2 >= -1e-5f);
      CHECK(r[2] + r[4] / 2 <= 1 + 1e-5f);
      int x = int(r[2] * 64), y = int(r[3] * 64), c = int(r[1]);
      const uint8_t* p = b.images + ((size_t(r[0]) * 64 + y) * 64 + x) * 3;
      CHECK(std::abs(p[0] - kColours[c][0]) + std::abs(p[1] - kColours[c][1]) + std::abs(p[2] - kColours[c][2]) < 30);
      ++boxes;
    }
  }
  CHECK(boxes >= 9);
  o.cache_ram = true;
  Loader cached(ds, o);
  CHECK(cached.ram_cache_bytes() > 0);
  CHECK(same_batches(batches, epoch_batches(cached, 3)));
  auto padded = batches[0].padded_targets();
  CHECK(padded.size() % 5 == 0);
}

TEST_CASE("loader: close_mosaic switches to letterboxed samples") {
  TempDir d("loader_close");
  auto ds = rect_dataset(d, 4);
  auto o = small_train(1);
  o.aug.translate = 0, o.aug.scale = 0, o.aug.fliplr = 0, o.aug.mixup = 0;
  o.aug.hsv_h = o.aug.hsv_s = o.aug.hsv_v = 0;
  Loader l(ds, o);
  l.close_mosaic();
  auto b = epoch_batches(l, 0);
  REQUIRE(b.size() == 1);
  CHECK(b[0].num_targets() == 4);  // one object per image, no mosaic partners
  for (int i = 0; i < 4; ++i) CHECK(b[0].images[size_t(i) * 64 * 64 * 3] == 114);  // letterbox padding at the top
}

TEST_CASE("loader: distributed sampler gives disjoint, complete shares") {
  std::set<size_t> seen;
  size_t total = 0;
  for (int r = 0; r < 3; ++r) {
    auto idx = distributed_indices(12, true, 5, 2, r, 3);
    CHECK(idx.size() == 4);
    total += idx.size();
    seen.insert(idx.begin(), idx.end());
  }
  CHECK(total == 12);
  CHECK(seen.size() == 12);
  CHECK(distributed_indices(12, true, 5, 2, 0, 3) != distributed_indices(12, true, 5, 3, 0, 3));
  auto padded = distributed_indices(10, false, 0, 0, 2, 4);  // 10 -> 12, rank 2 gets 2, 6, 10 -> 0
  CHECK(padded == std::vector<size_t>{2, 6, 0});
}

TEST_CASE("loader: rect shapes follow the reference rule") {
  auto s = rect_batch_shapes({0.5, 0.75, 1.2, 1.5, 0.9, 1.1}, 2, 640, 32, 0.5);
  REQUIRE(s.size() == 3);
  CHECK(s[0] == std::array<int, 2>{512, 672});
  CHECK(s[1] == std::array<int, 2>{672, 576});  // all tall: w = ceil(640/1.2/32 + 0.5) * 32
  CHECK(s[2] == std::array<int, 2>{672, 672});
}

TEST_CASE("loader: validation batches on coco8 map boxes back to the original image") {
  const std::string yaml = YE_SOURCE_DIR "/../shared/datasets/coco8/coco8.yaml";
  if (!std::filesystem::exists(yaml)) return;
  DatasetOptions dopt;
  dopt.label_cache = false;
  dopt.log = nullptr;
  auto ds = std::make_shared<const Dataset>(Dataset::load(load_dataset_yaml(yaml), "val", dopt));
  auto o = LoaderOptions::validation(640, 2, 2);
  o.log = nullptr;
  Loader l(ds, o);
  auto batches = epoch_batches(l, 0);
  REQUIRE(batches.size() == 2);
  size_t n = 0;
  for (const auto& b : batches) {
    CHECK(b.height % 32 == 0);
    CHECK(b.width % 32 == 0);
    for (size_t t = 0; t < b.num_targets(); ++t, ++n) {
      const float* r = &b.targets[6 * t];
      const ImageMeta& m = b.meta[size_t(r[0])];
      const float x1 = ((r[2] - r[4] / 2) * b.width - m.pad_left) / m.ratio_w;
      const float y1 = ((r[3] - r[5] / 2) * b.height - m.pad_top) / m.ratio_h;
      bool found = false;  // the label box, in original pixels
      for (const auto& box : (*ds)[m.dataset_index].boxes)
        found = found || (std::abs((box.xc - box.w / 2) * m.w0 - x1) < 1.0f && std::abs((box.yc - box.h / 2) * m.h0 - y1) < 1.0f);
      CHECK(found);
    }
  }
  CHECK(n == ds->summary().boxes);
}

TEST_CASE("loader: an image that disappears after the scan becomes a gray background, reported once") {
  TempDir d("loader_gone");
  auto ds = rect_dataset(d, 4);
  std::filesystem::remove((*ds)[1].image_path);
  LogSink log;
  auto o = small_train(2);
  o.log = log.fn();
  Loader l(ds, o);
  for (int epoch = 0; epoch < 2; ++epoch) {
    auto b = epoch_batches(l, epoch);
    REQUIRE(b.size() == 1);
    CHECK(b[0].batch_size == 4);
  }
  CHECK(log.count("img101.png") == 1);
  auto v = LoaderOptions::validation(64, 4, 0);
  v.log = nullptr;
  Loader val(ds, v);
  auto vb = epoch_batches(val, 0);
  REQUIRE(vb.size() == 1);
  CHECK(vb[0].num_targets() == 3);  // the missing image's box is not a target
}

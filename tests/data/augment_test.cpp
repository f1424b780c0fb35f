// Augmentation: boxes stay on their objects through mosaic, affine (default and rotated/sheared),
// perspective and flips (solid rectangles of unique colours; each box within 2 px of its pixels);
// HSV follows OpenCV's HSV with known values; mixup blend; box candidate filter.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "data/augment.h"
#include "data/pixel_ops.h"
#include "helpers.h"

using namespace ye::data;
using namespace ye::data::test;

namespace {

// Corners of the RGB cube except black: no one is a blend of the others or of the backgrounds.
const uint8_t kColours[7][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {255, 255, 0}, {255, 0, 255}, {0, 255, 255}, {255, 255, 255}};

struct Tile {
  Image img;
  std::vector<PixelBox> boxes;
};

Tile make_tile(int h, int w, std::vector<std::array<int, 5>> rects) {  // cls, x1, y1, x2, y2
  Tile t{Image(h, w, 40), {}};
  for (auto [c, x1, y1, x2, y2] : rects) {
    fill_rect(t.img, x1, y1, x2, y2, kColours[c][0], kColours[c][1], kColours[c][2]);
    t.boxes.push_back({c, float(x1), float(y1), float(x2), float(y2)});
  }
  return t;
}

// Pixel extent of colour c: [x1, x2) x [y1, y2); empty when absent.
std::array<int, 4> colour_extent(const Image& img, int c) {
  std::array<int, 4> e{1 << 30, 1 << 30, -1, -1};
  for (int y = 0; y < img.h; ++y)
    for (int x = 0; x < img.w; ++x) {
      const uint8_t* p = img.row(y) + 3 * x;
      if (std::abs(p[0] - kColours[c][0]) < 10 && std::abs(p[1] - kColours[c][1]) < 10 &&
          std::abs(p[2] - kColours[c][2]) < 10) {
        e[0] = std::min(e[0], x), e[1] = std::min(e[1], y), e[2] = std::max(e[2], x + 1), e[3] = std::max(e[3], y + 1);
      }
    }
  return e;
}

// Every box lies within 2 px of the pixels of its rectangle; returns the number of boxes checked.
// With rotation, a rectangle cut by the image border gets the clipped box of its transformed corners
// (the reference's rule), larger than the visible part: those boxes are skipped when `rotated`.
int check_boxes_on_objects(const Sample& s, bool rotated = false) {
  std::map<int, int> per_class;
  for (const auto& b : s.boxes) per_class[b.cls]++;
  int checked = 0;
  for (const auto& b : s.boxes) {
    REQUIRE(per_class[b.cls] == 1);  // one rectangle per colour
    if (rotated && (b.x1 <= 0 || b.y1 <= 0 || b.x2 >= s.img.w || b.y2 >= s.img.h)) continue;
    auto e = colour_extent(s.img, b.cls);
    INFO("class " << b.cls << " box " << b.x1 << "," << b.y1 << "," << b.x2 << "," << b.y2 << " pixels " << e[0] << ","
                  << e[1] << "," << e[2] << "," << e[3]);
    REQUIRE(e[2] > 0);
    CHECK(std::abs(b.x1 - e[0]) <= 2.0f);
    CHECK(std::abs(b.y1 - e[1]) <= 2.0f);
    CHECK(std::abs(b.x2 - e[2]) <= 2.0f);
    CHECK(std::abs(b.y2 - e[3]) <= 2.0f);
    ++checked;
  }
  return checked;
}

Sample run_pipeline(const std::array<Tile, 4>& tiles, int s, const AugmentOptions& opt, uint64_t seed) {
  SampleRng rng(seed, 0, 0);
  std::array<const Image*, 4> imgs{&tiles[0].img, &tiles[1].img, &tiles[2].img, &tiles[3].img};
  std::array<const std::vector<PixelBox>*, 4> boxes{&tiles[0].boxes, &tiles[1].boxes, &tiles[2].boxes, &tiles[3].boxes};
  Sample m = mosaic4(imgs, boxes, s, rng);
  Sample out = random_perspective(m, -s / 2, opt, rng);
  random_flips(out, opt, rng);
  return out;
}

}  // namespace

TEST_CASE("augment: mosaic keeps boxes on their rectangles") {
  const int s = 96;
  std::array<Tile, 4> tiles{make_tile(96, 80, {{0, 10, 10, 40, 30}, {1, 50, 60, 75, 90}}),
                            make_tile(70, 96, {{2, 5, 40, 30, 65}, {3, 60, 5, 90, 30}}),
                            make_tile(96, 96, {{4, 30, 30, 70, 50}, {5, 2, 70, 20, 94}}),
                            make_tile(60, 90, {{6, 20, 10, 60, 50}})};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    SampleRng rng(seed, 0, 0);
    std::array<const Image*, 4> imgs{&tiles[0].img, &tiles[1].img, &tiles[2].img, &tiles[3].img};
    std::array<const std::vector<PixelBox>*, 4> boxes{&tiles[0].boxes, &tiles[1].boxes, &tiles[2].boxes, &tiles[3].boxes};
    Sample m = mosaic4(imgs, boxes, s, rng);
    CHECK(m.img.h == 2 * s);
    CHECK(check_boxes_on_objects(m) >= 1);
  }
}

TEST_CASE("augment: mosaic + affine + flips keep boxes on their rectangles (defaults and rotated)") {
  const int s = 128;
  std::array<Tile, 4> tiles{make_tile(128, 100, {{0, 10, 10, 50, 40}, {1, 60, 70, 95, 120}}),
                            make_tile(90, 128, {{2, 5, 40, 40, 85}, {3, 70, 5, 120, 40}}),
                            make_tile(128, 128, {{4, 40, 40, 100, 70}, {5, 5, 90, 30, 125}}),
                            make_tile(80, 120, {{6, 30, 10, 90, 70}})};
  AugmentOptions def;
  AugmentOptions rot = def;
  rot.degrees = 30, rot.fliplr = 0.5, rot.flipud = 0.5;
  int total = 0;
  for (uint64_t seed = 0; seed < 12; ++seed) {
    Sample a = run_pipeline(tiles, s, def, seed);
    CHECK(a.img.h == s);
    CHECK(a.img.w == s);
    total += check_boxes_on_objects(a);
    total += check_boxes_on_objects(run_pipeline(tiles, s, rot, seed + 100), true);
  }
  CHECK(total > 24);
}

TEST_CASE("augment: letterbox path + perspective keeps boxes on their rectangles") {
  Tile t = make_tile(60, 100, {{0, 10, 10, 40, 40}, {3, 60, 20, 95, 55}});
  AugmentOptions opt;
  opt.perspective = 0.0005;
  opt.degrees = 10;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    SampleRng rng(seed, 1, 2);
    Sample lb = letterbox_sample(t.img, t.boxes, 128);
    CHECK(lb.img.h == 128);
    check_boxes_on_objects(lb);
    Sample out = random_perspective(lb, 0, opt, rng);
    random_flips(out, opt, rng);
    check_boxes_on_objects(out, true);
  }
}

TEST_CASE("augment: box candidate filter drops slivers") {
  Sample in{Image(100, 100, 40), {{0, 0, 0, 2, 50}, {1, 10, 10, 60, 60}}};
  AugmentOptions opt;
  opt.translate = 0, opt.scale = 0;
  SampleRng rng(0, 0, 0);
  Sample out = random_perspective(in, 0, opt, rng);
  REQUIRE(out.boxes.size() == 1);  // 2 px wide box fails w > 2
  CHECK(out.boxes[0].cls == 1);
  CHECK(out.boxes[0].x1 == doctest::Approx(10));
}

TEST_CASE("augment: HSV follows OpenCV's uint8 HSV") {
  Image img(1, 4);
  img.px = {255, 0, 0, 100, 100, 100, 0, 0, 255, 10, 200, 30};
  Image same = img;
  apply_hsv_gains(same, 0, 0, 0);
  for (size_t i = 0; i < img.px.size(); ++i) CHECK(std::abs(int(same.px[i]) - int(img.px[i])) <= 2);
  Image hue = img;
  apply_hsv_gains(hue, 60.0 / 180.0, 0, 0);  // +120 degrees: red -> green, blue -> red
  CHECK(hue.px[0] == 0);
  CHECK(hue.px[1] == 255);
  CHECK(hue.px[2] == 0);
  CHECK(hue.px[3] == 100);  // gray has no hue
  CHECK(hue.px[6] == 255);
  CHECK(hue.px[8] == 0);
  Image val = img;
  apply_hsv_gains(val, 0, 0, 0.5);
  CHECK(val.px[3] == 150);
  CHECK(val.px[0] == 255);  // clipped
  Image sat = img;
  apply_hsv_gains(sat, 0, -1.0, 0);  // saturation 0: gray at V
  CHECK(sat.px[9] == 200);
  CHECK(sat.px[10] == 200);
  CHECK(sat.px[11] == 200);
}

TEST_CASE("augment: flips and mixup blend") {
  Image a(2, 3, 0);
  a.row(0)[0] = 9;
  Image b = a;
  flip_horizontal(b);
  CHECK(b.row(0)[6] == 9);
  flip_vertical(b);
  CHECK(b.row(1)[6] == 9);
  Image x(1, 1, 200), y(1, 1, 100);
  blend_images(x, y, 0.5);
  CHECK(x.px[0] == 150);
}

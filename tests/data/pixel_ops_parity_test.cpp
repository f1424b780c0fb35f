// Augmentation pixel ops against the reference (tests/parity/goldens/data from gen_data.py): the HSV
// pass against its own RandomHSV (ten drawn gain triples, byte for byte, the vector path on the whole
// image and the per-pixel tail row by row on a 61-pixel crop), warp_affine against cv2.warpAffine as
// random_perspective calls it (axis-aligned matrices byte for byte, rotated ones within 1 level),
// warp_perspective against cv2.warpPerspective (within 1 level),
// resize_bilinear against cv2.resize with INTER_LINEAR and load_image against cv2.imread (coco8).
#include <doctest/doctest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/image.h"
#include "data/pixel_ops.h"

using namespace ye::data;

namespace {
const std::string kDir = std::string(YE_SOURCE_DIR) + "/tests/parity/goldens/data/";

std::vector<uint8_t> read_bytes(const std::string& name) {
  std::ifstream f(kDir + name, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "missing golden ", kDir + name);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

nlohmann::json read_meta(const std::string& name) {
  std::ifstream f(kDir + name);
  REQUIRE_MESSAGE(f.good(), "missing golden ", kDir + name);
  return nlohmann::json::parse(f);
}

// The golden's source image of (src_height, src_width).
Image read_source(const nlohmann::json& meta) {
  Image src(meta["src_height"], meta["src_width"]);
  src.px = read_bytes(meta["input"]);
  REQUIRE(src.px.size() == size_t(src.h) * src.w * 3);
  return src;
}

struct ByteDiff {
  int64_t differing = 0, worst = 0;
};

ByteDiff diff(const std::vector<uint8_t>& ours, const std::vector<uint8_t>& expected) {
  REQUIRE(ours.size() == expected.size());
  ByteDiff d;
  for (size_t i = 0; i < ours.size(); ++i) {
    d.differing += ours[i] != expected[i];
    d.worst = std::max<int64_t>(d.worst, std::abs(int(ours[i]) - int(expected[i])));
  }
  return d;
}

// Columns [0, w) of every row of an (h, full_w) image.
Image crop_width(const std::vector<uint8_t>& px, int h, int full_w, int w) {
  Image out(h, w);
  for (int y = 0; y < h; ++y)
    std::copy_n(px.begin() + std::ptrdiff_t(y) * full_w * 3, size_t(w) * 3, out.row(y));
  return out;
}
}  // namespace

TEST_CASE("HSV augmentation equals the reference's RandomHSV byte for byte") {
  const nlohmann::json meta = read_meta("hsv.json");
  const int h = meta["height"], w = meta["width"];
  const std::vector<uint8_t> input = read_bytes(meta["input"]);
  REQUIRE(input.size() == size_t(h) * w * 3);
  for (const auto& c : meta["cases"]) {
    const std::string file = c["file"];
    CAPTURE(file);
    const std::vector<uint8_t> expected = read_bytes(file);
    Image img = crop_width(input, h, w, w);
    apply_hsv_gains(img, c["gain_h"], c["gain_s"], c["gain_v"]);
    CHECK(diff(img.px, expected).differing == 0);
    // Each row alone, 61 pixels wide: 56 through the vector path, the last 5 per pixel.
    const Image crop = crop_width(input, h, w, w - 3), want = crop_width(expected, h, w, w - 3);
    Image rows(h, w - 3);
    for (int y = 0; y < h; ++y) {
      Image row(1, w - 3);
      std::copy_n(crop.row(y), size_t(w - 3) * 3, row.row(0));
      apply_hsv_gains(row, c["gain_h"], c["gain_s"], c["gain_v"]);
      std::copy_n(row.row(0), size_t(w - 3) * 3, rows.row(y));
    }
    CHECK(diff(rows.px, want.px).differing == 0);
  }
}

TEST_CASE("warp_affine equals cv2.warpAffine (axis-aligned: byte for byte; rotated: within 1 level)") {
  const nlohmann::json meta = read_meta("warp.json");
  const Image src = read_source(meta);
  for (const auto& c : meta["cases"]) {
    const std::string file = c["file"];
    CAPTURE(file);
    const std::vector<uint8_t> expected = read_bytes(file);
    std::array<double, 6> M{};
    for (int i = 0; i < 6; ++i) M[size_t(i)] = c["matrix"][size_t(i)];
    Image out(meta["height"], meta["width"], 0);
    warp_affine(src, out, M, 114);
    const ByteDiff d = diff(out.px, expected);
    if (c["axis_aligned"]) {
      CHECK(d.differing == 0);
    } else {
      CHECK(d.worst <= 1);
      CHECK(d.differing * 50 <= int64_t(out.px.size()));  // at most 2% of the bytes
    }
  }
}

TEST_CASE("warp_perspective is within 1 level of cv2.warpPerspective on at most 2% of the bytes") {
  const nlohmann::json meta = read_meta("perspective.json");
  const Image src = read_source(meta);
  for (const auto& c : meta["cases"]) {
    const std::string file = c["file"];
    CAPTURE(file);
    std::array<double, 9> M{};
    for (int i = 0; i < 9; ++i) M[size_t(i)] = c["matrix"][size_t(i)];
    Image out(meta["height"], meta["width"], 0);
    warp_perspective(src, out, M, 114);
    const ByteDiff d = diff(out.px, read_bytes(file));
    CHECK(d.worst <= 1);
    CHECK(d.differing * 50 <= int64_t(out.px.size()));
  }
}

TEST_CASE("resize_bilinear equals cv2.resize with INTER_LINEAR byte for byte") {
  const nlohmann::json meta = read_meta("resize.json");
  const Image src = read_source(meta);
  for (const auto& c : meta["cases"]) {
    const std::string file = c["file"];
    CAPTURE(file);
    const Image out = resize_bilinear(src, c["height"], c["width"]);
    CHECK(diff(out.px, read_bytes(file)).differing == 0);
  }
}

TEST_CASE("load_image decodes the coco8 JPEGs to the bytes cv2.imread gives") {
  const nlohmann::json meta = read_meta("decode.json");
  for (const auto& c : meta["images"]) {
    const std::string name = c["image"];
    CAPTURE(name);
    const Image img = load_image(std::string(YE_SOURCE_DIR) + "/../shared/datasets/coco8/images/" + name);
    CHECK(img.h == c["height"].get<int>());
    CHECK(img.w == c["width"].get<int>());
    uint64_t h = 0xCBF29CE484222325ull;
    for (uint8_t b : img.px) h = (h ^ b) * 0x100000001B3ull;
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    CHECK(std::string(hex) == c["fnv1a64"].get<std::string>());
  }
}

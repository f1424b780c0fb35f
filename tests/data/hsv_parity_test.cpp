// The HSV gain pass against the reference's own RandomHSV (tests/parity/goldens/data from gen_data.py):
// ten drawn gain triples on one 64x64 image with rows of ties and extremes, byte for byte, through the
// 8-pixel vector path and, row by row on a crop 61 pixels wide, the per-pixel tail as well.
#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/pixel_ops.h"

using namespace ye::data;

namespace {
const std::string kDir = std::string(YE_SOURCE_DIR) + "/tests/parity/goldens/data/";

std::vector<uint8_t> read_bytes(const std::string& name) {
  std::ifstream f(kDir + name, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "missing golden ", kDir + name);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
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
  std::ifstream meta_file(kDir + "hsv.json");
  REQUIRE(meta_file.good());
  const nlohmann::json meta = nlohmann::json::parse(meta_file);
  const int h = meta["height"], w = meta["width"];
  const std::vector<uint8_t> input = read_bytes(meta["input"]);
  REQUIRE(input.size() == size_t(h) * w * 3);
  for (const auto& c : meta["cases"]) {
    const std::string file = c["file"];
    CAPTURE(file);
    const std::vector<uint8_t> expected = read_bytes(file);
    Image img = crop_width(input, h, w, w);
    apply_hsv_gains(img, c["gain_h"], c["gain_s"], c["gain_v"]);
    int64_t differing = 0;
    for (size_t i = 0; i < img.px.size(); ++i) differing += img.px[i] != expected[i];
    CHECK(differing == 0);
    // Each row alone, 61 pixels wide: 56 through the vector path, the last 5 per pixel.
    const Image crop = crop_width(input, h, w, w - 3), want = crop_width(expected, h, w, w - 3);
    differing = 0;
    for (int y = 0; y < h; ++y) {
      Image row(1, w - 3);
      std::copy_n(crop.row(y), size_t(w - 3) * 3, row.row(0));
      apply_hsv_gains(row, c["gain_h"], c["gain_s"], c["gain_v"]);
      for (int i = 0; i < (w - 3) * 3; ++i) differing += row.px[size_t(i)] != want.row(y)[i];
    }
    CHECK(differing == 0);
  }
}

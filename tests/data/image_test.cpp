// Decoding and single-image operations: JPEG/PNG/BMP round trips, grayscale and CMYK JPEGs, EXIF
// orientation, corrupt/truncated/zero-byte inputs (errors, never crashes), bilinear resize values,
// the long-side resize rule and letterbox geometry.
#include <doctest/doctest.h>
#include <turbojpeg.h>

#include <cstring>

#include "data/image.h"
#include "data/image_write.h"
#include "kernels/error.h"
#include "helpers.h"

using namespace ye::data;
using ye::data::test::TempDir;

namespace {

Image gradient_image(int h, int w) {
  Image img(h, w);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      uint8_t* p = img.row(y) + 3 * x;
      p[0] = uint8_t(x * 255 / w), p[1] = uint8_t(y * 255 / h), p[2] = 100;
    }
  return img;
}

double mean_abs_diff(const Image& a, const Image& b) {
  double s = 0;
  for (size_t i = 0; i < a.px.size(); ++i) s += std::abs(int(a.px[i]) - int(b.px[i]));
  return s / double(a.px.size());
}

// A JPEG with an EXIF APP1 segment carrying `orientation`, inserted right after SOI.
std::vector<uint8_t> with_exif_orientation(const std::vector<uint8_t>& jpeg, int orientation) {
  const uint8_t tiff[] = {'M', 'M', 0, 42, 0, 0, 0, 8,  // big-endian TIFF header, IFD0 at 8
                          0, 1,                          // one entry
                          0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, uint8_t(orientation), 0, 0,
                          0, 0, 0, 0};  // next IFD
  std::vector<uint8_t> app1 = {'E', 'x', 'i', 'f', 0, 0};
  app1.insert(app1.end(), std::begin(tiff), std::end(tiff));
  size_t len = app1.size() + 2;
  std::vector<uint8_t> out;
  out.reserve(jpeg.size() + app1.size() + 6);
  for (uint8_t b : {uint8_t(0xFF), uint8_t(0xD8), uint8_t(0xFF), uint8_t(0xE1), uint8_t(len >> 8), uint8_t(len & 0xFF)})
    out.push_back(b);
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

}  // namespace

TEST_CASE("image: JPEG and PNG round trips") {
  TempDir dir("image_rt");
  Image src = gradient_image(48, 64);
  write_jpeg(src, dir / "a.jpg", 95);
  write_png(src, dir / "a.png");
  Image j = load_image(dir / "a.jpg");
  REQUIRE(j.h == 48);
  REQUIRE(j.w == 64);
  CHECK(mean_abs_diff(j, src) < 3.0);
  Image p = load_image(dir / "a.png");
  REQUIRE(p.h == 48);
  CHECK(p.px == src.px);
  auto bytes = read_file_bytes(dir / "a.png");
  ImageInfo info = probe_image(bytes.data(), bytes.size(), "a.png");
  CHECK(info.format == ImageFormat::png);
  CHECK(info.h == 48);
  CHECK(info.w == 64);
}

TEST_CASE("image: BMP through stb_image") {
  // 2x2 24-bit BMP, bottom-up rows padded to 4 bytes.
  std::vector<uint8_t> bmp = {'B', 'M', 70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0,
                              24, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0x13, 0x0B, 0, 0, 0x13, 0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  const uint8_t rows[] = {255, 0, 0, 0, 255, 0, 0, 0,     // bottom row: blue, green (BGR) + pad
                          0, 0, 255, 255, 255, 255, 0, 0};  // top row: red, white + pad
  bmp.insert(bmp.end(), std::begin(rows), std::end(rows));
  Image img = decode_image(bmp.data(), bmp.size(), "t.bmp");
  REQUIRE(img.h == 2);
  REQUIRE(img.w == 2);
  const uint8_t expect[] = {255, 0, 0, 255, 255, 255, 0, 0, 255, 0, 255, 0};
  CHECK(std::memcmp(img.px.data(), expect, 12) == 0);
}

TEST_CASE("image: grayscale JPEG decodes to RGB with equal channels") {
  Image src = gradient_image(32, 32);
  tjhandle tj = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  REQUIRE(tjCompress2(tj, src.px.data(), 32, 0, 32, TJPF_RGB, &buf, &size, TJSAMP_GRAY, 90, 0) == 0);
  Image g = decode_image(buf, size, "gray.jpg");
  tjFree(buf);
  tjDestroy(tj);
  REQUIRE(g.h == 32);
  bool equal = true;
  for (size_t i = 0; i < g.px.size(); i += 3) equal = equal && g.px[i] == g.px[i + 1] && g.px[i] == g.px[i + 2];
  CHECK(equal);
}

TEST_CASE("image: the coco128 grayscale JPEG loads as RGB") {
  const std::string path = YE_SOURCE_DIR "/../shared/datasets/coco128/images/train/000000000086.jpg";
  if (!std::filesystem::exists(path)) return;
  Image g = load_image(path);
  CHECK(g.h > 0);
  CHECK(g.px.size() == size_t(g.h) * g.w * 3);
  CHECK(g.px[0] == g.px[1]);
  CHECK(g.px[3 * 100] == g.px[3 * 100 + 2]);
}

TEST_CASE("image: CMYK JPEG is converted to RGB (inverted Adobe CMYK)") {
  const int w = 16, h = 16;
  std::vector<uint8_t> cmyk(size_t(w) * h * 4);
  for (size_t i = 0; i < cmyk.size(); i += 4) cmyk[i] = 200, cmyk[i + 1] = 100, cmyk[i + 2] = 50, cmyk[i + 3] = 255;
  tjhandle tj = tjInitCompress();
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  REQUIRE(tjCompress2(tj, cmyk.data(), w, 0, h, TJPF_CMYK, &buf, &size, TJSAMP_444, 100, 0) == 0);
  Image img = decode_image(buf, size, "cmyk.jpg");
  tjFree(buf);
  tjDestroy(tj);
  REQUIRE(img.h == h);
  CHECK(std::abs(img.px[0] - 200) <= 3);
  CHECK(std::abs(img.px[1] - 100) <= 3);
  CHECK(std::abs(img.px[2] - 50) <= 3);
}

TEST_CASE("image: EXIF orientation is applied to pixels and to the probed size") {
  Image src(20, 40, 0);                      // h 20, w 40
  test::fill_rect(src, 0, 12, 8, 20, 255, 0, 0);  // red block at the bottom-left
  auto jpeg = with_exif_orientation(encode_jpeg(src, 95), 6);  // rotate 90 clockwise to display
  ImageInfo info = probe_image(jpeg.data(), jpeg.size(), "rot.jpg");
  CHECK(info.h == 40);
  CHECK(info.w == 20);
  Image img = decode_image(jpeg.data(), jpeg.size(), "rot.jpg");
  REQUIRE(img.h == 40);
  REQUIRE(img.w == 20);
  CHECK(img.row(2)[3 * 2] > 200);           // bottom-left block is now at the top-left
  CHECK(img.row(37)[3 * 17] < 60);          // the opposite corner stays dark
  auto plain = with_exif_orientation(encode_jpeg(src, 95), 1);
  CHECK(decode_image(plain.data(), plain.size(), "p.jpg").h == 20);
}

TEST_CASE("image: corrupt, truncated and zero-byte inputs throw ye::Error, never crash") {
  std::vector<uint8_t> empty;
  CHECK_THROWS_AS(decode_image(empty.data(), 0, "zero.jpg"), ye::Error);
  CHECK_THROWS_AS(probe_image(empty.data(), 0, "zero.jpg"), ye::Error);
  std::vector<uint8_t> garbage(1000);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = uint8_t(i * 7919 >> 3);
  CHECK_THROWS_AS(decode_image(garbage.data(), garbage.size(), "garbage.png"), ye::Error);
  auto jpeg = encode_jpeg(gradient_image(64, 64), 90);
  for (size_t cut : {size_t(4), size_t(100), jpeg.size() / 2, jpeg.size() - 2}) {
    std::vector<uint8_t> part(jpeg.begin(), jpeg.begin() + long(cut));
    try {
      Image img = decode_image(part.data(), part.size(), "cut.jpg");
      CHECK(img.px.size() == size_t(64) * 64 * 3);  // libjpeg-turbo fills what is missing
    } catch (const ye::Error& e) {
      CHECK(std::string(e.what()).find("cut.jpg") != std::string::npos);
    }
  }
  std::vector<uint8_t> riff = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 0, 0};
  CHECK_THROWS_WITH_AS(decode_image(riff.data(), riff.size(), "x.webp"), doctest::Contains("WebP"), ye::Error);
  TempDir dir("image_corrupt");
  test::write_bytes(dir / "bad.png", {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13});
  CHECK_THROWS_AS(load_image(dir / "bad.png"), ye::Error);
  CHECK_THROWS_AS(load_image(dir / "missing.jpg"), ye::Error);
}

TEST_CASE("image: bilinear resize follows OpenCV's INTER_LINEAR rule") {
  Image src(1, 2);
  src.px = {0, 0, 0, 255, 255, 255};
  Image up = resize_bilinear(src, 1, 4);
  CHECK(up.px[0] == 0);
  CHECK(up.px[3] == 64);
  CHECK(up.px[6] == 191);
  CHECK(up.px[9] == 255);
  Image flat(37, 53, 77);
  Image r = resize_bilinear(flat, 20, 91);
  bool all77 = true;
  for (auto v : r.px) all77 = all77 && v == 77;
  CHECK(all77);
}

TEST_CASE("image: long-side resize rule") {
  Image a(480, 640, 1);
  CHECK(resize_long_side(a, 640).w == 640);
  Image b(1000, 500, 1);
  Image rb = resize_long_side(b, 640);
  CHECK(rb.h == 640);
  CHECK(rb.w == 320);
  Image c(333, 100, 1);  // r = 640/333: w = min(ceil(192.19), 640) = 193
  Image rc = resize_long_side(c, 640);
  CHECK(rc.h == 640);
  CHECK(rc.w == 193);
}

TEST_CASE("image: letterbox geometry and padding") {
  Image src(100, 200, 10);
  Letterboxed lb = letterbox(src, 64, 64);
  CHECK(lb.ratio == doctest::Approx(0.32));
  CHECK(lb.pad_left == 0);
  CHECK(lb.pad_top == 16);
  CHECK(lb.img.row(0)[0] == 114);
  CHECK(lb.img.row(16)[0] == 10);
  CHECK(lb.img.row(47)[3 * 63] == 10);
  CHECK(lb.img.row(48)[0] == 114);
  Letterboxed odd = letterbox(Image(33, 64, 10), 64, 64, false);  // dh = 15.5: top 15, bottom 16
  CHECK(odd.ratio == 1.0f);
  CHECK(odd.pad_top == 15);
  CHECK(odd.img.row(14)[0] == 114);
  CHECK(odd.img.row(15)[0] == 10);
  CHECK(odd.img.row(47)[0] == 10);
  CHECK(odd.img.row(48)[0] == 114);
  Letterboxed noup = letterbox(Image(20, 30, 10), 64, 64, false);
  CHECK(noup.ratio == 1.0f);
  CHECK(noup.pad_left == 17);
  CHECK(noup.pad_top == 22);
}

// Bad-input matrix, images: truncated, zero-byte, wrong-extension and corrupt JPEG/PNG, a PNG that
// declares 10^10 pixels, a JPEG whose EXIF block points past its end, and PNGs with empty IDAT chunks
// (stb_image copies those through a null pointer: they are dropped before stb sees the file). Decoding throws ye::Error
// naming the file (never a crash, never an allocation of the declared size); a dataset scan skips
// each such image with one message and trains on the rest.
#include <filesystem>

#include "data/dataset.h"
#include "data/image.h"
#include "data/image_write.h"
#include "data/png_chunks.h"
#include "kernels/error.h"
#include "robustness/robust_util.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
std::vector<uint8_t> bytes_of(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

data::Image test_image() {
  data::Image img(40, 56);
  for (size_t i = 0; i < img.px.size(); ++i) img.px[i] = uint8_t(i * 7);
  return img;
}

std::vector<uint8_t> png_bytes(const fs::path& dir) {
  data::write_png(test_image(), (dir / "src.png").string());
  return bytes_of(robust::read_all(dir / "src.png"));
}

// A PNG signature and IHDR chunk declaring w x h RGB pixels, then nothing.
std::vector<uint8_t> png_header_only(uint32_t w, uint32_t h) {
  std::vector<uint8_t> b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
  for (uint32_t v : {w, h})
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
  for (uint8_t v : {8, 2, 0, 0, 0, 0, 0, 0, 0}) b.push_back(v);  // depth, colour type, ..., CRC
  return b;
}

// The PNG with an empty IDAT chunk (length 0, CRC of "IDAT") right after IHDR and another before IEND.
std::vector<uint8_t> png_with_empty_idats(const std::vector<uint8_t>& png) {
  const std::vector<uint8_t> empty = {0, 0, 0, 0, 'I', 'D', 'A', 'T', 0x35, 0xAF, 0x06, 0x1E};
  std::vector<uint8_t> out(png.begin(), png.begin() + 33);  // signature (8) + IHDR chunk (25)
  out.insert(out.end(), empty.begin(), empty.end());
  out.insert(out.end(), png.begin() + 33, png.end() - 12);
  out.insert(out.end(), empty.begin(), empty.end());
  out.insert(out.end(), png.end() - 12, png.end());  // IEND
  return out;
}

// A JPEG with an APP1 Exif segment whose IFD offset is 0xFFFFFFF0 (past any buffer).
std::vector<uint8_t> jpeg_with_bad_exif(const std::vector<uint8_t>& jpeg) {
  std::vector<uint8_t> app1 = {0xFF, 0xE1, 0, 22, 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 0xF0, 0xFF, 0xFF, 0xFF,
                               0, 0, 0, 0, 0, 0};
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), app1.begin(), app1.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

void check_decode_fails(const std::vector<uint8_t>& b, const std::string& name, const std::string& why) {
  INFO(name);
  CHECK_THROWS_WITH_AS(data::decode_image(b.data(), b.size(), name), doctest::Contains(name.c_str()), Error);
  CHECK_THROWS_WITH_AS(data::decode_image(b.data(), b.size(), name), doctest::Contains(why.c_str()), Error);
}
}  // namespace

TEST_CASE("zero-byte, truncated, corrupt and bomb images throw ye::Error naming the file") {
  fs::path d = robust::scratch("image_matrix");
  const std::vector<uint8_t> jpeg = data::encode_jpeg(test_image());
  const std::vector<uint8_t> png = png_bytes(d);
  check_decode_fails({}, "empty.jpg", "empty file (0 bytes)");
  check_decode_fails(std::vector<uint8_t>(jpeg.begin(), jpeg.begin() + 20), "short.jpg", "not decodable");
  check_decode_fails(std::vector<uint8_t>(png.begin(), png.begin() + 40), "short.png", "corrupt image");
  check_decode_fails(std::vector<uint8_t>(png.begin(), png.begin() + 12), "sig_only.png", "corrupt image");
  check_decode_fails(bytes_of("hello, I am a text file\n"), "text.jpg", "corrupt image");
  std::vector<uint8_t> bad_jpeg(jpeg.begin(), jpeg.begin() + 3);
  bad_jpeg.resize(600, 0x55);
  check_decode_fails(bad_jpeg, "garbage.jpg", "corrupt JPEG");
  check_decode_fails(png_header_only(18000, 18000), "bomb.png", "more than 178956970 pixels");
  check_decode_fails(png_header_only(100000, 100000), "huge.png", "corrupt image");  // stb_image's own limit
  check_decode_fails(png_header_only(0, 10), "zero.png", "zero.png: ");
  std::vector<uint8_t> zlib_broken = png;
  for (size_t i = 60; i < zlib_broken.size() - 12; ++i) zlib_broken[i] ^= 0xA5;
  check_decode_fails(zlib_broken, "zlib.png", "corrupt image");
  fs::remove_all(d);
}

TEST_CASE("a truncated JPEG body, a PNG named .jpg and a bad EXIF offset still decode") {
  fs::path d = robust::scratch("image_tolerated");
  const std::vector<uint8_t> jpeg = data::encode_jpeg(test_image());
  std::vector<uint8_t> half(jpeg.begin(), jpeg.begin() + long(jpeg.size() * 2 / 3));
  data::Image a = data::decode_image(half.data(), half.size(), "half.jpg");
  CHECK(a.h == 40);
  CHECK(a.w == 56);
  CHECK(data::probe_image(half.data(), half.size(), "half.jpg").jpeg_missing_eoi);
  const std::vector<uint8_t> png = png_bytes(d);
  data::Image b = data::decode_image(png.data(), png.size(), "really_a_png.jpg");
  CHECK(b.px == test_image().px);
  std::vector<uint8_t> exif = jpeg_with_bad_exif(jpeg);
  data::Image c = data::decode_image(exif.data(), exif.size(), "exif.jpg");
  CHECK(c.h == 40);
  CHECK(data::probe_image(exif.data(), exif.size(), "exif.jpg").w == 56);
  fs::remove_all(d);
}

TEST_CASE("a dataset scan skips each unreadable image once, naming it, and keeps the good ones") {
  fs::path d = robust::scratch("image_scan");
  const std::vector<uint8_t> jpeg = data::encode_jpeg(test_image());
  robust::write_file(d / "images/good.jpg", std::string(jpeg.begin(), jpeg.end()));
  robust::write_file(d / "images/empty.jpg", "");
  robust::write_file(d / "images/text.png", "not an image");
  robust::write_file(d / "images/short.jpg", std::string(jpeg.begin(), jpeg.begin() + 20));
  auto bomb = png_header_only(70000, 70000);
  robust::write_file(d / "images/bomb.png", std::string(bomb.begin(), bomb.end()));
  std::vector<std::string> files;
  for (const char* f : {"good.jpg", "empty.jpg", "text.png", "short.jpg", "bomb.png"})
    files.push_back((d / "images" / f).string());
  data::DatasetOptions opt;
  opt.label_cache = false;
  opt.log = [](const std::string&) {};
  data::Dataset ds = data::Dataset::from_files(files, 3, "train", opt);
  CHECK(ds.size() == 1);
  CHECK(ds.summary().corrupt == 4);
  std::string all;
  for (const auto& m : ds.messages()) all += m + "\n";
  INFO(all);
  for (const char* f : {"empty.jpg", "text.png", "short.jpg", "bomb.png"})
    CHECK(robust::contains(all, (d / "images" / f).string() + ": "));
  CHECK(ds.messages().size() == 4);
  fs::remove_all(d);
}

TEST_CASE("PNGs with empty IDAT chunks decode to the same pixels without stb's null-pointer copy") {
  fs::path d = robust::scratch("image_empty_idat");
  const std::vector<uint8_t> png = png_bytes(d);
  CHECK(data::png_without_empty_idat(png.data(), png.size()).empty());  // nothing to drop: decoded as is
  const std::vector<uint8_t> odd = png_with_empty_idats(png);
  CHECK(data::png_without_empty_idat(odd.data(), odd.size()) == png);
  data::Image img = data::decode_image(odd.data(), odd.size(), "empty_idat.png");
  CHECK(img.px == test_image().px);
  std::vector<uint8_t> cut(odd.begin(), odd.begin() + 60);  // the first real IDAT truncated
  check_decode_fails(cut, "empty_idat_cut.png", "corrupt image");
  fs::remove_all(d);
}

// Decoded images and the single-image operations the loader and the predictor share: decode from a
// file or bytes (JPEG via libjpeg-turbo with EXIF orientation, PNG/BMP/others via stb_image), bilinear
// resize (OpenCV INTER_LINEAR rule), the reference's long-side resize and letterbox (pad 114).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ye::data {

// An 8-bit RGB image, rows packed, HWC.
struct Image {
  int h = 0, w = 0;
  std::vector<uint8_t> px;  // [h, w, 3]
  Image() = default;
  Image(int h_, int w_) : h(h_), w(w_), px(size_t(h_) * w_ * 3) {}
  Image(int h_, int w_, uint8_t fill) : h(h_), w(w_), px(size_t(h_) * w_ * 3, fill) {}
  uint8_t* row(int y) { return px.data() + size_t(y) * w * 3; }
  const uint8_t* row(int y) const { return px.data() + size_t(y) * w * 3; }
  bool empty() const { return h == 0 || w == 0; }
};

enum class ImageFormat { unknown, jpeg, png, bmp, gif, tga, psd, hdr, pic, pnm };

// Header facts without decoding: format and the displayed size (EXIF orientation applied).
struct ImageInfo {
  ImageFormat format = ImageFormat::unknown;
  int h = 0, w = 0;
  bool jpeg_missing_eoi = false;  // JPEG whose data does not end with the EOI marker (truncated?)
};

// Reads a whole file; throws ye::Error naming the file when it cannot be read.
std::vector<uint8_t> read_file_bytes(const std::string& path);

// Throws ye::Error (with `name` and the reason) when the bytes are not a readable image.
ImageInfo probe_image(const uint8_t* data, size_t size, const std::string& name);
Image decode_image(const uint8_t* data, size_t size, const std::string& name);

// What the predictor needs: the decoded RGB image; its size is the original size.
Image load_image(const std::string& path);

// Bilinear resize, byte for byte cv2.resize with INTER_LINEAR (half-pixel centres, edge replicate).
Image resize_bilinear(const Image& src, int new_h, int new_w);

// The reference's load rule: r = imgsz / max(h, w); when r != 1 the size becomes
// min(ceil(dim * r), imgsz) per side, bilinear.
Image resize_long_side(const Image& src, int imgsz);

struct Letterboxed {
  Image img;
  float ratio = 1.f;      // scale applied to the input (same for both axes)
  int pad_left = 0, pad_top = 0;
};
// Fits `src` into new_h x new_w keeping the aspect ratio (r = min(new/old), capped at 1 when
// !scaleup, unpadded size rounded), centred with the reference's split: top = round(dh - 0.1),
// bottom = round(dh + 0.1), same for left/right; pad value `pad_value`.
Letterboxed letterbox(const Image& src, int new_h, int new_w, bool scaleup = true, uint8_t pad_value = 114);

}  // namespace ye::data

// JPEG (libjpeg-turbo, 4:2:0) and PNG (cairo RGB24 surface) writers of image_write.h.
#include "data/image_write.h"

#include <cairo.h>
#include <turbojpeg.h>

#include <cstdio>
#include <memory>

#include "kernels/error.h"

namespace ye::data {

std::vector<uint8_t> encode_jpeg(const Image& img, int quality) {
  tjhandle tj = tjInitCompress();
  YE_CHECK(tj, "cannot start the JPEG encoder");
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  int rc = tjCompress2(tj, img.px.data(), img.w, 0, img.h, TJPF_RGB, &buf, &size, TJSAMP_420, quality, 0);
  std::string err = rc ? tjGetErrorStr2(tj) : "";
  tjDestroy(tj);
  YE_CHECK(rc == 0, "JPEG encoding failed: ", err);
  std::vector<uint8_t> out(buf, buf + size);
  tjFree(buf);
  return out;
}

void write_jpeg(const Image& img, const std::string& path, int quality) {
  auto bytes = encode_jpeg(img, quality);
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "wb"), &std::fclose);
  YE_CHECK(f && std::fwrite(bytes.data(), 1, bytes.size(), f.get()) == bytes.size(), path, ": cannot write");
}

void write_png(const Image& img, const std::string& path) {
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, img.w, img.h);
  cairo_surface_flush(s);
  uint8_t* data = cairo_image_surface_get_data(s);
  const int stride = cairo_image_surface_get_stride(s);
  for (int y = 0; y < img.h; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(data + size_t(y) * stride);
    const uint8_t* src = img.row(y);
    for (int x = 0; x < img.w; ++x)
      row[x] = 0xFF000000u | (uint32_t(src[3 * x]) << 16) | (uint32_t(src[3 * x + 1]) << 8) | src[3 * x + 2];
  }
  cairo_surface_mark_dirty(s);
  cairo_status_t st = cairo_surface_write_to_png(s, path.c_str());
  cairo_surface_destroy(s);
  YE_CHECK(st == CAIRO_STATUS_SUCCESS, path, ": cannot write PNG (", cairo_status_to_string(st), ")");
}

}  // namespace ye::data

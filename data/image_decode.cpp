// Image decoding: JPEG through libjpeg-turbo (grayscale and CMYK/YCCK converted to RGB, EXIF
// orientation applied as OpenCV's imread does), everything else stb_image reads through stb_image.
// Defines read_file_bytes, probe_image, decode_image and load_image of image.h.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG  // the rest of the dataset formats stb reads; JPEG goes to libjpeg-turbo (stb's JPEG,
#define STBI_ONLY_BMP  // PNM and others overrun tables or overflow integers on fuzzed input, found under UBSan)
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
#include <turbojpeg.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "data/image.h"
#include "data/png_chunks.h"
#include "kernels/error.h"

namespace ye::data {
namespace {

// Decompression-bomb limit: PIL's error threshold (2 x Image.MAX_IMAGE_PIXELS).
constexpr int64_t kMaxPixels = 178956970;

void check_pixel_count(int64_t w, int64_t h, const std::string& name) {
  YE_CHECK(w > 0 && h > 0 && w * h <= kMaxPixels, name, ": image size ", w, "x", h, " is not decodable (more than ",
           kMaxPixels, " pixels, or empty)");
}

bool is_jpeg(const uint8_t* d, size_t n) { return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF; }

ImageFormat sniff_format(const uint8_t* d, size_t n) {
  if (is_jpeg(d, n)) return ImageFormat::jpeg;
  if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return ImageFormat::png;
  if (n >= 2 && d[0] == 'B' && d[1] == 'M') return ImageFormat::bmp;
  if (n >= 4 && std::memcmp(d, "GIF8", 4) == 0) return ImageFormat::gif;
  if (n >= 4 && std::memcmp(d, "8BPS", 4) == 0) return ImageFormat::psd;
  if (n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6') return ImageFormat::pnm;
  return ImageFormat::unknown;
}

const char* unsupported_name(const uint8_t* d, size_t n) {
  if (n >= 2 && d[0] == 0xFF && d[1] == 0xD8) return "malformed JPEG";  // FF D8 without the third FF
  if (n >= 12 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) return "WebP";
  if (n >= 4 && (std::memcmp(d, "II*\0", 4) == 0 || std::memcmp(d, "MM\0*", 4) == 0)) return "TIFF";
  if (n >= 12 && std::memcmp(d + 4, "ftyp", 4) == 0) return "HEIC/ISO-BMFF";
  return nullptr;
}

uint32_t read_u16(const uint8_t* p, bool le) { return le ? p[0] | (p[1] << 8) : (p[0] << 8) | p[1]; }
uint32_t read_u32(const uint8_t* p, bool le) {
  return le ? p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24)
            : (uint32_t(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
}

// EXIF orientation (1..8) from the APP1 segment of a JPEG; 1 when absent or unreadable.
int jpeg_exif_orientation(const uint8_t* d, size_t n) {
  size_t pos = 2;
  while (pos + 4 <= n && d[pos] == 0xFF) {
    uint8_t marker = d[pos + 1];
    if (marker == 0xDA || marker == 0xD9) break;  // start of scan / end of image
    size_t len = (size_t(d[pos + 2]) << 8) | d[pos + 3];
    if (len < 2 || pos + 2 + len > n) break;
    const uint8_t* seg = d + pos + 4;
    size_t seg_len = len - 2;
    if (marker == 0xE1 && seg_len >= 14 && std::memcmp(seg, "Exif\0\0", 6) == 0) {
      const uint8_t* tiff = seg + 6;
      size_t tn = seg_len - 6;
      bool le = tiff[0] == 'I' && tiff[1] == 'I';
      if (!le && !(tiff[0] == 'M' && tiff[1] == 'M')) return 1;
      uint32_t ifd = read_u32(tiff + 4, le);
      if (size_t(ifd) + 2 > tn) return 1;
      uint32_t count = read_u16(tiff + ifd, le);
      for (uint32_t i = 0; i < count; ++i) {
        size_t e = ifd + 2 + size_t(i) * 12;
        if (e + 12 > tn) break;
        if (read_u16(tiff + e, le) == 0x0112) {
          uint32_t v = read_u16(tiff + e + 8, le);
          return (v >= 1 && v <= 8) ? int(v) : 1;
        }
      }
      return 1;
    }
    pos += 2 + len;
  }
  return 1;
}

// Applies EXIF orientation o (2..8) to an RGB image.
Image apply_orientation(const Image& s, int o) {
  bool swap = o >= 5;
  Image out(swap ? s.w : s.h, swap ? s.h : s.w);
  for (int y = 0; y < out.h; ++y) {
    uint8_t* dst = out.row(y);
    for (int x = 0; x < out.w; ++x) {
      int sy = y, sx = x;
      switch (o) {
        case 2: sx = s.w - 1 - x; break;
        case 3: sy = s.h - 1 - y; sx = s.w - 1 - x; break;
        case 4: sy = s.h - 1 - y; break;
        case 5: sy = x; sx = y; break;
        case 6: sy = s.h - 1 - x; sx = y; break;
        case 7: sy = s.h - 1 - x; sx = s.w - 1 - y; break;
        case 8: sy = x; sx = s.w - 1 - y; break;
        default: break;
      }
      std::memcpy(dst + 3 * x, s.row(sy) + 3 * sx, 3);
    }
  }
  return out;
}

struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

Image decode_jpeg(const uint8_t* d, size_t n, const std::string& name) {
  TjHandle tj;
  YE_CHECK(tj.h, name, ": cannot start the JPEG decoder");
  int w = 0, h = 0, subsamp = 0, cs = 0;
  if (tjDecompressHeader3(tj.h, d, (unsigned long)n, &w, &h, &subsamp, &cs) != 0)
    YE_FAIL(name, ": corrupt JPEG header (", tjGetErrorStr2(tj.h), ")");
  check_pixel_count(w, h, name);
  bool cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
  Image img(h, w);
  std::vector<uint8_t> tmp;
  uint8_t* out = img.px.data();
  if (cmyk) {
    tmp.resize(size_t(h) * w * 4);
    out = tmp.data();
  }
  int rc = tjDecompress2(tj.h, d, (unsigned long)n, out, w, 0, h, cmyk ? TJPF_CMYK : TJPF_RGB, 0);
  if (rc != 0 && tjGetErrorCode(tj.h) == TJERR_FATAL)
    YE_FAIL(name, ": corrupt JPEG data (", tjGetErrorStr2(tj.h), ")");
  if (cmyk) {  // Adobe-style inverted CMYK, as OpenCV converts it
    for (size_t i = 0, npx = size_t(h) * w; i < npx; ++i) {
      const uint8_t* p = tmp.data() + 4 * i;
      unsigned k = p[3];
      img.px[3 * i + 0] = uint8_t((p[0] * k + 127) / 255);
      img.px[3 * i + 1] = uint8_t((p[1] * k + 127) / 255);
      img.px[3 * i + 2] = uint8_t((p[2] * k + 127) / 255);
    }
  }
  int o = jpeg_exif_orientation(d, n);
  return o > 1 ? apply_orientation(img, o) : img;
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  YE_CHECK(f, path, ": cannot open file");
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.insert(bytes.end(), buf, buf + got);
  YE_CHECK(!std::ferror(f.get()), path, ": read error");
  return bytes;
}

ImageInfo probe_image(const uint8_t* d, size_t n, const std::string& name) {
  YE_CHECK(n > 0, name, ": empty file (0 bytes)");
  YE_CHECK(n < (size_t(1) << 31), name, ": file of ", n, " bytes is too large for an image");
  ImageInfo info;
  info.format = sniff_format(d, n);
  if (info.format == ImageFormat::jpeg) {
    TjHandle tj;
    int w = 0, h = 0, subsamp = 0, cs = 0;
    if (tjDecompressHeader3(tj.h, d, (unsigned long)n, &w, &h, &subsamp, &cs) != 0)
      YE_FAIL(name, ": corrupt JPEG header (", tjGetErrorStr2(tj.h), ")");
    check_pixel_count(w, h, name);
    bool swap = jpeg_exif_orientation(d, n) >= 5;
    info.h = swap ? w : h;
    info.w = swap ? h : w;
    info.jpeg_missing_eoi = !(n >= 2 && d[n - 2] == 0xFF && d[n - 1] == 0xD9);
    return info;
  }
  if (const char* u = unsupported_name(d, n)) YE_FAIL(name, ": unsupported image format (", u, ")");
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(d, int(n), &w, &h, &c))
    YE_FAIL(name, ": not a readable image (", stbi_failure_reason(), ")");
  check_pixel_count(w, h, name);
  info.h = h;
  info.w = w;
  return info;
}

Image decode_image(const uint8_t* d, size_t n, const std::string& name) {
  YE_CHECK(n > 0, name, ": empty file (0 bytes)");
  YE_CHECK(n < (size_t(1) << 31), name, ": file of ", n, " bytes is too large for an image");
  if (is_jpeg(d, n)) return decode_jpeg(d, n, name);
  if (const char* u = unsupported_name(d, n)) YE_FAIL(name, ": unsupported image format (", u, ")");
  int w = 0, h = 0, c = 0;
  if (!stbi_info_from_memory(d, int(n), &w, &h, &c)) YE_FAIL(name, ": corrupt image (", stbi_failure_reason(), ")");
  check_pixel_count(w, h, name);
  const std::vector<uint8_t> cleaned = png_without_empty_idat(d, n);
  if (!cleaned.empty()) d = cleaned.data(), n = cleaned.size();
  std::unique_ptr<stbi_uc, void (*)(void*)> p(stbi_load_from_memory(d, int(n), &w, &h, &c, 3), &stbi_image_free);
  if (!p) YE_FAIL(name, ": corrupt image (", stbi_failure_reason(), ")");
  Image img(h, w);
  std::memcpy(img.px.data(), p.get(), img.px.size());
  return img;
}

Image load_image(const std::string& path) {
  auto bytes = read_file_bytes(path);
  return decode_image(bytes.data(), bytes.size(), path);
}

}  // namespace ye::data

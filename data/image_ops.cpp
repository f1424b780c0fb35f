// Geometric single-image operations: OpenCV-style bilinear resize (fixed point, 11-bit weights),
// the reference's long-side resize rule and letterbox. Defines resize_bilinear, resize_long_side and
// letterbox of image.h.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "data/image.h"
#include "kernels/error.h"

namespace ye::data {
namespace {

constexpr int kCoefBits = 11;
constexpr int kCoefScale = 1 << kCoefBits;

// Source index and the two fixed-point weights per destination coordinate (half-pixel centres).
void linear_taps(int src, int dst, std::vector<int>& idx, std::vector<int>& w0) {
  idx.resize(dst);
  w0.resize(dst);
  double scale = double(src) / dst;
  for (int d = 0; d < dst; ++d) {
    double f = (d + 0.5) * scale - 0.5;
    int s = int(std::floor(f));
    f -= s;
    if (s < 0) s = 0, f = 0;
    if (s >= src - 1) s = src - 1, f = 0;
    idx[d] = s;
    w0[d] = int(std::lround((1.0 - f) * kCoefScale));
  }
}

void horizontal_pass(const uint8_t* src, int src_w, const std::vector<int>& xi, const std::vector<int>& xw,
                     int* out) {
  const int dw = int(xi.size());
  for (int x = 0; x < dw; ++x) {
    const uint8_t* p = src + 3 * xi[x];
    const uint8_t* q = xi[x] + 1 < src_w ? p + 3 : p;
    int a = xw[x], b = kCoefScale - a;
    out[3 * x + 0] = p[0] * a + q[0] * b;
    out[3 * x + 1] = p[1] * a + q[1] * b;
    out[3 * x + 2] = p[2] * a + q[2] * b;
  }
}

}  // namespace

Image resize_bilinear(const Image& src, int new_h, int new_w) {
  YE_CHECK(!src.empty() && new_h > 0 && new_w > 0, "resize_bilinear: bad size ", new_h, "x", new_w);
  if (new_h == src.h && new_w == src.w) return src;
  std::vector<int> xi, xw, yi, yw;
  linear_taps(src.w, new_w, xi, xw);
  linear_taps(src.h, new_h, yi, yw);
  Image out(new_h, new_w);
  const int n = new_w * 3;
  std::vector<int> rows(2 * size_t(n));
  int* r0 = rows.data();
  int* r1 = rows.data() + n;
  int have0 = -1, have1 = -1;
  for (int y = 0; y < new_h; ++y) {
    int s0 = yi[y], s1 = std::min(s0 + 1, src.h - 1);
    if (have0 != s0) {
      if (have1 == s0) {
        std::swap(r0, r1);
        std::swap(have0, have1);
      } else {
        horizontal_pass(src.row(s0), src.w, xi, xw, r0);
        have0 = s0;
      }
    }
    if (have1 != s1) {
      horizontal_pass(src.row(s1), src.w, xi, xw, r1);
      have1 = s1;
    }
    const int a = yw[y], b = kCoefScale - a;
    uint8_t* d = out.row(y);
    for (int i = 0; i < n; ++i) d[i] = uint8_t((r0[i] * a + r1[i] * b + (1 << 21)) >> 22);
  }
  return out;
}

Image resize_long_side(const Image& src, int imgsz) {
  double r = double(imgsz) / std::max(src.h, src.w);
  if (r == 1.0) return src;
  int w = std::min(int(std::ceil(src.w * r)), imgsz);
  int h = std::min(int(std::ceil(src.h * r)), imgsz);
  return resize_bilinear(src, std::max(h, 1), std::max(w, 1));
}

Letterboxed letterbox(const Image& src, int new_h, int new_w, bool scaleup, uint8_t pad_value) {
  YE_CHECK(!src.empty() && new_h > 0 && new_w > 0, "letterbox: bad size ", new_h, "x", new_w);
  double r = std::min(double(new_h) / src.h, double(new_w) / src.w);
  if (!scaleup) r = std::min(r, 1.0);
  int uw = int(std::nearbyint(src.w * r)), uh = int(std::nearbyint(src.h * r));
  uw = std::clamp(uw, 1, new_w);
  uh = std::clamp(uh, 1, new_h);
  double dw = (new_w - uw) / 2.0, dh = (new_h - uh) / 2.0;
  int top = int(std::nearbyint(dh - 0.1)), left = int(std::nearbyint(dw - 0.1));
  Letterboxed lb;
  lb.ratio = float(r);
  lb.pad_left = left;
  lb.pad_top = top;
  lb.img = Image(new_h, new_w, pad_value);
  const Image resized = (uh == src.h && uw == src.w) ? Image() : resize_bilinear(src, uh, uw);
  const Image& s = resized.empty() ? src : resized;
  for (int y = 0; y < uh; ++y) std::memcpy(lb.img.row(top + y) + 3 * left, s.row(y), size_t(uw) * 3);
  return lb;
}

}  // namespace ye::data

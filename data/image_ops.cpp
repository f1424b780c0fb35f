// Geometric single-image operations: cv2.resize's INTER_LINEAR to the byte (f32 positions, 11-bit weights),
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
constexpr float kCoefScale = float(1 << kCoefBits);

// Source taps and the two 11-bit weights per destination coordinate as cv2.resize computes them for
// INTER_LINEAR: the position in f32 (half-pixel centres), each weight rounded on its own (they may
// not sum to 2048). Horizontally an edge position takes its edge pixel whole; vertically the fraction
// stays and both taps clamp to the edge row.
struct LinearTaps {
  std::vector<int> i0, i1, w0, w1;
};

LinearTaps linear_taps(int src, int dst, bool zero_fraction_at_edges) {
  LinearTaps t;
  t.i0.resize(dst), t.i1.resize(dst), t.w0.resize(dst), t.w1.resize(dst);
  const double scale = 1.0 / (double(dst) / src);
  for (int d = 0; d < dst; ++d) {
    float f = float((d + 0.5) * scale - 0.5);
    int s = int(std::floor(f));
    f -= float(s);
    if (zero_fraction_at_edges) {
      if (s < 0) s = 0, f = 0;
      if (s >= src - 1) s = src - 1, f = 0;
    }
    t.i0[d] = std::clamp(s, 0, src - 1);
    t.i1[d] = std::clamp(s + 1, 0, src - 1);
    t.w0[d] = int(std::nearbyint((1.f - f) * kCoefScale));
    t.w1[d] = int(std::nearbyint(f * kCoefScale));
  }
  return t;
}

void horizontal_pass(const uint8_t* src, const LinearTaps& x, int* out) {
  const int dw = int(x.i0.size());
  for (int d = 0; d < dw; ++d) {
    const uint8_t* p = src + 3 * x.i0[d];
    const uint8_t* q = src + 3 * x.i1[d];
    const int a = x.w0[d], b = x.w1[d];
    for (int c = 0; c < 3; ++c) out[3 * d + c] = p[c] * a + q[c] * b;
  }
}

}  // namespace

Image resize_bilinear(const Image& src, int new_h, int new_w) {
  YE_CHECK(!src.empty() && new_h > 0 && new_w > 0, "resize_bilinear: bad size ", new_h, "x", new_w);
  if (new_h == src.h && new_w == src.w) return src;
  const LinearTaps xt = linear_taps(src.w, new_w, true), yt = linear_taps(src.h, new_h, false);
  Image out(new_h, new_w);
  const int n = new_w * 3;
  std::vector<int> rows(2 * size_t(n));
  int* r0 = rows.data();
  int* r1 = rows.data() + n;
  int have0 = -1, have1 = -1;
  for (int y = 0; y < new_h; ++y) {
    const int s0 = yt.i0[y], s1 = yt.i1[y];
    if (have0 != s0) {
      if (have1 == s0) {
        std::swap(r0, r1);
        std::swap(have0, have1);
      } else {
        horizontal_pass(src.row(s0), xt, r0);
        have0 = s0;
      }
    }
    if (have1 != s1) {
      horizontal_pass(src.row(s1), xt, r1);
      have1 = s1;
    }
    // OpenCV's 8-bit vertical step: both rows scaled down by 16, each product by 65536, then rounded.
    const int a = yt.w0[y], b = yt.w1[y];
    uint8_t* d = out.row(y);
    for (int i = 0; i < n; ++i)
      d[i] = uint8_t(std::clamp((((a * (r0[i] >> 4)) >> 16) + ((b * (r1[i] >> 4)) >> 16) + 2) >> 2, 0, 255));
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

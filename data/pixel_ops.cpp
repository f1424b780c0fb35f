// Pixel loops of augmentation (see pixel_ops.h). Warps: per row, integer source positions in
// 1/1024 px stepped per column, reduced to 1/32 px; interior samples take a branch-free 4-tap path.
// HSV: integer OpenCV formulas with per-image LUTs; HSV->RGB in integer arithmetic.
#include "data/pixel_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "engine/error.h"

namespace ye::data {
namespace {

constexpr int kInterBits = 5, kInterTab = 1 << kInterBits;  // 32 sub-pixel positions
constexpr int kAbBits = 10;                                  // fixed point of the stepped coordinates

inline void sample_bilinear(const Image& src, int ix, int iy, int fx, int fy, uint8_t border, uint8_t* out) {
  const int w00 = (kInterTab - fx) * (kInterTab - fy), w01 = fx * (kInterTab - fy);
  const int w10 = (kInterTab - fx) * fy, w11 = fx * fy;
  if (unsigned(ix) < unsigned(src.w - 1) && unsigned(iy) < unsigned(src.h - 1)) {
    const uint8_t* p = src.row(iy) + 3 * ix;
    const uint8_t* q = p + size_t(src.w) * 3;
    out[0] = uint8_t((p[0] * w00 + p[3] * w01 + q[0] * w10 + q[3] * w11 + 512) >> 10);
    out[1] = uint8_t((p[1] * w00 + p[4] * w01 + q[1] * w10 + q[4] * w11 + 512) >> 10);
    out[2] = uint8_t((p[2] * w00 + p[5] * w01 + q[2] * w10 + q[5] * w11 + 512) >> 10);
    return;
  }
  if (ix < -1 || iy < -1 || ix >= src.w || iy >= src.h) {
    out[0] = out[1] = out[2] = border;
    return;
  }
  const uint8_t bval[3] = {border, border, border};
  auto at = [&](int x, int y) -> const uint8_t* {
    return (x >= 0 && y >= 0 && x < src.w && y < src.h) ? src.row(y) + 3 * x : bval;
  };
  const uint8_t *a = at(ix, iy), *b = at(ix + 1, iy), *c = at(ix, iy + 1), *d = at(ix + 1, iy + 1);
  for (int k = 0; k < 3; ++k) out[k] = uint8_t((a[k] * w00 + b[k] * w01 + c[k] * w10 + d[k] * w11 + 512) >> 10);
}

}  // namespace

void warp_affine(const Image& src, Image& dst, const std::array<double, 6>& M, uint8_t border) {
  // Inverse of [a b c; d e f].
  double a = M[0], b = M[1], c = M[2], d = M[3], e = M[4], f = M[5];
  double det = a * e - b * d;
  YE_CHECK(std::abs(det) > 1e-12, "warp_affine: singular matrix");
  double ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  double ic = -(ia * c + ib * f), iff = -(id * c + ie * f);
  const int W = dst.w;
  const double scale = double(1 << kAbBits);
  std::vector<int> adx(W), ady(W);
  for (int x = 0; x < W; ++x) {
    adx[x] = int(std::lround(ia * x * scale));
    ady[x] = int(std::lround(id * x * scale));
  }
  const int round_delta = 1 << (kAbBits - kInterBits - 1);
  for (int y = 0; y < dst.h; ++y) {
    const int bx = int(std::lround((ib * y + ic) * scale)) + round_delta;
    const int by = int(std::lround((ie * y + iff) * scale)) + round_delta;
    uint8_t* out = dst.row(y);
    for (int x = 0; x < W; ++x) {
      const int X = (bx + adx[x]) >> (kAbBits - kInterBits);
      const int Y = (by + ady[x]) >> (kAbBits - kInterBits);
      sample_bilinear(src, X >> kInterBits, Y >> kInterBits, X & (kInterTab - 1), Y & (kInterTab - 1), border,
                      out + 3 * x);
    }
  }
}

void warp_perspective(const Image& src, Image& dst, const std::array<double, 9>& M, uint8_t border) {
  // Inverse via the adjugate.
  const double* m = M.data();
  double inv[9] = {m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
                   m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
                   m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3]};
  double det = m[0] * inv[0] + m[1] * inv[3] + m[2] * inv[6];
  YE_CHECK(std::abs(det) > 1e-12, "warp_perspective: singular matrix");
  for (double& v : inv) v /= det;
  for (int y = 0; y < dst.h; ++y) {
    uint8_t* out = dst.row(y);
    for (int x = 0; x < dst.w; ++x) {
      double w = inv[6] * x + inv[7] * y + inv[8];
      w = w != 0 ? double(kInterTab) / w : 0.0;
      double fx = (inv[0] * x + inv[1] * y + inv[2]) * w, fy = (inv[3] * x + inv[4] * y + inv[5]) * w;
      fx = std::clamp(fx, -1e8, 1e8), fy = std::clamp(fy, -1e8, 1e8);
      const long X = std::lround(fx), Y = std::lround(fy);
      const long ix = X >> kInterBits, iy = Y >> kInterBits;
      if (ix < -2 || iy < -2 || ix > src.w + 1 || iy > src.h + 1) {
        out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = border;
        continue;
      }
      sample_bilinear(src, int(ix), int(iy), int(X & (kInterTab - 1)), int(Y & (kInterTab - 1)), border, out + 3 * x);
    }
  }
}

void apply_hsv_gains(Image& img, double gain_h, double gain_s, double gain_v) {
  constexpr int kShift = 12;
  int sdiv[256], hdiv[256];
  uint8_t lut_h[256], lut_s[256], lut_v[256];
  sdiv[0] = hdiv[0] = 0;
  for (int i = 1; i < 256; ++i) {
    sdiv[i] = int(std::lround((255 << kShift) / double(i)));
    hdiv[i] = int(std::lround((180 << kShift) / (6.0 * i)));
  }
  for (int x = 0; x < 256; ++x) {
    lut_h[x] = uint8_t(std::fmod(std::fmod(x + gain_h * 180, 180.0) + 180.0, 180.0));
    lut_s[x] = uint8_t(std::clamp(x * (gain_s + 1), 0.0, 255.0));
    lut_v[x] = uint8_t(std::clamp(x * (gain_v + 1), 0.0, 255.0));
  }
  lut_s[0] = 0;
  uint8_t* p = img.px.data();
  const size_t n = size_t(img.h) * img.w;
  for (size_t i = 0; i < n; ++i, p += 3) {
    const int r = p[0], g = p[1], b = p[2];
    const int v = std::max(r, std::max(g, b));
    const int diff = v - std::min(r, std::min(g, b));
    const int s = (diff * sdiv[v] + (1 << (kShift - 1))) >> kShift;
    int h = v == r ? g - b : (v == g ? b - r + 2 * diff : r - g + 4 * diff);
    h = (h * hdiv[diff] + (1 << (kShift - 1))) >> kShift;
    h += h < 0 ? 180 : 0;
    const int H = lut_h[h], S = lut_s[s], V = lut_v[v];
    if (S == 0) {
      p[0] = p[1] = p[2] = uint8_t(V);
      continue;
    }
    const int sector = H / 30, k = H - sector * 30;  // H < 180
    const int vv = V * 7650;
    const int pp = (V * (255 - S) * 30 + 3825) / 7650;
    const int qq = (vv - V * S * k + 3825) / 7650;
    const int tt = (vv - V * S * (30 - k) + 3825) / 7650;
    int R, G, B;
    switch (sector) {
      case 0: R = V, G = tt, B = pp; break;
      case 1: R = qq, G = V, B = pp; break;
      case 2: R = pp, G = V, B = tt; break;
      case 3: R = pp, G = qq, B = V; break;
      case 4: R = tt, G = pp, B = V; break;
      default: R = V, G = pp, B = qq; break;
    }
    p[0] = uint8_t(R), p[1] = uint8_t(G), p[2] = uint8_t(B);
  }
}

void flip_horizontal(Image& img) {
  for (int y = 0; y < img.h; ++y) {
    uint8_t* r = img.row(y);
    for (int a = 0, b = img.w - 1; a < b; ++a, --b)
      for (int k = 0; k < 3; ++k) std::swap(r[3 * a + k], r[3 * b + k]);
  }
}

void flip_vertical(Image& img) {
  std::vector<uint8_t> tmp(size_t(img.w) * 3);
  for (int a = 0, b = img.h - 1; a < b; ++a, --b) {
    std::memcpy(tmp.data(), img.row(a), tmp.size());
    std::memcpy(img.row(a), img.row(b), tmp.size());
    std::memcpy(img.row(b), tmp.data(), tmp.size());
  }
}

void blend_images(Image& a, const Image& b, double r) {
  YE_CHECK(a.h == b.h && a.w == b.w, "blend_images: size mismatch");
  const float fr = float(r), fq = float(1.0 - r);
  for (size_t i = 0; i < a.px.size(); ++i) a.px[i] = uint8_t(float(a.px[i]) * fr + float(b.px[i]) * fq);
}

}  // namespace ye::data

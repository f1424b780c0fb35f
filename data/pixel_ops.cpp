// Pixel loops of augmentation (see pixel_ops.h). Warps: per row, integer source positions in
// 1/1024 px stepped per column, reduced to 1/32 px; interior samples take a branch-free 4-tap path.
#include "data/pixel_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/error.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

namespace {

// Axis-aligned affine (no rotation or shear: the default augmentation): source column and weight are
// per output column, source row and weight per output row, so the interior is a separable 4-tap blend.
void warp_axis_aligned(const Image& src, Image& dst, double sx, double tx, double sy, double ty, uint8_t border) {
  const int W = dst.w;
  std::vector<int> xo(W), xf(W);
  int xa = W, xb = 0;  // interior columns [xa, xb): both taps inside the source
  for (int x = 0; x < W; ++x) {
    const int X = int(std::lround((sx * x + tx) * kInterTab));
    xo[x] = X >> kInterBits;
    xf[x] = X & (kInterTab - 1);
    if (xo[x] >= 0 && xo[x] < src.w - 1) xa = std::min(xa, x), xb = std::max(xb, x + 1);
  }
  if (xa >= xb) xa = xb = 0;
  for (int y = 0; y < dst.h; ++y) {
    const int Y = int(std::lround((sy * y + ty) * kInterTab));
    const int iy = Y >> kInterBits, fy = Y & (kInterTab - 1);
    uint8_t* out = dst.row(y);
    const bool row_inside = iy >= 0 && iy < src.h - 1;
    const int xs = row_inside ? xa : W, xe = row_inside ? xb : W;
    for (int x = 0; x < xs; ++x) sample_bilinear(src, xo[x], iy, xf[x], fy, border, out + 3 * x);
    if (row_inside) {
      const uint8_t* r0 = src.row(iy);
      const uint8_t* r1 = r0 + size_t(src.w) * 3;
      const uint8_t* src_end = src.px.data() + src.px.size();
      const int wy1 = fy, wy0 = kInterTab - fy;
      int x = xs;
#if defined(__SSE2__)
      // 8-byte loads cover both taps of a pixel (6 bytes); stay 8 bytes inside the image buffer and
      // leave the last pixel of the row to the scalar loop (the 4-byte store spills one byte).
      const __m128i wy = _mm_set_epi16(short(wy1), short(wy0), short(wy1), short(wy0), short(wy1), short(wy0),
                                       short(wy1), short(wy0));
      const __m128i round = _mm_set1_epi32(512), zero = _mm_setzero_si128();
      for (; x < xe - 1 && r1 + 3 * xo[x] + 8 <= src_end; ++x) {
        const int wx1 = xf[x], wx0 = kInterTab - wx1;
        const __m128i wx = _mm_set_epi16(0, 0, short(wx1), short(wx1), short(wx1), short(wx0), short(wx0), short(wx0));
        __m128i p = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r0 + 3 * xo[x])), zero);
        __m128i q = _mm_unpacklo_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r1 + 3 * xo[x])), zero);
        p = _mm_mullo_epi16(p, wx);
        q = _mm_mullo_epi16(q, wx);
        const __m128i top = _mm_add_epi16(p, _mm_srli_si128(p, 6));  // lanes 0..2: both taps, upper row
        const __m128i bot = _mm_add_epi16(q, _mm_srli_si128(q, 6));
        const __m128i tb = _mm_unpacklo_epi16(top, bot);             // (top_c, bot_c) pairs
        __m128i v = _mm_add_epi32(_mm_madd_epi16(tb, wy), round);
        v = _mm_srli_epi32(v, 10);
        v = _mm_packs_epi32(v, v);
        v = _mm_packus_epi16(v, v);
        const int packed = _mm_cvtsi128_si32(v);
        std::memcpy(out + 3 * x, &packed, 4);
      }
#endif
      for (; x < xe; ++x) {
        const uint8_t* p = r0 + 3 * xo[x];
        const uint8_t* q = r1 + 3 * xo[x];
        const int wx1 = xf[x], wx0 = kInterTab - wx1;
        uint8_t* o = out + 3 * x;
        for (int c = 0; c < 3; ++c) {
          const int top = p[c] * wx0 + p[c + 3] * wx1, bot = q[c] * wx0 + q[c + 3] * wx1;
          o[c] = uint8_t((top * wy0 + bot * wy1 + 512) >> 10);
        }
      }
    }
    for (int x = std::max(xe, xs); x < W; ++x) sample_bilinear(src, xo[x], iy, xf[x], fy, border, out + 3 * x);
  }
}

}  // namespace

void warp_affine(const Image& src, Image& dst, const std::array<double, 6>& M, uint8_t border) {
  // Inverse of [a b c; d e f].
  double a = M[0], b = M[1], c = M[2], d = M[3], e = M[4], f = M[5];
  double det = a * e - b * d;
  YE_CHECK(std::abs(det) > 1e-12, "warp_affine: singular matrix");
  double ia = e / det, ib = -b / det, id = -d / det, ie = a / det;
  double ic = -(ia * c + ib * f), iff = -(id * c + ie * f);
  if (ib == 0 && id == 0) return warp_axis_aligned(src, dst, ia, ic, ie, iff, border);
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

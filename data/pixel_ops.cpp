// Pixel loops of augmentation (see pixel_ops.h). Affine warp: source positions in double from the
// inverse as cv2.warpAffine forms it, f32 fractions, FMA lerps rounded half to even (cv2's bilinear);
// axis-aligned interiors two pixels per AVX2 register. Perspective warp: the same taps at X / W.
#include "data/pixel_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/error.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace ye::data {
namespace {

// One output pixel of the affine warp from source position (sx, sy): the four taps (outside ones read
// `border`), lerps in f32 with fused multiply-adds along x then y, rounded half to even.
struct AffineTap {
  int ix;
  float fx;
};

inline AffineTap affine_tap(double s) {
  const double i = std::floor(s);
  return {i >= -2.0 ? int(std::min(i, 1e9)) : -2, float(s - i)};  // NaN and far positions: outside
}

inline uint8_t lerp_round(float p00, float p01, float p10, float p11, float fx, float fy) {
  const float top = std::fma(fx, p01 - p00, p00), bot = std::fma(fx, p11 - p10, p10);
  return uint8_t(std::clamp(std::nearbyint(std::fma(fy, bot - top, top)), 0.f, 255.f));
}

inline void sample_affine(const Image& src, AffineTap tx, AffineTap ty, uint8_t border, uint8_t* out) {
  const int ix = tx.ix, iy = ty.ix;
  if (unsigned(ix) < unsigned(src.w - 1) && unsigned(iy) < unsigned(src.h - 1)) {
    const uint8_t* p = src.row(iy) + 3 * ix;
    const uint8_t* q = p + size_t(src.w) * 3;
    for (int c = 0; c < 3; ++c) out[c] = lerp_round(p[c], p[c + 3], q[c], q[c + 3], tx.fx, ty.fx);
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
  for (int k = 0; k < 3; ++k) out[k] = lerp_round(a[k], b[k], c[k], d[k], tx.fx, ty.fx);
}

#if defined(__AVX2__) && defined(__FMA__)
// Two interior output pixels (both taps of both rows inside the source) in one AVX2 register, lanes
// (r, g, b, unused) per pixel, the same operations as lerp_round; writes 8 bytes at out (6 used).
inline void lerp_pair(const uint8_t* r0, const uint8_t* r1, int ix0, int ix1, __m256 fx, __m256 fy, uint8_t* out) {
  const __m128i split = _mm_setr_epi8(0, 1, 2, -1, 8, 9, 10, -1, 3, 4, 5, -1, 11, 12, 13, -1);
  auto taps = [&](const uint8_t* r, __m256& left, __m256& right) {
    const __m128i both = _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + 3 * ix0)),
                                            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(r + 3 * ix1)));
    const __m128i lr = _mm_shuffle_epi8(both, split);  // left taps of both pixels, then right taps
    left = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lr));
    right = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lr, 8)));
  };
  __m256 p00, p01, p10, p11;
  taps(r0, p00, p01);
  taps(r1, p10, p11);
  const __m256 top = _mm256_fmadd_ps(fx, _mm256_sub_ps(p01, p00), p00);
  const __m256 bot = _mm256_fmadd_ps(fx, _mm256_sub_ps(p11, p10), p10);
  const __m256i v = _mm256_cvtps_epi32(_mm256_fmadd_ps(fy, _mm256_sub_ps(bot, top), top));  // half to even
  const __m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  const __m128i bytes = _mm_shuffle_epi8(_mm_packus_epi16(w, w), _mm_setr_epi8(0, 1, 2, 4, 5, 6, 7, 7, -1, -1, -1, -1, -1, -1, -1, -1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), bytes);
}
#endif

// Axis-aligned affine (no rotation or shear: the default augmentation): taps per column and per row.
void warp_axis_aligned(const Image& src, Image& dst, double ia, double ic, double ie, double iff, uint8_t border) {
  const int W = dst.w;
  std::vector<AffineTap> cols(static_cast<size_t>(W));
  int xa = W, xb = 0;  // interior columns [xa, xb): both taps inside the source
  for (int x = 0; x < W; ++x) {
    cols[size_t(x)] = affine_tap(ia * x + ic);
    if (cols[size_t(x)].ix >= 0 && cols[size_t(x)].ix < src.w - 1) xa = std::min(xa, x), xb = std::max(xb, x + 1);
  }
  if (xa >= xb) xa = xb = 0;
  const uint8_t* src_end = src.px.data() + src.px.size();
  for (int y = 0; y < dst.h; ++y) {
    const AffineTap row = affine_tap(ie * y + iff);
    uint8_t* out = dst.row(y);
    const bool row_inside = row.ix >= 0 && row.ix < src.h - 1;
    const int xs = row_inside ? xa : W, xe = row_inside ? xb : W;
    int x = 0;
    for (; x < xs; ++x) sample_affine(src, cols[size_t(x)], row, border, out + 3 * x);
#if defined(__AVX2__) && defined(__FMA__)
    if (row_inside) {
      const uint8_t* r0 = src.row(row.ix);
      const uint8_t* r1 = r0 + size_t(src.w) * 3;
      const __m256 fy = _mm256_set1_ps(row.fx);
      // 8-byte loads and stores: stay 8 bytes inside the source, leave the last pair to the scalar loop.
      for (; x + 2 < xe && r1 + 3 * cols[size_t(x + 1)].ix + 8 <= src_end; x += 2) {
        const AffineTap a = cols[size_t(x)], b = cols[size_t(x + 1)];
        const __m256 fx = _mm256_setr_ps(a.fx, a.fx, a.fx, a.fx, b.fx, b.fx, b.fx, b.fx);
        lerp_pair(r0, r1, a.ix, b.ix, fx, fy, out + 3 * x);
      }
    }
#endif
    for (; x < W; ++x) sample_affine(src, cols[size_t(x)], row, border, out + 3 * x);
  }
}

}  // namespace

void warp_affine(const Image& src, Image& dst, const std::array<double, 6>& M, uint8_t border) {
  // The inverse as cv2.warpAffine forms it (1 / det, then products), so positions match to the bit.
  const double a = M[0], b = M[1], c = M[2], d = M[3], e = M[4], f = M[5];
  const double det = a * e - b * d;
  YE_CHECK(std::abs(det) > 1e-12, "warp_affine: singular matrix");
  const double D = 1.0 / det;
  const double ia = e * D, ib = b * -D, id = d * -D, ie = a * D;
  const double ic = -ia * c - ib * f, iff = -id * c - ie * f;
  const int W = dst.w;
  if (ib == 0 && id == 0) return warp_axis_aligned(src, dst, ia, ic, ie, iff, border);
  for (int y = 0; y < dst.h; ++y) {
    uint8_t* out = dst.row(y);
    for (int x = 0; x < W; ++x)
      sample_affine(src, affine_tap(ia * x + ib * y + ic), affine_tap(id * x + ie * y + iff), border, out + 3 * x);
  }
}

void warp_perspective(const Image& src, Image& dst, const std::array<double, 9>& M, uint8_t border) {
  // Inverse via the adjugate; positions X / W in double, then the affine warp's taps and lerps.
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
      w = w != 0 ? 1.0 / w : 0.0;
      const double sx = (inv[0] * x + inv[1] * y + inv[2]) * w, sy = (inv[3] * x + inv[4] * y + inv[5]) * w;
      sample_affine(src, affine_tap(sx), affine_tap(sy), border, out + 3 * x);
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

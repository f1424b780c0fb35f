// apply_hsv_gains (see pixel_ops.h), bit-exact with the reference's RandomHSV on an AVX2 host: OpenCV's
// 8-bit RGB -> HSV in integers with its division tables, the reference's LUTs evaluated in double as
// numpy does, and the vectorised HSV -> RGB that cv2.cvtColor runs on such images (f32, fused
// multiply-adds in the two ramp values, truncation to uint8). Checked against the reference's own
// output (tests/parity/goldens/data, tests/data/pixel_ops_parity_test.cpp).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "data/pixel_ops.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace ye::data {
namespace {

constexpr int kHsvShift = 12;

struct HsvTables {
  int32_t sdiv[256], hdiv[256];                // round(255 * 2^12 / v), round(180 * 2^12 / (6 diff)); [0] = 0
  int32_t lut_h[256], lut_s[256], lut_v[256];  // the reference's per-image gain LUTs (uint8 values)
};

// numpy's float remainder: the sign of the divisor.
double py_mod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((b < 0) != (m < 0))) m += b;
  return m;
}

// numpy's astype(uint8) of a value already in [0, 255]: truncation.
int32_t to_u8(double x) { return int32_t(uint8_t(int(x))); }

HsvTables make_tables(double gain_h, double gain_s, double gain_v) {
  HsvTables t{};
  for (int i = 1; i < 256; ++i) {
    t.sdiv[i] = int32_t(std::nearbyint(double(255 << kHsvShift) / i));
    t.hdiv[i] = int32_t(std::nearbyint(double(180 << kHsvShift) / (6.0 * i)));
  }
  for (int x = 0; x < 256; ++x) {
    t.lut_h[x] = to_u8(py_mod(double(x) + gain_h * 180.0, 180.0));
    t.lut_s[x] = to_u8(std::clamp(double(x) * (gain_s + 1.0), 0.0, 255.0));
    t.lut_v[x] = to_u8(std::clamp(double(x) * (gain_v + 1.0), 0.0, 255.0));
  }
  t.lut_s[0] = 0;
  return t;
}

// Which of (v, p, q, t) each of b, g, r takes in each 60-degree sector.
constexpr uint8_t kSectorBgr[6][3] = {{1, 3, 0}, {1, 0, 2}, {3, 0, 1}, {0, 2, 1}, {0, 1, 3}, {2, 1, 0}};

inline void hsv_pixel(uint8_t* p, const HsvTables& t) {
  const int r = p[0], g = p[1], b = p[2];
  const int v = std::max(r, std::max(g, b)), diff = v - std::min(r, std::min(g, b));
  const int s = (diff * t.sdiv[v] + (1 << (kHsvShift - 1))) >> kHsvShift;
  int h = v == r ? g - b : v == g ? b - r + 2 * diff : r - g + 4 * diff;
  h = (h * t.hdiv[diff] + (1 << (kHsvShift - 1))) >> kHsvShift;
  if (h < 0) h += 180;

  const float hs = float(t.lut_h[h]) * float(6.0 / 180.0);
  const float pre = std::trunc(hs), fr = hs - pre;
  const float S = float(t.lut_s[s]) * float(1.0 / 255.0), V = float(t.lut_v[v]) * float(1.0 / 255.0);
  const float tab[4] = {V, V * (1.f - S), V * std::fma(-S, fr, 1.f), V * std::fma(-S, 1.f - fr, 1.f)};
  const int sector = int(pre) % 6;
  const uint8_t* pick = kSectorBgr[sector];
  p[0] = uint8_t(std::trunc(tab[pick[2]] * 255.f));
  p[1] = uint8_t(std::trunc(tab[pick[1]] * 255.f));
  p[2] = uint8_t(std::trunc(tab[pick[0]] * 255.f));
}

#if defined(__AVX2__) && defined(__FMA__)
// The same as hsv_pixel for 8 pixels at p (28 readable bytes, 24 used), lane for lane.
inline void hsv_8px(uint8_t* p, const HsvTables& t) {
  const __m128i unpack = _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1);
  const __m256i px = _mm256_set_m128i(_mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 12)), unpack),
                                      _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), unpack));
  const __m256i m8 = _mm256_set1_epi32(255);
  const __m256i r = _mm256_and_si256(px, m8), g = _mm256_and_si256(_mm256_srli_epi32(px, 8), m8),
                b = _mm256_and_si256(_mm256_srli_epi32(px, 16), m8);
  const __m256i v = _mm256_max_epi32(r, _mm256_max_epi32(g, b));
  const __m256i diff = _mm256_sub_epi32(v, _mm256_min_epi32(r, _mm256_min_epi32(g, b)));
  const __m256i half = _mm256_set1_epi32(1 << (kHsvShift - 1));
  const __m256i s = _mm256_srai_epi32(
      _mm256_add_epi32(_mm256_mullo_epi32(diff, _mm256_i32gather_epi32(t.sdiv, v, 4)), half), kHsvShift);
  const __m256i is_r = _mm256_cmpeq_epi32(v, r), is_g = _mm256_cmpeq_epi32(v, g);
  const __m256i from_g = _mm256_add_epi32(_mm256_sub_epi32(b, r), _mm256_slli_epi32(diff, 1));
  const __m256i from_b = _mm256_add_epi32(_mm256_sub_epi32(r, g), _mm256_slli_epi32(diff, 2));
  __m256i h = _mm256_blendv_epi8(_mm256_blendv_epi8(from_b, from_g, is_g), _mm256_sub_epi32(g, b), is_r);
  h = _mm256_srai_epi32(_mm256_add_epi32(_mm256_mullo_epi32(h, _mm256_i32gather_epi32(t.hdiv, diff, 4)), half),
                        kHsvShift);
  h = _mm256_add_epi32(h, _mm256_and_si256(_mm256_cmpgt_epi32(_mm256_setzero_si256(), h), _mm256_set1_epi32(180)));

  const __m256 one = _mm256_set1_ps(1.f);
  const __m256 hs = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_i32gather_epi32(t.lut_h, h, 4)),
                                  _mm256_set1_ps(float(6.0 / 180.0)));
  const __m256 pre = _mm256_round_ps(hs, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC), fr = _mm256_sub_ps(hs, pre);
  const __m256 inv255 = _mm256_set1_ps(float(1.0 / 255.0));
  const __m256 S = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_i32gather_epi32(t.lut_s, s, 4)), inv255);
  const __m256 V = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_i32gather_epi32(t.lut_v, v, 4)), inv255);
  const __m256 tab[4] = {V, _mm256_mul_ps(V, _mm256_sub_ps(one, S)), _mm256_mul_ps(V, _mm256_fnmadd_ps(S, fr, one)),
                         _mm256_mul_ps(V, _mm256_fnmadd_ps(S, _mm256_sub_ps(one, fr), one))};
  __m256i sector = _mm256_cvttps_epi32(pre);
  const __m256i six = _mm256_set1_epi32(6);
  sector = _mm256_sub_epi32(sector, _mm256_andnot_si256(_mm256_cmpgt_epi32(six, sector), six));
  auto channel = [&](int c) {  // c: 0 b, 1 g, 2 r (kSectorBgr's columns)
    const __m256i idx = _mm256_permutevar8x32_epi32(
        _mm256_setr_epi32(kSectorBgr[0][c], kSectorBgr[1][c], kSectorBgr[2][c], kSectorBgr[3][c], kSectorBgr[4][c],
                          kSectorBgr[5][c], 0, 0),
        sector);
    __m256 x = tab[0];
    for (int k = 1; k < 4; ++k)
      x = _mm256_blendv_ps(x, tab[k], _mm256_castsi256_ps(_mm256_cmpeq_epi32(idx, _mm256_set1_epi32(k))));
    return _mm256_cvttps_epi32(_mm256_mul_ps(x, _mm256_set1_ps(255.f)));
  };
  const __m256i out = _mm256_or_si256(channel(2), _mm256_or_si256(_mm256_slli_epi32(channel(1), 8),
                                                                   _mm256_slli_epi32(channel(0), 16)));
  // Lanes (r, g, b, 0) to 12 packed bytes per 128-bit half.
  const __m128i pack = _mm_setr_epi8(0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, -1, -1, -1, -1);
  const __m128i lo = _mm_shuffle_epi8(_mm256_castsi256_si128(out), pack);
  const __m128i hi = _mm_shuffle_epi8(_mm256_extracti128_si256(out, 1), pack);
  uint8_t bytes[32];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes), lo);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(bytes + 12), hi);
  std::memcpy(p, bytes, 24);
}
#endif

}  // namespace

void apply_hsv_gains(Image& img, double gain_h, double gain_s, double gain_v) {
  const HsvTables t = make_tables(gain_h, gain_s, gain_v);
  uint8_t* p = img.px.data();
  const size_t n = img.px.size();
  size_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
  for (; i + 28 <= n; i += 24) hsv_8px(p + i, t);
#endif
  for (; i + 3 <= n; i += 3) hsv_pixel(p + i, t);
}

}  // namespace ye::data

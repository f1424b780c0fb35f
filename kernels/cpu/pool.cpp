// CPU NHWC max pooling (argmax saved) and nearest x2 upsampling, forward and backward.
#include <cstring>
#include <vector>

#include "kernels/cpu/parallel.h"
#include "kernels/pool.h"

namespace ye::kernels::cpu {

void max_pool2d_forward(const PoolGeom& g, const float* x, float* y, int32_t* argmax) {
  const int64_t ho = g.ho(), wo = g.wo(), C = g.c;
  parallel_for(g.n, [&](int, int64_t b, int64_t e) {
    std::vector<float> best(static_cast<size_t>(C));
    for (int64_t n = b; n < e; ++n)
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          const int64_t o = ((n * ho + oy) * wo + ox) * C;
          int32_t* am = argmax + o;
          bool first = true;  // the window always holds a valid tap (pad <= kernel / 2)
          for (int64_t ky = 0; ky < g.kernel; ++ky) {
            const int64_t iy = oy * g.stride - g.pad + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t kx = 0; kx < g.kernel; ++kx) {
              const int64_t ix = ox * g.stride - g.pad + kx;
              if (ix < 0 || ix >= g.w) continue;
              const float* xp = x + ((n * g.h + iy) * g.w + ix) * C;
              const int32_t idx = int32_t(iy * g.w + ix);
              float* bp = best.data();
              if (first) {
                std::memcpy(bp, xp, size_t(C) * sizeof(float));
                std::fill(am, am + C, idx);
                first = false;
                continue;
              }
              for (int64_t c = 0; c < C; ++c) {
                const bool greater = xp[c] > bp[c];
                bp[c] = greater ? xp[c] : bp[c];
                am[c] = greater ? idx : am[c];
              }
            }
          }
          std::memcpy(y + o, best.data(), size_t(C) * sizeof(float));
        }
  });
}

void max_pool2d_backward(const PoolGeom& g, const float* gy, const int32_t* argmax, float* gx) {
  const int64_t ho = g.ho(), wo = g.wo(), C = g.c;
  parallel_for(g.n, [&](int, int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      float* gxn = gx + n * g.h * g.w * C;
      std::memset(gxn, 0, size_t(g.h * g.w * C) * sizeof(float));
      for (int64_t p = 0; p < ho * wo; ++p) {
        const int64_t o = (n * ho * wo + p) * C;
        for (int64_t c = 0; c < C; ++c) gxn[int64_t(argmax[o + c]) * C + c] += gy[o + c];
      }
    }
  });
}

void upsample_nearest2x_forward(const float* x, int64_t n, int64_t h, int64_t w, int64_t c, float* y, int64_t row) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < 2 * h; ++oy)
      for (int64_t ox = 0; ox < 2 * w; ++ox)
        std::memcpy(y + ((b * 2 * h + oy) * 2 * w + ox) * row, x + ((b * h + oy / 2) * w + ox / 2) * c,
                    size_t(c) * sizeof(float));
}

void upsample_nearest2x_backward(const float* gy, int64_t n, int64_t h, int64_t w, int64_t c, float* gx, int64_t row) {
  for (int64_t b = 0; b < n; ++b)
    for (int64_t iy = 0; iy < h; ++iy)
      for (int64_t ix = 0; ix < w; ++ix) {
        float* d = gx + ((b * h + iy) * w + ix) * c;
        const float* s00 = gy + ((b * 2 * h + 2 * iy) * 2 * w + 2 * ix) * row;
        const float* s01 = s00 + row;
        const float* s10 = s00 + 2 * w * row;
        const float* s11 = s10 + row;
        for (int64_t k = 0; k < c; ++k) d[k] = (s00[k] + s01[k]) + (s10[k] + s11[k]);
      }
}

}  // namespace ye::kernels::cpu

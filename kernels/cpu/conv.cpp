// CPU NHWC convolution kernels (see kernels/conv.h): im2col + Eigen GEMM in blocks of output
// positions, direct loops for depthwise, threads over the batch.
#include "kernels/conv.h"

#include <Eigen/Core>
#include <cstring>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace ye::kernels::cpu {
namespace {
using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
using Map = Eigen::Map<RowMat, 0, Eigen::OuterStride<>>;

constexpr int64_t kRowBlock = 1024;  // output positions per im2col block

bool is_pointwise(const ConvGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0 && g.groups == 1;
}
bool is_depthwise(const ConvGeom& g) { return g.groups > 1 && g.cg() == 1 && g.og() == 1; }
int64_t taps_k(const ConvGeom& g) { return g.kh * g.kw * g.cg(); }

// cols (rows x K) for output positions [r0, r1) of group grp; K ordered (ky, kx, cg).
void im2col(const ConvGeom& g, const float* xn, int64_t grp, int64_t r0, int64_t r1, float* cols) {
  const int64_t wo = g.wo(), cg = g.cg(), K = taps_k(g);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t oy = r / wo, ox = r % wo;
    float* dst = cols + (r - r0) * K;
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = oy * g.stride - g.pad + ky;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = ox * g.stride - g.pad + kx;
        float* d = dst + (ky * g.kw + kx) * cg;
        if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w)
          std::memset(d, 0, size_t(cg) * sizeof(float));
        else
          std::memcpy(d, xn + (iy * g.w + ix) * g.c + grp * cg, size_t(cg) * sizeof(float));
      }
    }
  }
}

void col2im_add(const ConvGeom& g, const float* cols, int64_t grp, int64_t r0, int64_t r1, float* gxn) {
  const int64_t wo = g.wo(), cg = g.cg(), K = taps_k(g);
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t oy = r / wo, ox = r % wo;
    const float* src = cols + (r - r0) * K;
    for (int64_t ky = 0; ky < g.kh; ++ky) {
      const int64_t iy = oy * g.stride - g.pad + ky;
      if (iy < 0 || iy >= g.h) continue;
      for (int64_t kx = 0; kx < g.kw; ++kx) {
        const int64_t ix = ox * g.stride - g.pad + kx;
        if (ix < 0 || ix >= g.w) continue;
        const float* s = src + (ky * g.kw + kx) * cg;
        float* d = gxn + (iy * g.w + ix) * g.c + grp * cg;
        for (int64_t i = 0; i < cg; ++i) d[i] += s[i];
      }
    }
  }
}

// Calls fn(iy, ix, tap) for every valid tap of output position (oy, ox).
template <typename F>
inline void for_taps(const ConvGeom& g, int64_t oy, int64_t ox, F&& fn) {
  for (int64_t ky = 0; ky < g.kh; ++ky) {
    const int64_t iy = oy * g.stride - g.pad + ky;
    if (iy < 0 || iy >= g.h) continue;
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      const int64_t ix = ox * g.stride - g.pad + kx;
      if (ix < 0 || ix >= g.w) continue;
      fn(iy, ix, ky * g.kw + kx);
    }
  }
}

// Depthwise weights (C, kh, kw, 1) transposed to (taps, C) so the channel loop is contiguous.
std::vector<float> depthwise_taps_major(const ConvGeom& g, const float* w) {
  const int64_t taps = g.kh * g.kw;
  std::vector<float> wt(size_t(taps * g.c));
  for (int64_t ch = 0; ch < g.c; ++ch)
    for (int64_t t = 0; t < taps; ++t) wt[size_t(t * g.c + ch)] = w[ch * taps + t];
  return wt;
}

void depthwise_forward(const ConvGeom& g, const float* x, const float* w, float* y) {
  const int64_t ho = g.ho(), wo = g.wo(), C = g.c;
  std::vector<float> wt = depthwise_taps_major(g, w);
  parallel_for(g.n, [&](int, int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n)
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          float* yp = y + ((n * ho + oy) * wo + ox) * C;
          std::memset(yp, 0, size_t(C) * sizeof(float));
          for_taps(g, oy, ox, [&](int64_t iy, int64_t ix, int64_t t) {
            const float* xp = x + ((n * g.h + iy) * g.w + ix) * C;
            const float* wp = wt.data() + t * C;
            for (int64_t ch = 0; ch < C; ++ch) yp[ch] += xp[ch] * wp[ch];
          });
        }
  });
}

void depthwise_backward_input(const ConvGeom& g, const float* gy, const float* w, float* gx) {
  const int64_t ho = g.ho(), wo = g.wo(), C = g.c;
  std::vector<float> wt = depthwise_taps_major(g, w);
  parallel_for(g.n, [&](int, int64_t b, int64_t e) {
    for (int64_t n = b; n < e; ++n) {
      std::memset(gx + n * g.h * g.w * C, 0, size_t(g.h * g.w * C) * sizeof(float));
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          const float* gyp = gy + ((n * ho + oy) * wo + ox) * C;
          for_taps(g, oy, ox, [&](int64_t iy, int64_t ix, int64_t t) {
            float* gxp = gx + ((n * g.h + iy) * g.w + ix) * C;
            const float* wp = wt.data() + t * C;
            for (int64_t ch = 0; ch < C; ++ch) gxp[ch] += gyp[ch] * wp[ch];
          });
        }
    }
  });
}

void depthwise_backward_weight(const ConvGeom& g, const float* x, const float* gy, float* gw) {
  const int64_t ho = g.ho(), wo = g.wo(), C = g.c, taps = g.kh * g.kw;
  std::vector<std::vector<float>> acc(size_t(num_threads_for(g.n)), std::vector<float>(size_t(taps * C), 0.f));
  parallel_for(g.n, [&](int tid, int64_t b, int64_t e) {
    float* a = acc[size_t(tid)].data();
    for (int64_t n = b; n < e; ++n)
      for (int64_t oy = 0; oy < ho; ++oy)
        for (int64_t ox = 0; ox < wo; ++ox) {
          const float* gyp = gy + ((n * ho + oy) * wo + ox) * C;
          for_taps(g, oy, ox, [&](int64_t iy, int64_t ix, int64_t t) {
            const float* xp = x + ((n * g.h + iy) * g.w + ix) * C;
            float* ap = a + t * C;
            for (int64_t ch = 0; ch < C; ++ch) ap[ch] += gyp[ch] * xp[ch];
          });
        }
  });
  for (int64_t ch = 0; ch < C; ++ch)
    for (int64_t t = 0; t < taps; ++t) {
      float s = 0;
      for (auto& a : acc) s += a[size_t(t * C + ch)];
      gw[ch * taps + t] = s;
    }
}
}  // namespace

void conv2d_forward(const ConvGeom& g, const float* x, const float* w, float* y) {
  if (is_depthwise(g)) return depthwise_forward(g, x, w, y);
  const int64_t rows_total = g.ho() * g.wo(), K = taps_k(g), og = g.og();
  const bool direct = is_pointwise(g);
  parallel_for(g.n, [&](int, int64_t b, int64_t e) {
    std::vector<float> cols(direct ? 0 : size_t(std::min(kRowBlock, rows_total) * K));
    for (int64_t n = b; n < e; ++n) {
      const float* xn = x + n * g.h * g.w * g.c;
      float* yn = y + n * rows_total * g.o;
      for (int64_t r0 = 0; r0 < rows_total; r0 += kRowBlock) {
        const int64_t r1 = std::min(rows_total, r0 + kRowBlock), rows = r1 - r0;
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          const float* a = xn + r0 * g.c;
          if (!direct) {
            im2col(g, xn, grp, r0, r1, cols.data());
            a = cols.data();
          }
          ConstMap A(a, rows, K, Eigen::OuterStride<>(direct ? g.c : K));
          ConstMap W(w + grp * og * K, og, K, Eigen::OuterStride<>(K));
          Map Y(yn + r0 * g.o + grp * og, rows, og, Eigen::OuterStride<>(g.o));
          Y.noalias() = A * W.transpose();
        }
      }
    }
  });
}

void conv2d_backward_input(const ConvGeom& g, const float* gy, const float* w, float* gx) {
  if (is_depthwise(g)) return depthwise_backward_input(g, gy, w, gx);
  const int64_t rows_total = g.ho() * g.wo(), K = taps_k(g), og = g.og();
  const bool direct = is_pointwise(g);
  parallel_for(g.n, [&](int, int64_t b, int64_t e) {
    std::vector<float> cols(direct ? 0 : size_t(std::min(kRowBlock, rows_total) * K));
    for (int64_t n = b; n < e; ++n) {
      float* gxn = gx + n * g.h * g.w * g.c;
      const float* gyn = gy + n * rows_total * g.o;
      if (!direct) std::memset(gxn, 0, size_t(g.h * g.w * g.c) * sizeof(float));
      for (int64_t r0 = 0; r0 < rows_total; r0 += kRowBlock) {
        const int64_t r1 = std::min(rows_total, r0 + kRowBlock), rows = r1 - r0;
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          ConstMap GY(gyn + r0 * g.o + grp * og, rows, og, Eigen::OuterStride<>(g.o));
          ConstMap W(w + grp * og * K, og, K, Eigen::OuterStride<>(K));
          Map D(direct ? gxn + r0 * g.c : cols.data(), rows, K, Eigen::OuterStride<>(direct ? g.c : K));
          D.noalias() = GY * W;
          if (!direct) col2im_add(g, cols.data(), grp, r0, r1, gxn);
        }
      }
    }
  });
}

void conv2d_backward_weight(const ConvGeom& g, const float* x, const float* gy, float* gw) {
  if (is_depthwise(g)) return depthwise_backward_weight(g, x, gy, gw);
  const int64_t rows_total = g.ho() * g.wo(), K = taps_k(g), og = g.og();
  const bool direct = is_pointwise(g);
  const int nt = num_threads_for(g.n);
  std::vector<RowMat> acc(size_t(nt), RowMat::Zero(g.o, K));
  parallel_for(g.n, [&](int tid, int64_t b, int64_t e) {
    std::vector<float> cols(direct ? 0 : size_t(std::min(kRowBlock, rows_total) * K));
    RowMat& a = acc[size_t(tid)];
    for (int64_t n = b; n < e; ++n) {
      const float* xn = x + n * g.h * g.w * g.c;
      const float* gyn = gy + n * rows_total * g.o;
      for (int64_t r0 = 0; r0 < rows_total; r0 += kRowBlock) {
        const int64_t r1 = std::min(rows_total, r0 + kRowBlock), rows = r1 - r0;
        for (int64_t grp = 0; grp < g.groups; ++grp) {
          const float* src = xn + r0 * g.c;
          if (!direct) {
            im2col(g, xn, grp, r0, r1, cols.data());
            src = cols.data();
          }
          ConstMap A(src, rows, K, Eigen::OuterStride<>(direct ? g.c : K));
          ConstMap GY(gyn + r0 * g.o + grp * og, rows, og, Eigen::OuterStride<>(g.o));
          a.middleRows(grp * og, og).noalias() += GY.transpose() * A;
        }
      }
    }
  });
  Eigen::Map<RowMat> out(gw, g.o, K);
  out = acc[0];
  for (size_t i = 1; i < acc.size(); ++i) out += acc[i];
}

}  // namespace ye::kernels::cpu

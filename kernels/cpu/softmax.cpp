// CPU softmax (any axis of a contiguous view) and DFL expectation, forward and backward, in f32.
#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/softmax.h"

namespace ye::kernels::cpu {

void softmax_forward(const float* x, int64_t outer, int64_t len, int64_t inner, float* y) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float* xp = x + o * len * inner + i;
      float* yp = y + o * len * inner + i;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t k = 0; k < len; ++k) m = std::max(m, xp[k * inner]);
      float s = 0.f;
      for (int64_t k = 0; k < len; ++k) {
        float e = std::exp(xp[k * inner] - m);
        yp[k * inner] = e;
        s += e;
      }
      float inv = 1.0f / s;
      for (int64_t k = 0; k < len; ++k) yp[k * inner] *= inv;
    }
}

void softmax_backward(const float* y, const float* gy, int64_t outer, int64_t len, int64_t inner, float* gx) {
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * len * inner + i;
      float dot = 0.f;
      for (int64_t k = 0; k < len; ++k) dot += y[base + k * inner] * gy[base + k * inner];
      for (int64_t k = 0; k < len; ++k) gx[base + k * inner] = y[base + k * inner] * (gy[base + k * inner] - dot);
    }
}

namespace {
// p = softmax(x[0..bins)), returns the expectation sum_i i * p_i.
float dfl_row(const float* x, int64_t bins, float* p) {
  float m = x[0];
  for (int64_t k = 1; k < bins; ++k) m = std::max(m, x[k]);
  float s = 0.f;
  for (int64_t k = 0; k < bins; ++k) {
    p[k] = std::exp(x[k] - m);
    s += p[k];
  }
  float e = 0.f;
  for (int64_t k = 0; k < bins; ++k) {
    p[k] /= s;
    e += float(k) * p[k];
  }
  return e;
}
}  // namespace

void dfl_forward(const float* x, int64_t rows, int64_t bins, float* out) {
  float p[64];
  for (int64_t r = 0; r < rows; ++r) out[r] = dfl_row(x + r * bins, bins, p);
}

void dfl_backward(const float* x, const float* gout, int64_t rows, int64_t bins, float* gx) {
  float p[64];
  for (int64_t r = 0; r < rows; ++r) {
    float e = dfl_row(x + r * bins, bins, p);
    for (int64_t k = 0; k < bins; ++k) gx[r * bins + k] = gout[r] * p[k] * (float(k) - e);
  }
}

}  // namespace ye::kernels::cpu

// CPU batch norm (+SiLU) kernels on (rows, C) f32 data; statistics accumulated in double.
#include "kernels/batchnorm.h"

#include <cmath>
#include <vector>

namespace ye::kernels::cpu {
namespace {
inline float sigmoidf(float z) { return 1.0f / (1.0f + std::exp(-z)); }

// dL/dz of the BN output z given dL/dy and z (SiLU derivative when fused).
inline float grad_z(float dy, float z, bool silu) {
  if (!silu) return dy;
  float s = sigmoidf(z);
  return dy * s * (1.0f + z * (1.0f - s));
}
}  // namespace

void bn_stats(const float* x, int64_t rows, int64_t C, float eps, float* mean, float* invstd, float* var_unbiased) {
  std::vector<double> sum(size_t(C), 0.0), sq(size_t(C), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) sum[size_t(c)] += xr[c];
  }
  for (int64_t c = 0; c < C; ++c) sum[size_t(c)] /= double(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    for (int64_t c = 0; c < C; ++c) {
      double d = xr[c] - sum[size_t(c)];
      sq[size_t(c)] += d * d;
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    double var = sq[size_t(c)] / double(rows);
    mean[c] = float(sum[size_t(c)]);
    invstd[c] = float(1.0 / std::sqrt(var + double(eps)));
    if (var_unbiased) var_unbiased[c] = float(rows > 1 ? sq[size_t(c)] / double(rows - 1) : var);
  }
}

void bn_forward(const float* x, int64_t rows, int64_t C, const BnParams& p, float* y) {
  std::vector<float> scale(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    scale[size_t(c)] = p.invstd[c] * p.weight[c];
    shift[size_t(c)] = p.bias[c] - p.mean[c] * scale[size_t(c)];
  }
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * C;
    float* yr = y + r * C;
    for (int64_t c = 0; c < C; ++c) {
      float z = xr[c] * scale[size_t(c)] + shift[size_t(c)];
      yr[c] = p.silu ? z * sigmoidf(z) : z;
    }
  }
}

void bn_backward_reduce(const float* x, const float* dy, int64_t rows, int64_t C, const BnParams& p, float* sum_dz,
                        float* sum_dz_xhat) {
  std::vector<double> s1(size_t(C), 0.0), s2(size_t(C), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * C, *gr = dy + r * C;
    for (int64_t c = 0; c < C; ++c) {
      float xhat = (xr[c] - p.mean[c]) * p.invstd[c];
      float dz = grad_z(gr[c], xhat * p.weight[c] + p.bias[c], p.silu);
      s1[size_t(c)] += dz;
      s2[size_t(c)] += double(dz) * xhat;
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    sum_dz[c] = float(s1[size_t(c)]);
    sum_dz_xhat[c] = float(s2[size_t(c)]);
  }
}

void bn_backward_input(const float* x, const float* dy, int64_t rows, int64_t C, const BnParams& p, bool training,
                       const float* sum_dz, const float* sum_dz_xhat, float* dx) {
  const float inv_rows = 1.0f / float(rows);
  for (int64_t r = 0; r < rows; ++r) {
    const float *xr = x + r * C, *gr = dy + r * C;
    float* dr = dx + r * C;
    for (int64_t c = 0; c < C; ++c) {
      float xhat = (xr[c] - p.mean[c]) * p.invstd[c];
      float dz = grad_z(gr[c], xhat * p.weight[c] + p.bias[c], p.silu);
      float k = p.weight[c] * p.invstd[c];
      dr[c] = training ? k * (dz - sum_dz[c] * inv_rows - xhat * sum_dz_xhat[c] * inv_rows) : k * dz;
    }
  }
}

}  // namespace ye::kernels::cpu

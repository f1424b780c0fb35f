// CPU batch norm (+SiLU) kernels on (rows, C) f32 data; statistics accumulated in double.
#include "kernels/batchnorm.h"

#include "kernels/cpu/parallel.h"

#include <cmath>
#include <vector>

namespace ye::kernels::cpu {
namespace {
constexpr int64_t kRowGrain = 2048;  // rows per thread before a second thread is worth starting

inline float sigmoidf(float z) { return 1.0f / (1.0f + std::exp(-z)); }

// dL/dz of the BN output z given dL/dy and z (SiLU derivative when fused).
inline float grad_z(float dy, float z, bool silu) {
  if (!silu) return dy;
  float s = sigmoidf(z);
  return dy * s * (1.0f + z * (1.0f - s));
}
}  // namespace

void bn_stats(const float* x, int64_t rows, int64_t C, float eps, float* mean, float* invstd, float* var_unbiased) {
  const size_t nc = static_cast<size_t>(C);
  const int nt = num_threads_for(rows, kRowGrain);
  std::vector<std::vector<double>> part(size_t(nt), std::vector<double>(nc, 0.0));
  parallel_for(rows, [&](int tid, int64_t b, int64_t e) {
    double* acc = part[size_t(tid)].data();
    for (int64_t r = b; r < e; ++r)
      for (int64_t c = 0; c < C; ++c) acc[c] += x[r * C + c];
  }, kRowGrain);
  std::vector<double> mu(nc, 0.0);
  for (auto& p : part)
    for (size_t c = 0; c < nc; ++c) mu[c] += p[c];
  for (double& m : mu) m /= double(rows);
  parallel_for(rows, [&](int tid, int64_t b, int64_t e) {
    double* acc = part[size_t(tid)].data();
    std::fill(acc, acc + C, 0.0);
    for (int64_t r = b; r < e; ++r)
      for (int64_t c = 0; c < C; ++c) {
        double d = x[r * C + c] - mu[size_t(c)];
        acc[c] += d * d;
      }
  }, kRowGrain);
  for (int64_t c = 0; c < C; ++c) {
    double sq = 0;
    for (auto& p : part) sq += p[size_t(c)];
    double var = sq / double(rows);
    mean[c] = float(mu[size_t(c)]);
    invstd[c] = float(1.0 / std::sqrt(var + double(eps)));
    if (var_unbiased) var_unbiased[c] = float(rows > 1 ? sq / double(rows - 1) : var);
  }
}

void bn_forward(const float* x, int64_t rows, int64_t C, const BnParams& p0, float* y) {
  const BnParams p = bn_resolved(p0, C);
  const float* res = static_cast<const float*>(p.residual);
  std::vector<float> scale(static_cast<size_t>(C)), shift(static_cast<size_t>(C));
  for (int64_t c = 0; c < C; ++c) {
    scale[size_t(c)] = p.invstd[c] * p.weight[c];
    shift[size_t(c)] = p.bias[c] - p.mean[c] * scale[size_t(c)];
  }
  parallel_for(rows, [&](int, int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float* xr = x + r * C;
      float* yr = y + r * p.ld_y;
      for (int64_t c = 0; c < C; ++c) {
        float z = xr[c] * scale[size_t(c)] + shift[size_t(c)];
        yr[c] = p.silu ? z * sigmoidf(z) : z;
      }
      if (res)
        for (int64_t c = 0; c < C; ++c) yr[c] += res[r * p.ld_res + c];
    }
  }, kRowGrain);
}

void bn_backward_reduce(const float* x, const float* dy, int64_t rows, int64_t C, const BnParams& p0, float* sum_dz,
                        float* sum_dz_xhat) {
  const BnParams p = bn_resolved(p0, C);
  const size_t nc = static_cast<size_t>(C);
  const int nt = num_threads_for(rows, kRowGrain);
  std::vector<std::vector<double>> s1(size_t(nt), std::vector<double>(nc, 0.0)), s2 = s1;
  parallel_for(rows, [&](int tid, int64_t b, int64_t e) {
    double *a1 = s1[size_t(tid)].data(), *a2 = s2[size_t(tid)].data();
    for (int64_t r = b; r < e; ++r) {
      const float *xr = x + r * C, *gr = dy + r * p.ld_dy;
      for (int64_t c = 0; c < C; ++c) {
        float xhat = (xr[c] - p.mean[c]) * p.invstd[c];
        float dz = grad_z(gr[c], xhat * p.weight[c] + p.bias[c], p.silu);
        a1[c] += dz;
        a2[c] += double(dz) * xhat;
      }
    }
  }, kRowGrain);
  for (int64_t c = 0; c < C; ++c) {
    double a = 0, b = 0;
    for (int t = 0; t < nt; ++t) {
      a += s1[size_t(t)][size_t(c)];
      b += s2[size_t(t)][size_t(c)];
    }
    sum_dz[c] = float(a);
    sum_dz_xhat[c] = float(b);
  }
}

void bn_backward_input(const float* x, const float* dy, int64_t rows, int64_t C, const BnParams& p0, bool training,
                       const float* sum_dz, const float* sum_dz_xhat, float* dx) {
  const BnParams p = bn_resolved(p0, C);
  const float inv_rows = 1.0f / float(rows);
  parallel_for(rows, [&](int, int64_t b, int64_t e) {
    for (int64_t r = b; r < e; ++r) {
      const float *xr = x + r * C, *gr = dy + r * p.ld_dy;
      float* dr = dx + r * C;
      for (int64_t c = 0; c < C; ++c) {
        float xhat = (xr[c] - p.mean[c]) * p.invstd[c];
        float dz = grad_z(gr[c], xhat * p.weight[c] + p.bias[c], p.silu);
        float k = p.weight[c] * p.invstd[c];
        dr[c] = training ? k * (dz - sum_dz[c] * inv_rows - xhat * sum_dz_xhat[c] * inv_rows) : k * dz;
      }
    }
  }, kRowGrain);
}

}  // namespace ye::kernels::cpu

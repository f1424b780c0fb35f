// CPU SyncBN kernels (see kernels/sync_bn.h): shifted per-channel sums in double, statistics from the
// reduced sums, and the row-count scale of the reduced backward sums.
#include "kernels/sync_bn.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/cpu/parallel.h"

namespace ye::kernels::cpu {
namespace {
constexpr int64_t kRowGrain = 2048;
}

void sync_bn_local_sums(const float* x, int64_t rows, int64_t C, const float* shift, float* sums) {
  const size_t nc = static_cast<size_t>(C);
  const int nt = num_threads_for(rows, kRowGrain);
  std::vector<std::vector<double>> part(size_t(nt), std::vector<double>(2 * nc, 0.0));
  parallel_for(rows, [&](int tid, int64_t b, int64_t e) {
    double* s1 = part[size_t(tid)].data();
    double* s2 = s1 + C;
    for (int64_t r = b; r < e; ++r)
      for (int64_t c = 0; c < C; ++c) {
        double d = double(x[r * C + c]) - double(shift[c]);
        s1[c] += d;
        s2[c] += d * d;
      }
  }, kRowGrain);
  for (size_t i = 0; i < 2 * nc; ++i) {
    double t = 0.0;
    for (auto& p : part) t += p[i];
    sums[i] = float(t);
  }
  sums[2 * C] = float(rows);
}

void sync_bn_finalize(const float* sums, int64_t C, const float* shift, float eps, float momentum,
                      float* running_mean, float* running_var, float* mean, float* invstd) {
  const double n = double(sums[2 * C]);
  for (int64_t c = 0; c < C; ++c) {
    double d = double(sums[c]) / n;
    double var = std::max(0.0, double(sums[C + c]) / n - d * d);
    double m = double(shift[c]) + d;
    mean[c] = float(m);
    invstd[c] = float(1.0 / std::sqrt(var + double(eps)));
    if (running_mean) {
      double unbiased = n > 1.0 ? var * n / (n - 1.0) : var;
      running_mean[c] = (1.0f - momentum) * running_mean[c] + momentum * float(m);
      running_var[c] = (1.0f - momentum) * running_var[c] + momentum * float(unbiased);
    }
  }
}

void sync_bn_scale_by_rows(float* v, int64_t n, float local_rows, const float* global_rows) {
  const float f = local_rows / *global_rows;
  for (int64_t i = 0; i < n; ++i) v[i] *= f;
}

}  // namespace ye::kernels::cpu

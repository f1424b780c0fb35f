// Raw kernels of synchronised batch norm (SyncBN) on channels-last (rows, C) data: per-channel sums
// about a shift that every rank shares (the running mean, broadcast from rank 0), laid out for one
// fused all-reduce as [sum(x - shift) (C), sum((x - shift)^2) (C), rows (1)]; the statistics and the
// running update from the reduced sums; and a scale of the reduced backward sums. CPU twins here;
// CUDA in kernels/cuda/sync_bn_cuda.h. The forward/backward passes are those of kernels/batchnorm.h.
#pragma once
#include <cstdint>

namespace ye::kernels {

inline int64_t sync_bn_sums_floats(int64_t C) { return 2 * C + 1; }

namespace cpu {
// sums (2C+1): [sum(x - shift), sum((x - shift)^2), rows]; accumulated in double.
void sync_bn_local_sums(const float* x, int64_t rows, int64_t C, const float* shift, float* sums);
// From reduced sums (over all ranks): mean/invstd (biased variance) and, when running_mean is set,
// running = (1-momentum)*running + momentum*batch with the unbiased variance. shift may alias
// running_mean (it is read before the update).
void sync_bn_finalize(const float* sums, int64_t C, const float* shift, float eps, float momentum,
                      float* running_mean, float* running_var, float* mean, float* invstd);
// v[i] *= local_rows / *global_rows (the reduced row count, sums + 2C of the forward), i < n.
void sync_bn_scale_by_rows(float* v, int64_t n, float local_rows, const float* global_rows);
}  // namespace cpu

}  // namespace ye::kernels

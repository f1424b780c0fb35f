// Raw batch-norm kernels over channels-last data viewed as (rows, C), optionally fused with SiLU
// (y = silu(x*scale + shift)). Statistics and affine parameters are f32. The backward is split into a
// per-channel reduction (sum of dz and of dz*xhat, dz = dL/d(bn output)) and an elementwise pass, both
// recomputing bn(x) from x, mean and invstd; x is packed (rows, C), y / dy / the residual may be channel
// slices of wider rows (BnParams strides). CPU (f32) here; CUDA twins in kernels/cuda/batchnorm_cuda.h.
#pragma once
#include <cstdint>

namespace ye::kernels {

struct BnParams {
  const float* mean = nullptr;    // (C) batch mean (training) or running mean (eval)
  const float* invstd = nullptr;  // (C) 1/sqrt(var + eps)
  const float* weight = nullptr;  // (C)
  const float* bias = nullptr;    // (C)
  bool silu = false;
  // Layout extras: row strides in elements of y (forward), of dy (backward) and of the residual, 0 = packed
  // rows of C (a channel slice of a wider NHWC buffer has rows C apart within a stride of its full width).
  int64_t ld_y = 0, ld_dy = 0, ld_res = 0;
  // Forward only, optional: y = act(bn(x)) rounded to y's dtype, plus residual (same dtype as y), i.e.
  // exactly a separate residual add fused into the pass. Its gradient is dy itself.
  const void* residual = nullptr;
};

// p with every row stride that is 0 resolved to C.
inline BnParams bn_resolved(BnParams p, int64_t C) {
  if (p.ld_y == 0) p.ld_y = C;
  if (p.ld_dy == 0) p.ld_dy = C;
  if (p.ld_res == 0) p.ld_res = C;
  return p;
}

namespace cpu {
// Biased per-channel mean and invstd; var_unbiased for the running update (rows > 1).
void bn_stats(const float* x, int64_t rows, int64_t C, float eps, float* mean, float* invstd, float* var_unbiased);
void bn_forward(const float* x, int64_t rows, int64_t C, const BnParams& p, float* y);
void bn_backward_reduce(const float* x, const float* dy, int64_t rows, int64_t C, const BnParams& p, float* sum_dz,
                        float* sum_dz_xhat);
// training: dx = w*invstd*(dz - sum_dz/rows - xhat*sum_dz_xhat/rows); eval: dx = w*invstd*dz.
void bn_backward_input(const float* x, const float* dy, int64_t rows, int64_t C, const BnParams& p, bool training,
                       const float* sum_dz, const float* sum_dz_xhat, float* dx);
}  // namespace cpu

}  // namespace ye::kernels

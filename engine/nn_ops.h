// Layer ops of the engine (namespace ye::ops), forward plus backward, on NHWC activations: conv2d
// (cuDNN on CUDA, im2col + Eigen GEMM on the CPU), batch norm (optionally fused with SiLU), max
// pooling, nearest x2 upsampling, concat/split, permute, softmax and the DFL expectation. f32 on both
// devices, f16/bf16 on CUDA; BN statistics and affine parameters are always f32.
#pragma once
#include <vector>

#include "engine/ops.h"

namespace ye::ops {

// ---- convolution -------------------------------------------------------------------------------------
// x (N, H, W, C) NHWC; w (O, kh, kw, C/groups) ("KRSC"); bias (O) or undefined. Dilation 1.
// Output (N, Ho, Wo, O) with Ho = (H + 2*pad - kh)/stride + 1. w and bias are cast to x's dtype inside
// the op (their gradients flow back to the f32 masters).
struct Conv2dArgs {
  int stride = 1;
  int pad = 0;
  int groups = 1;
};
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& bias, const Conv2dArgs& args);
// The channel count conv2d widens inputs of fewer channels to (zeros beyond, for tensor cores: 8 on CUDA
// in f16/bf16 unless YE_CONV_PAD=0), 0 where it does not; a producer can give its rows that length up
// front (ops::scaled_cast's row_pad), so the widening needs no copy.
int64_t conv_input_row_pad(Device device, DType dtype);

// Weight layout conversions (contiguous copies): reference OIHW <-> ours (O, kh, kw, I/groups).
Tensor conv_weight_from_oihw(const Tensor& w_oihw);
Tensor conv_weight_to_oihw(const Tensor& w_ohwi);

// ---- batch norm ----------------------------------------------------------------------------------------
// x (..., C) with C last (NHWC); weight/bias/running_mean/running_var f32 (C). Training: normalises with
// the batch statistics over every other dim and updates running_mean/running_var in place
// (running = (1-momentum)*running + momentum*batch, unbiased batch variance). Eval: running stats.
// With silu = true the op returns silu(bn(x)) in one pass (backward recomputes bn(x) from x).
struct BatchNormArgs {
  bool training = true;
  float momentum = 0.03f;
  float eps = 1e-3f;
  bool silu = false;
};
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, const BatchNormArgs& args);
// Forward fusions: `residual` (x's shape and dtype) is added after the activation in the same pass,
// exactly as a separate add of the rounded output would (its gradient is the output's); `out` is a
// preallocated destination of x's shape and dtype without autograd state, whose rows may be channel
// slices of a wider buffer (concat-free blocks write their branches into one buffer), returned as the
// output. Either may be undefined.
struct BatchNormFusion {
  Tensor residual;
  Tensor out;
};
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, const BatchNormArgs& args, const BatchNormFusion& fusion);
// Rows of `t` viewed as (rows, C = last dim): their stride in elements when they are uniformly spaced
// with unit channel stride (a contiguous tensor, or a channel slice of one), else 0.
int64_t channel_row_stride(const Tensor& t);

// ---- pooling / resampling ------------------------------------------------------------------------------
// Max pooling on NHWC with -inf padding (floor mode); ties pick the first max in (ky, kx) scan order.
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int pad);
// Nearest-neighbour x2 upsampling on NHWC: (N, H, W, C) -> (N, 2H, 2W, C); written into `out` when
// given (a tensor of that shape without autograd state whose rows may be channel slices of wider rows,
// e.g. its part of a concat buffer), which is then returned carrying the op.
Tensor upsample_nearest2x(const Tensor& x, const Tensor& out = Tensor());

// ---- shape ops -----------------------------------------------------------------------------------------
// Concatenation along `dim` (negative counts from the end; channels of NHWC are dim -1): every input is
// written straight into its slice of one output buffer. The backward hands each input a view of the grad.
Tensor concat(const std::vector<Tensor>& xs, int dim);
// Split along `dim` into pieces of the given sizes: narrow views (autograd through ops::narrow).
std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int dim);
// out.shape[i] = x.shape[perm[i]]; contiguous copy, backward applies the inverse permutation.
Tensor permute(const Tensor& x, const std::vector<int>& perm);

// ---- softmax / DFL -------------------------------------------------------------------------------------
// Softmax over `dim` (computed in f32, max-subtracted).
Tensor softmax(const Tensor& x, int dim);
// DFL expectation: x (B, A, 4*bins) side-major ([l0..l15, t0.., r0.., b0..]) -> (B, A, 4) with
// out[b, a, s] = sum_i i * softmax(x[b, a, s*bins : (s+1)*bins])_i.
Tensor dfl_expectation(const Tensor& x, int bins = 16);

}  // namespace ye::ops

// Raw CPU 2-D convolution on NHWC f32 (ye::kernels::cpu): forward, input gradient and weight gradient,
// weights (O, kh, kw, C/groups). groups == 1 runs im2col + Eigen GEMM (1x1/s1 skips im2col), depthwise
// (one in and one out channel per group) runs direct loops, other groups per-group im2col + GEMM.
// Work is split over the batch with std::thread. The CUDA path is cuDNN (engine/cuda/cudnn_conv.h).
#pragma once
#include <cstdint>

namespace ye::kernels {

struct ConvGeom {
  int64_t n = 0, h = 0, w = 0, c = 0;  // input (n, h, w, c)
  int64_t o = 0, kh = 0, kw = 0;       // weight (o, kh, kw, c / groups)
  int64_t stride = 1, pad = 0, groups = 1;
  int64_t ho() const { return (h + 2 * pad - kh) / stride + 1; }
  int64_t wo() const { return (w + 2 * pad - kw) / stride + 1; }
  int64_t cg() const { return c / groups; }
  int64_t og() const { return o / groups; }
};

namespace cpu {
void conv2d_forward(const ConvGeom& g, const float* x, const float* w, float* y);          // y overwritten
void conv2d_backward_input(const ConvGeom& g, const float* gy, const float* w, float* gx);  // gx overwritten
void conv2d_backward_weight(const ConvGeom& g, const float* x, const float* gy, float* gw); // gw overwritten
}  // namespace cpu

}  // namespace ye::kernels

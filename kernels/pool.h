// Raw NHWC max pooling (with the argmax of each output, as an index iy*W+ix into its input plane, for
// the backward) and nearest x2 upsampling, forward and backward, on the CPU in f32. CUDA twins (f32,
// f16, bf16) in kernels/cuda/pool_cuda.h.
#pragma once
#include <cstdint>

namespace ye::kernels {

struct PoolGeom {
  int64_t n = 0, h = 0, w = 0, c = 0;
  int64_t kernel = 1, stride = 1, pad = 0;
  int64_t ho() const { return (h + 2 * pad - kernel) / stride + 1; }
  int64_t wo() const { return (w + 2 * pad - kernel) / stride + 1; }
};

namespace cpu {
void max_pool2d_forward(const PoolGeom& g, const float* x, float* y, int32_t* argmax);
void max_pool2d_backward(const PoolGeom& g, const float* gy, const int32_t* argmax, float* gx);  // gx overwritten
// x (n, h, w, c) -> y (n, 2h, 2w, c), and gx = sum of each 2x2 block of gy; `row` is the pixel stride
// of y and gy (c when packed, more for a channel slice of a concat).
void upsample_nearest2x_forward(const float* x, int64_t n, int64_t h, int64_t w, int64_t c, float* y, int64_t row);
void upsample_nearest2x_backward(const float* gy, int64_t n, int64_t h, int64_t w, int64_t c, float* gx, int64_t row);
}  // namespace cpu

}  // namespace ye::kernels

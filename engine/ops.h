// The engine's ops on Tensors, forward plus backward rule: each dispatches to kernels/ (CPU Eigen or
// CUDA) and, when an input requires grad, records its backward on the autograd graph. Binary ops
// broadcast numpy-style. In-place ops (suffix _) never record autograd. Layer ops (conv2d, batchnorm,
// pooling, ...) are declared in engine/nn_ops.h.
#pragma once
#include <cstdint>
#include <vector>

#include "engine/autograd.h"
#include "engine/tensor.h"

namespace ye {

// Counter-based generator: the same seed gives the same numbers on CPU and CUDA (kernels/philox.h).
struct Generator {
  uint64_t seed = 0;
  uint64_t offset = 0;  // counters consumed so far
  explicit Generator(uint64_t s = 0) : seed(s) {}
  uint64_t advance(int64_t n) {  // returns the offset to use for a draw of n numbers
    uint64_t o = offset;
    offset += uint64_t((n + 3) / 4);
    return o;
  }
};

namespace ops {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);

Tensor affine(const Tensor& x, float mul, float add);  // x * mul + add
inline Tensor add_scalar(const Tensor& x, float v) { return affine(x, 1.0f, v); }
inline Tensor mul_scalar(const Tensor& x, float v) { return affine(x, v, 0.0f); }
Tensor pow_scalar(const Tensor& x, float p);

Tensor neg(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor abs(const Tensor& x);

Tensor sum(const Tensor& x);                              // all elements -> shape [1]
Tensor sum(const Tensor& x, int dim, bool keepdim = false);
Tensor mean(const Tensor& x);
Tensor mean(const Tensor& x, int dim, bool keepdim = false);

// Matrix product of 2-D (m,k)x(k,n) or batched 3-D (b,m,k)x(b,k,n); transposes apply to the last two
// dims. CUDA: cuBLAS, f16/bf16 operands with f32 accumulation, f32 without TF32 unless enabled.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

Tensor cast(const Tensor& x, DType dtype);
Tensor to(const Tensor& x, Device device);
Tensor contiguous(const Tensor& x);
// dtype(x * scale) in one pass (the u8 image batch to the model's input). With row_pad > the last dim,
// the result is a view of the first channels of rows of row_pad elements whose other elements are zero
// and reachable through no other tensor; pad_last_dim then widens it without a copy.
Tensor scaled_cast(const Tensor& x, DType dtype, float scale, int64_t row_pad = 0);
// x with zeros appended along the last dim up to `padded` (gradient: the first x.dim(-1) of it); a
// scaled_cast view with that row_pad widens in place.
Tensor pad_last_dim(const Tensor& x, int64_t padded);
// Copies src's values into dst (a preallocated destination without autograd state, e.g. a slice of a
// concat buffer) and returns dst carrying src's history (gradient passed through unchanged).
Tensor copy_into(const Tensor& dst, const Tensor& src);
Tensor slice(const Tensor& x, int64_t begin, int64_t end);             // along dim 0
Tensor narrow(const Tensor& x, int dim, int64_t start, int64_t length);
Tensor reshape(const Tensor& x, const Shape& shape);
Tensor broadcast_to_sum(const Tensor& grad, const Shape& shape);  // reduces a broadcast gradient

void fill_(const Tensor& dst, float value);
void uniform_(const Tensor& dst, float lo, float hi, Generator& gen);
void normal_(const Tensor& dst, float mean, float stddev, Generator& gen);
void add_(const Tensor& dst, const Tensor& src, float alpha = 1.0f);  // dst += alpha * src (dst may be a view)
void copy_(const Tensor& dst, const Tensor& src);  // any strides, dtypes and devices
// Copies nbytes of host memory into a contiguous tensor, asynchronously on the device's compute stream
// (truly asynchronous when `host` is pinned, see host_memory.h); the host buffer must stay alive
// until the stream reaches the copy. On the CPU it is a plain memcpy.
void copy_from_host_async(const Tensor& dst, const void* host, size_t nbytes);

// Device synchronisation (CPU: no-op): waits for all queued work on the device's compute stream.
void synchronize(Device device);
// Enables TF32 tensor-core maths for f32 matmul/conv on a device (off by default).
void set_allow_tf32(Device device, bool allow);

}  // namespace ops
}  // namespace ye

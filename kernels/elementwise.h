// Raw elementwise, copy/convert, reduction and random kernels on plain pointers. CPU versions
// (namespace ye::kernels::cpu) compute f32 (copy/convert handles every dtype); CUDA versions
// (ye::kernels::cuda, declared in kernels/cuda/elementwise_cuda.h) take f32/f16/bf16 and compute in f32.
#pragma once
#include <cstdint>

#include "kernels/dtype.h"

namespace ye::kernels {

enum class UnaryOp : uint8_t { neg, sigmoid, silu, exp, log, sqrt, square, relu, abs, reciprocal };
enum class BinaryOp : uint8_t { add, sub, mul, div, maximum, minimum, ge, le };  // ge/le give 1 or 0

// Up to 5-D strided layout for broadcasting and strided copies; strides in elements (0 = broadcast).
struct Strided5 {
  int ndim = 0;
  int64_t shape[5] = {1, 1, 1, 1, 1};
  int64_t stride_a[5] = {0, 0, 0, 0, 0};
  int64_t stride_b[5] = {0, 0, 0, 0, 0};
  int64_t numel() const {
    int64_t p = 1;
    for (int i = 0; i < ndim; ++i) p *= shape[i];
    return p;
  }
};

namespace cpu {
// y = op(x) * 1 over n elements; alpha is used by scalar ops below.
void unary(UnaryOp op, const float* x, float* y, int64_t n);
// gx = dop/dx(x, y) * gy (y is the forward output; either may be unused by a given op).
void unary_backward(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n);
// out[i] = a[.] op b[.] with broadcasting strides; out contiguous over `layout.shape`.
void binary(BinaryOp op, const float* a, const float* b, float* out, const Strided5& layout);
// y = x * mul + add (scalar affine), and y = x^p.
void affine(const float* x, float* y, int64_t n, float mul, float add);
void pow_scalar(const float* x, float* y, int64_t n, float p);
// dst (dtype dt, strides layout.stride_b) = convert(src (dtype st, strides layout.stride_a)).
void copy_convert(const void* src, DType st, void* dst, DType dt, const Strided5& layout);
// dst row r = scale * src row r (`inner` contiguous elements) followed by zeros up to `padded` elements.
void scale_pad_rows(const void* src, DType st, void* dst, DType dt, int64_t rows, int64_t inner, int64_t padded,
                    float scale);
// out[o, i] = sum_k x[o, k, i] over a contiguous (outer, len, inner) view; double accumulation.
void sum_axis(const float* x, float* out, int64_t outer, int64_t len, int64_t inner);
// dst[i] += alpha * src[i]
void axpy(float alpha, const float* src, float* dst, int64_t n);
void fill(void* dst, DType dt, int64_t n, float value);
}  // namespace cpu

}  // namespace ye::kernels

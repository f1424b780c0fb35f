// CUDA twins of kernels/elementwise.h: every function takes the element dtype (f32, f16 or bf16 for
// the maths kernels; any dtype for copy_convert) and a stream, and computes in f32.
#pragma once
#include <cuda_runtime.h>

#include "kernels/elementwise.h"

namespace ye::kernels::cuda {
void unary(UnaryOp op, DType t, const void* x, void* y, int64_t n, cudaStream_t s);
void unary_backward(UnaryOp op, DType t, const void* x, const void* y, const void* gy, void* gx, int64_t n,
                    cudaStream_t s);
void binary(BinaryOp op, DType t, const void* a, const void* b, void* out, const Strided5& layout, cudaStream_t s);
void affine(DType t, const void* x, void* y, int64_t n, float mul, float add, cudaStream_t s);
void pow_scalar(DType t, const void* x, void* y, int64_t n, float p, cudaStream_t s);
void copy_convert(const void* src, DType st, void* dst, DType dt, const Strided5& layout, cudaStream_t s);
// dst row r = scale * src row r (`inner` contiguous elements) followed by zeros up to `padded` elements.
void scale_pad_rows(const void* src, DType st, void* dst, DType dt, int64_t rows, int64_t inner, int64_t padded,
                    float scale, cudaStream_t s);
// out (f32 accumulate, written as t) over a contiguous (outer, len, inner) view.
void sum_axis(DType t, const void* x, void* out, int64_t outer, int64_t len, int64_t inner, cudaStream_t s);
// out[c] = sum over r < rows of x[r * ld + c], c < C, in f32 and a fixed order (bias gradients of a row
// gradient, which may be a channel slice of wider rows: ld >= C). `partial` holds sum_rows_partials(rows)
// x C floats.
int64_t sum_rows_partials(int64_t rows);
void sum_rows(DType t, const void* x, int64_t rows, int64_t C, int64_t ld, float* partial, float* out, cudaStream_t s);
void axpy(DType t, float alpha, const void* src, void* dst, int64_t n, cudaStream_t s);
// dst += alpha * src over a strided layout (stride_a: src, stride_b: dst; dst may be a channel slice).
void axpy_strided(DType t, float alpha, const void* src, void* dst, const Strided5& layout, cudaStream_t s);
// dst (dtype dt) += alpha * src (dtype st), in f32, one pass (gradient accumulation of f16 into f32).
void axpy_convert(DType st, DType dt, float alpha, const void* src, void* dst, int64_t n, cudaStream_t s);
// Many contiguous dst += src in one launch per kAxpyBatch of them (f32 destinations; f32, f16 or bf16
// sources), the same sums as one axpy_convert each: the parameter gradients of a backward pass. No
// destination may appear twice in one call.
struct AxpyItem {
  const void* src = nullptr;
  float* dst = nullptr;
  int64_t n = 0;
  DType src_dtype = DType::f32;
};
constexpr int kAxpyBatch = 96;  // 3 KiB of kernel parameters
void axpy_batch(const AxpyItem* items, int count, cudaStream_t s);
void fill(void* dst, DType t, int64_t n, float value, cudaStream_t s);
void uniform(void* dst, DType t, int64_t n, float lo, float hi, uint64_t seed, uint64_t offset, cudaStream_t s);
void normal(void* dst, DType t, int64_t n, float mean, float stddev, uint64_t seed, uint64_t offset, cudaStream_t s);
}  // namespace ye::kernels::cuda

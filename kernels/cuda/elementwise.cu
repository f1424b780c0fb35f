// CUDA elementwise, copy/convert, reduction and random kernels (grid-stride loops, f32 maths).
// Binary ops and copies first coalesce their layout; layouts that end
// up as rows of contiguous (or broadcast) elements take vectorised row kernels (16-byte accesses), the
// rest the generic 5-D index walk (kernels/strided_layout.h).
#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "kernels/cuda/dtype_cuda.cuh"
#include "kernels/cuda/elementwise_cuda.h"
#include "kernels/cuda/pack.cuh"
#include "kernels/strided_layout.h"
#include "kernels/philox.h"

namespace ye::kernels::cuda {
namespace {

#define YE_GRID_LOOP(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

__device__ __forceinline__ float unary_fn(UnaryOp op, float x) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::sigmoid: return 1.f / (1.f + __expf(-x));
    case UnaryOp::silu: return x / (1.f + __expf(-x));
    case UnaryOp::exp: return expf(x);
    case UnaryOp::log: return logf(x);
    case UnaryOp::sqrt: return sqrtf(x);
    case UnaryOp::square: return x * x;
    case UnaryOp::relu: return fmaxf(x, 0.f);
    case UnaryOp::abs: return fabsf(x);
    case UnaryOp::reciprocal: return 1.f / x;
  }
  return 0.f;
}

__device__ __forceinline__ float unary_grad(UnaryOp op, float x, float y) {
  switch (op) {
    case UnaryOp::neg: return -1.f;
    case UnaryOp::sigmoid: return y * (1.f - y);
    case UnaryOp::silu: {
      float s = 1.f / (1.f + __expf(-x));
      return s * (1.f + x * (1.f - s));
    }
    case UnaryOp::exp: return y;
    case UnaryOp::log: return 1.f / x;
    case UnaryOp::sqrt: return 0.5f / y;
    case UnaryOp::square: return 2.f * x;
    case UnaryOp::relu: return x > 0.f ? 1.f : 0.f;
    case UnaryOp::abs: return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
    case UnaryOp::reciprocal: return -y * y;
  }
  return 0.f;
}

__device__ __forceinline__ float binary_fn(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::add: return a + b;
    case BinaryOp::sub: return a - b;
    case BinaryOp::mul: return a * b;
    case BinaryOp::div: return a / b;
    case BinaryOp::maximum: return fmaxf(a, b);
    case BinaryOp::minimum: return fminf(a, b);
    case BinaryOp::ge: return a >= b ? 1.f : 0.f;
    case BinaryOp::le: return a <= b ? 1.f : 0.f;
  }
  return 0.f;
}

__device__ __forceinline__ void strided_offsets(const Strided5& l, int64_t i, int64_t& oa, int64_t& ob) {
  oa = 0;
  ob = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    int64_t q = i % l.shape[d];
    i /= l.shape[d];
    oa += q * l.stride_a[d];
    ob += q * l.stride_b[d];
  }
}

template <typename T>
__global__ void unary_kernel(UnaryOp op, const T* x, T* y, int64_t n) {
  YE_GRID_LOOP(i, n) y[i] = from_f32<T>(unary_fn(op, to_f32(x[i])));
}

template <typename T>
__global__ void unary_backward_kernel(UnaryOp op, const T* x, const T* y, const T* gy, T* gx, int64_t n) {
  YE_GRID_LOOP(i, n) {
    float xv = x ? to_f32(x[i]) : 0.f;
    float yv = y ? to_f32(y[i]) : 0.f;
    gx[i] = from_f32<T>(to_f32(gy[i]) * unary_grad(op, xv, yv));
  }
}

template <typename T>
__global__ void binary_kernel(BinaryOp op, const T* a, const T* b, T* out, Strided5 l, int64_t n) {
  YE_GRID_LOOP(i, n) {
    int64_t oa, ob;
    strided_offsets(l, i, oa, ob);
    out[i] = from_f32<T>(binary_fn(op, to_f32(a[oa]), to_f32(b[ob])));
  }
}

template <typename T>
__global__ void affine_kernel(const T* x, T* y, int64_t n, float mul, float add) {
  YE_GRID_LOOP(i, n) y[i] = from_f32<T>(to_f32(x[i]) * mul + add);
}

template <typename T>
__global__ void pow_kernel(const T* x, T* y, int64_t n, float p) {
  YE_GRID_LOOP(i, n) y[i] = from_f32<T>(powf(to_f32(x[i]), p));
}

template <typename S, typename D>
__global__ void copy_kernel(const S* src, D* dst, Strided5 l, int64_t n) {
  YE_GRID_LOOP(i, n) {
    int64_t oa, ob;
    strided_offsets(l, i, oa, ob);
    dst[ob] = from_f32<D>(to_f32(src[oa]));
  }
}

template <typename T>
__global__ void same_type_copy_kernel(const T* src, T* dst, Strided5 l, int64_t n) {
  YE_GRID_LOOP(i, n) {
    int64_t oa, ob;
    strided_offsets(l, i, oa, ob);
    dst[ob] = src[oa];
  }
}

// Rows x inner elements, V consecutive ones per work item. An operand's inner stride is 1 (V-wide loads;
// the host checked alignment) or 0 (one value per row, broadcast); out is contiguous.
template <typename T, int V>
__global__ void binary_rows_kernel(BinaryOp op, const T* a, const T* b, T* out, RowLayout l) {
  const int64_t per_row = l.inner / V, items = l.rows * per_row;
  YE_GRID_LOOP(i, items) {
    const int64_t r = i / per_row, j = (i - r * per_row) * V;
    Pack<T, V> va, vb, vo;
    if (l.inner_a) va = load_pack<T, V>(a + r * l.row_a + j); else va = splat<T, V>(a[r * l.row_a]);
    if (l.inner_b) vb = load_pack<T, V>(b + r * l.row_b + j); else vb = splat<T, V>(b[r * l.row_b]);
#pragma unroll
    for (int v = 0; v < V; ++v) vo.v[v] = from_f32<T>(binary_fn(op, to_f32(va.v[v]), to_f32(vb.v[v])));
    store_pack(out + r * l.inner + j, vo);
  }
}

// Rows of `inner` contiguous elements from src (row stride row_a) to dst (row stride row_b), converting.
template <typename S, typename D, int V>
__global__ void copy_rows_kernel(const S* src, D* dst, RowLayout l) {
  const int64_t per_row = l.inner / V, items = l.rows * per_row;
  YE_GRID_LOOP(i, items) {
    const int64_t r = i / per_row, j = (i - r * per_row) * V;
    Pack<S, V> in = load_pack<S, V>(src + r * l.row_a + j);
    Pack<D, V> o;
#pragma unroll
    for (int v = 0; v < V; ++v) {
      if constexpr (std::is_same_v<S, D>) o.v[v] = in.v[v];
      else o.v[v] = from_f32<D>(to_f32(in.v[v]));
    }
    store_pack(dst + r * l.row_b + j, o);
  }
}

// Row r of dst: the `inner` elements of src row r times `scale`, then zeros up to `padded` elements (an
// image batch widened to a tensor-core channel count). Padded rows of 16 bytes: one row per thread and
// one vector store; otherwise one element per thread.
template <typename S, typename D, int P>
__global__ void scale_pad_rows_kernel(const S* src, D* dst, int64_t rows, int inner, float scale) {
  YE_GRID_LOOP(r, rows) {
    Pack<D, P> o;
#pragma unroll
    for (int j = 0; j < P; ++j) o.v[j] = from_f32<D>(j < inner ? to_f32(src[r * inner + j]) * scale : 0.f);
    store_pack(dst + r * P, o);
  }
}

template <typename S, typename D>
__global__ void scale_pad_kernel(const S* src, D* dst, int64_t n, int64_t inner, int64_t padded, float scale) {
  YE_GRID_LOOP(i, n) {
    const int64_t r = i / padded, j = i - r * padded;
    dst[i] = from_f32<D>(j < inner ? to_f32(src[r * inner + j]) * scale : 0.f);
  }
}

// dst row r, element j += alpha * src row r, element j: rows of `inner` contiguous elements at row
// strides row_b (dst) and row_a (src), one dtype (gradient accumulation into a channel slice).
template <typename T, int V>
__global__ void axpy_rows_kernel(float alpha, const T* src, T* dst, RowLayout l) {
  const int64_t per_row = l.inner / V, items = l.rows * per_row;
  YE_GRID_LOOP(i, items) {
    const int64_t r = i / per_row, j = (i - r * per_row) * V;
    Pack<T, V> in = load_pack<T, V>(src + r * l.row_a + j), o = load_pack<T, V>(dst + r * l.row_b + j);
#pragma unroll
    for (int v = 0; v < V; ++v) o.v[v] = from_f32<T>(to_f32(o.v[v]) + alpha * to_f32(in.v[v]));
    store_pack(dst + r * l.row_b + j, o);
  }
}

template <typename T>
__global__ void axpy_strided_kernel(float alpha, const T* src, T* dst, Strided5 l, int64_t n) {
  YE_GRID_LOOP(i, n) {
    int64_t oa, ob;
    strided_offsets(l, i, oa, ob);
    dst[ob] = from_f32<T>(to_f32(dst[ob]) + alpha * to_f32(src[oa]));
  }
}

// One block per output element group: blockDim.x threads cooperate over `len` for one (o, i).
template <typename T>
__global__ void sum_axis_kernel(const T* x, T* out, int64_t outer, int64_t len, int64_t inner) {
  __shared__ float partial[32];
  for (int64_t o_i = blockIdx.x; o_i < outer * inner; o_i += gridDim.x) {
    int64_t o = o_i / inner, in = o_i % inner;
    float acc = 0.f;
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x) acc += to_f32(x[(o * len + k) * inner + in]);
    for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if ((threadIdx.x & 31) == 0) partial[threadIdx.x >> 5] = acc;
    __syncthreads();
    if (threadIdx.x < 32) {
      acc = threadIdx.x < (blockDim.x >> 5) ? partial[threadIdx.x] : 0.f;
      for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);
      if (threadIdx.x == 0) out[o_i] = from_f32<T>(acc);
    }
    __syncthreads();
  }
}

// Column sums when len is large and inner is wide: each thread owns one output column.
template <typename T>
__global__ void sum_axis_columns_kernel(const T* x, T* out, int64_t outer, int64_t len, int64_t inner) {
  YE_GRID_LOOP(o_i, outer * inner) {
    int64_t o = o_i / inner, in = o_i % inner;
    float acc = 0.f;
    for (int64_t k = 0; k < len; ++k) acc += to_f32(x[(o * len + k) * inner + in]);
    out[o_i] = from_f32<T>(acc);
  }
}

// Stage 1 of sum_rows: block (row block rb, 32-channel group) sums rows rb*8+ty, step R*8, per thread,
// then its 8 row lanes in a fixed tree, into partial[rb][c]. Stage 2: each channel's R partials in order.
constexpr int kSumRowsLanes = 8;
template <typename T>
__global__ void sum_rows_partial_kernel(const T* x, int64_t rows, int64_t C, int64_t ld, float* partial) {
  const int64_t c = int64_t(blockIdx.y) * 32 + threadIdx.x;
  float acc = 0.f;
  if (c < C)
    for (int64_t r = int64_t(blockIdx.x) * kSumRowsLanes + threadIdx.y; r < rows; r += int64_t(gridDim.x) * kSumRowsLanes)
      acc += to_f32(x[r * ld + c]);
  __shared__ float lanes[kSumRowsLanes][32];
  lanes[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  for (int step = kSumRowsLanes / 2; step > 0; step /= 2) {
    if (int(threadIdx.y) < step) lanes[threadIdx.y][threadIdx.x] += lanes[threadIdx.y + step][threadIdx.x];
    __syncthreads();
  }
  if (threadIdx.y == 0 && c < C) partial[int64_t(blockIdx.x) * C + c] = lanes[0][threadIdx.x];
}

__global__ void sum_rows_final_kernel(const float* partial, int64_t R, int64_t C, float* out) {
  YE_GRID_LOOP(c, C) {
    float acc = 0.f;
    for (int64_t q = 0; q < R; ++q) acc += partial[q * C + c];
    out[c] = acc;
  }
}

// dst (D) += alpha * src (S) in f32: same-type accumulation (S = D) and f16/bf16 into f32 gradients.
template <typename S, typename D>
__global__ void axpy_kernel(float alpha, const S* src, D* dst, int64_t n) {
  YE_GRID_LOOP(i, n) dst[i] = from_f32<D>(to_f32(dst[i]) + alpha * to_f32(src[i]));
}

struct AxpyBatch {
  AxpyItem item[kAxpyBatch];
};

// blockIdx.y picks the item; the x blocks stride over its elements. __grid_constant__: the items are
// read from the parameter bank, not copied per thread.
__global__ void axpy_batch_kernel(const __grid_constant__ AxpyBatch b) {
  const AxpyItem& it = b.item[blockIdx.y];
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < it.n; i += int64_t(blockDim.x) * gridDim.x) {
    float v;
    if (it.src_dtype == DType::f16) v = to_f32(static_cast<const __half*>(it.src)[i]);
    else if (it.src_dtype == DType::bf16) v = to_f32(static_cast<const __nv_bfloat16*>(it.src)[i]);
    else v = static_cast<const float*>(it.src)[i];
    it.dst[i] += v;
  }
}

template <typename T>
__global__ void fill_kernel(T* dst, int64_t n, float v) {
  T tv = from_f32<T>(v);
  YE_GRID_LOOP(i, n) dst[i] = tv;
}

// 16-byte stores over n / V packs (dst aligned); the tail is filled by fill_kernel.
template <typename T, int V>
__global__ void fill_vec_kernel(T* dst, int64_t packs, float v) {
  const Pack<T, V> p = splat<T, V>(from_f32<T>(v));
  YE_GRID_LOOP(i, packs) store_pack(dst + i * V, p);
}

template <typename T>
__global__ void uniform_kernel(T* dst, int64_t n, float lo, float hi, uint64_t seed, uint64_t offset) {
  // Explicit round-to-nearest ops: no FMA contraction, so the numbers equal the CPU's bit for bit.
  YE_GRID_LOOP(i, n) dst[i] = from_f32<T>(__fadd_rn(lo, __fmul_rn(hi - lo, philox_uniform(seed, offset, i))));
}

template <typename T>
__global__ void normal_kernel(T* dst, int64_t n, float mean, float stddev, uint64_t seed, uint64_t offset) {
  YE_GRID_LOOP(i, n) dst[i] = from_f32<T>(mean + stddev * philox_normal(seed, offset, i));
}

void check_launch() {
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA kernel launch failed: ") + cudaGetErrorString(e));
}

constexpr int kBlock = 256;
}  // namespace

void unary(UnaryOp op, DType t, const void* x, void* y, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_FLOAT(t, T, unary_kernel<T><<<grid_for(n), kBlock, 0, s>>>(op, (const T*)x, (T*)y, n));
  check_launch();
}

void unary_backward(UnaryOp op, DType t, const void* x, const void* y, const void* gy, void* gx, int64_t n,
                    cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_FLOAT(t, T,
                    unary_backward_kernel<T><<<grid_for(n), kBlock, 0, s>>>(op, (const T*)x, (const T*)y,
                                                                            (const T*)gy, (T*)gx, n));
  check_launch();
}

void binary(BinaryOp op, DType t, const void* a, const void* b, void* out, const Strided5& layout, cudaStream_t s) {
  const int64_t n = layout.numel();
  if (n == 0) return;
  const Strided5 l = coalesce(layout);
  RowLayout rows;
  if (as_rows(l, /*broadcast_inner=*/true, rows)) {
    const int V = int(16 / dtype_size(t));
    const size_t e = dtype_size(t);
    const bool vec = vectorisable(rows, V, a, e, b, e, out, e);
    const int64_t items = rows.rows * (rows.inner / (vec ? V : 1));
    YE_DISPATCH_FLOAT(t, T, {
      if (vec)
        binary_rows_kernel<T, 16 / sizeof(T)><<<grid_for(items), kBlock, 0, s>>>(op, (const T*)a, (const T*)b, (T*)out, rows);
      else
        binary_rows_kernel<T, 1><<<grid_for(items), kBlock, 0, s>>>(op, (const T*)a, (const T*)b, (T*)out, rows);
    });
    check_launch();
    return;
  }
  YE_DISPATCH_FLOAT(t, T,
                    binary_kernel<T><<<grid_for(n), kBlock, 0, s>>>(op, (const T*)a, (const T*)b, (T*)out, l, n));
  check_launch();
}

void affine(DType t, const void* x, void* y, int64_t n, float mul, float add, cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_FLOAT(t, T, affine_kernel<T><<<grid_for(n), kBlock, 0, s>>>((const T*)x, (T*)y, n, mul, add));
  check_launch();
}

void pow_scalar(DType t, const void* x, void* y, int64_t n, float p, cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_FLOAT(t, T, pow_kernel<T><<<grid_for(n), kBlock, 0, s>>>((const T*)x, (T*)y, n, p));
  check_launch();
}

void copy_convert(const void* src, DType st, void* dst, DType dt, const Strided5& layout, cudaStream_t s) {
  const int64_t n = layout.numel();
  if (n == 0) return;
  const Strided5 l = coalesce(layout);
  RowLayout rows;
  if (as_rows(l, /*broadcast_inner=*/false, rows)) {
    // V elements per access: 16 bytes of the wider of the two types.
    const int V = int(16 / std::max(dtype_size(st), dtype_size(dt)));
    const bool vec = vectorisable(rows, V, src, dtype_size(st), dst, dtype_size(dt));
    const int64_t items = rows.rows * (rows.inner / (vec ? V : 1));
    YE_DISPATCH_ALL(st, S, YE_DISPATCH_ALL(dt, D, {
      constexpr int kV = int(16 / (sizeof(S) > sizeof(D) ? sizeof(S) : sizeof(D)));
      if (vec)
        copy_rows_kernel<S, D, kV><<<grid_for(items), kBlock, 0, s>>>((const S*)src, (D*)dst, rows);
      else
        copy_rows_kernel<S, D, 1><<<grid_for(items), kBlock, 0, s>>>((const S*)src, (D*)dst, rows);
    }));
    check_launch();
    return;
  }
  if (st == dt) {
    YE_DISPATCH_ALL(st, T, same_type_copy_kernel<T><<<grid_for(n), kBlock, 0, s>>>((const T*)src, (T*)dst, l, n));
  } else {
    YE_DISPATCH_ALL(st, S,
                    YE_DISPATCH_ALL(dt, D,
                                    copy_kernel<S, D><<<grid_for(n), kBlock, 0, s>>>((const S*)src, (D*)dst, l, n)));
  }
  check_launch();
}

namespace {
template <typename S, typename D>
void launch_scale_pad(const S* src, D* dst, int64_t rows, int64_t inner, int64_t padded, float scale,
                      cudaStream_t s) {
  if constexpr (sizeof(D) == 2) {
    if (padded == 8 && aligned_to(dst, 16)) {
      scale_pad_rows_kernel<S, D, 8><<<grid_for(rows), kBlock, 0, s>>>(src, dst, rows, int(inner), scale);
      return;
    }
  }
  scale_pad_kernel<S, D><<<grid_for(rows * padded), kBlock, 0, s>>>(src, dst, rows * padded, inner, padded, scale);
}
}  // namespace

void scale_pad_rows(const void* src, DType st, void* dst, DType dt, int64_t rows, int64_t inner, int64_t padded,
                    float scale, cudaStream_t s) {
  if (rows == 0) return;
  YE_DISPATCH_ALL(st, S, YE_DISPATCH_ALL(dt, D, launch_scale_pad((const S*)src, (D*)dst, rows, inner, padded, scale, s)));
  check_launch();
}

void sum_axis(DType t, const void* x, void* out, int64_t outer, int64_t len, int64_t inner, cudaStream_t s) {
  int64_t outputs = outer * inner;
  if (outputs == 0) return;
  if (inner >= 256 && len <= 4096) {
    YE_DISPATCH_FLOAT(t, T,
                      sum_axis_columns_kernel<T><<<grid_for(outputs), kBlock, 0, s>>>((const T*)x, (T*)out, outer,
                                                                                     len, inner));
  } else {
    unsigned blocks = unsigned(outputs < 65535 ? outputs : 65535);
    YE_DISPATCH_FLOAT(t, T,
                      sum_axis_kernel<T><<<blocks, 1024, 0, s>>>((const T*)x, (T*)out, outer, len, inner));
  }
  check_launch();
}

void axpy(DType t, float alpha, const void* src, void* dst, int64_t n, cudaStream_t s) {
  axpy_convert(t, t, alpha, src, dst, n, s);
}

int64_t sum_rows_partials(int64_t rows) {
  return std::max<int64_t>(1, std::min<int64_t>(128, (rows + 255) / 256));
}

void sum_rows(DType t, const void* x, int64_t rows, int64_t C, int64_t ld, float* partial, float* out, cudaStream_t s) {
  if (C == 0) return;
  const int64_t R = sum_rows_partials(rows);
  const dim3 grid(unsigned(R), unsigned((C + 31) / 32)), block(32, kSumRowsLanes);
  YE_DISPATCH_FLOAT(t, T, sum_rows_partial_kernel<T><<<grid, block, 0, s>>>((const T*)x, rows, C, ld, partial));
  check_launch();
  sum_rows_final_kernel<<<grid_for(C), kBlock, 0, s>>>(partial, R, C, out);
  check_launch();
}

void axpy_batch(const AxpyItem* items, int count, cudaStream_t s) {
  for (int first = 0; first < count; first += kAxpyBatch) {
    AxpyBatch b;
    const int k = std::min(kAxpyBatch, count - first);
    int64_t largest = 0;
    for (int i = 0; i < k; ++i) {
      b.item[i] = items[first + i];
      largest = std::max(largest, b.item[i].n);
    }
    if (largest == 0) continue;
    const unsigned x_blocks = std::min<unsigned>(grid_for(largest), 64);
    axpy_batch_kernel<<<dim3(x_blocks, unsigned(k)), kBlock, 0, s>>>(b);
    check_launch();
  }
}

void axpy_strided(DType t, float alpha, const void* src, void* dst, const Strided5& layout, cudaStream_t s) {
  const int64_t n = layout.numel();
  if (n == 0) return;
  const Strided5 l = coalesce(layout);
  RowLayout rows;
  if (as_rows(l, /*broadcast_inner=*/false, rows)) {
    const int V = int(16 / dtype_size(t));
    const bool vec = vectorisable(rows, V, src, dtype_size(t), dst, dtype_size(t));
    const int64_t items = rows.rows * (rows.inner / (vec ? V : 1));
    YE_DISPATCH_FLOAT(t, T, {
      if (vec)
        axpy_rows_kernel<T, 16 / sizeof(T)><<<grid_for(items), kBlock, 0, s>>>(alpha, (const T*)src, (T*)dst, rows);
      else
        axpy_rows_kernel<T, 1><<<grid_for(items), kBlock, 0, s>>>(alpha, (const T*)src, (T*)dst, rows);
    });
    check_launch();
    return;
  }
  YE_DISPATCH_FLOAT(t, T,
                    axpy_strided_kernel<T><<<grid_for(n), kBlock, 0, s>>>(alpha, (const T*)src, (T*)dst, l, n));
  check_launch();
}

void axpy_convert(DType st, DType dt, float alpha, const void* src, void* dst, int64_t n, cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_FLOAT(st, S, YE_DISPATCH_FLOAT(dt, D, axpy_kernel<S, D><<<grid_for(n), kBlock, 0, s>>>(
                                                        alpha, (const S*)src, (D*)dst, n)));
  check_launch();
}

void fill(void* dst, DType t, int64_t n, float value, cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_ALL(t, T, {
    constexpr int V = int(16 / sizeof(T));
    int64_t packs = (reinterpret_cast<uintptr_t>(dst) % 16 == 0) ? n / V : 0;
    if (packs > 0) fill_vec_kernel<T, V><<<grid_for(packs), kBlock, 0, s>>>((T*)dst, packs, value);
    if (n > packs * V)
      fill_kernel<T><<<grid_for(n - packs * V), kBlock, 0, s>>>((T*)dst + packs * V, n - packs * V, value);
  });
  check_launch();
}

void uniform(void* dst, DType t, int64_t n, float lo, float hi, uint64_t seed, uint64_t offset, cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_FLOAT(t, T, uniform_kernel<T><<<grid_for(n), kBlock, 0, s>>>((T*)dst, n, lo, hi, seed, offset));
  check_launch();
}

void normal(void* dst, DType t, int64_t n, float mean, float stddev, uint64_t seed, uint64_t offset,
            cudaStream_t s) {
  if (n == 0) return;
  YE_DISPATCH_FLOAT(t, T, normal_kernel<T><<<grid_for(n), kBlock, 0, s>>>((T*)dst, n, mean, stddev, seed, offset));
  check_launch();
}

}  // namespace ye::kernels::cuda

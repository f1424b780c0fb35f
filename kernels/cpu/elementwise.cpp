// CPU elementwise, copy/convert and reduction kernels (f32 maths; copy/convert handles every dtype).
// Contiguous paths go through Eigen array expressions; strided paths walk a 5-D index.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/elementwise.h"

namespace ye::kernels::cpu {
namespace {
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

inline float sigmoidf(float x) { return 1.0f / (1.0f + std::exp(-x)); }

template <typename F>
void for_each_strided(const Strided5& l, F&& f) {
  int64_t n = l.numel();
  int64_t idx[5] = {0, 0, 0, 0, 0};
  int64_t oa = 0, ob = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, oa, ob);
    for (int d = l.ndim - 1; d >= 0; --d) {
      if (++idx[d] < l.shape[d]) {
        oa += l.stride_a[d];
        ob += l.stride_b[d];
        break;
      }
      oa -= l.stride_a[d] * (l.shape[d] - 1);
      ob -= l.stride_b[d] * (l.shape[d] - 1);
      idx[d] = 0;
    }
  }
}

template <typename T>
float load_as_float(const void* p, int64_t i) {
  return float(static_cast<const T*>(p)[i]);
}

template <typename T>
void store_from_float(void* p, int64_t i, float v) {
  static_cast<T*>(p)[i] = T(v);
}

float load(const void* p, DType t, int64_t i) {
  switch (t) {
    case DType::f32: return static_cast<const float*>(p)[i];
    case DType::f16: return float(static_cast<const Eigen::half*>(p)[i]);
    case DType::bf16: return float(static_cast<const Eigen::bfloat16*>(p)[i]);
    case DType::i32: return float(static_cast<const int32_t*>(p)[i]);
    case DType::u8: return float(static_cast<const uint8_t*>(p)[i]);
  }
  return 0;
}

void store(void* p, DType t, int64_t i, float v) {
  switch (t) {
    case DType::f32: static_cast<float*>(p)[i] = v; break;
    case DType::f16: static_cast<Eigen::half*>(p)[i] = Eigen::half(v); break;
    case DType::bf16: static_cast<Eigen::bfloat16*>(p)[i] = Eigen::bfloat16(v); break;
    case DType::i32: static_cast<int32_t*>(p)[i] = int32_t(v); break;
    case DType::u8: static_cast<uint8_t*>(p)[i] = uint8_t(std::clamp(std::nearbyint(v), 0.0f, 255.0f)); break;
  }
}
}  // namespace

void unary(UnaryOp op, const float* x, float* y, int64_t n) {
  ConstArrayMap a(x, n);
  ArrayMap o(y, n);
  switch (op) {
    case UnaryOp::neg: o = -a; break;
    case UnaryOp::sigmoid: o = 1.0f / (1.0f + (-a).exp()); break;
    case UnaryOp::silu: o = a / (1.0f + (-a).exp()); break;
    case UnaryOp::exp: o = a.exp(); break;
    case UnaryOp::log: o = a.log(); break;
    case UnaryOp::sqrt: o = a.sqrt(); break;
    case UnaryOp::square: o = a.square(); break;
    case UnaryOp::relu: o = a.max(0.0f); break;
    case UnaryOp::abs: o = a.abs(); break;
    case UnaryOp::reciprocal: o = a.inverse(); break;
  }
}

void unary_backward(UnaryOp op, const float* x, const float* y, const float* gy, float* gx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float g = gy[i], d = 0;
    switch (op) {
      case UnaryOp::neg: d = -1; break;
      case UnaryOp::sigmoid: d = y[i] * (1 - y[i]); break;
      case UnaryOp::silu: {
        float s = sigmoidf(x[i]);
        d = s * (1 + x[i] * (1 - s));
        break;
      }
      case UnaryOp::exp: d = y[i]; break;
      case UnaryOp::log: d = 1 / x[i]; break;
      case UnaryOp::sqrt: d = 0.5f / y[i]; break;
      case UnaryOp::square: d = 2 * x[i]; break;
      case UnaryOp::relu: d = x[i] > 0 ? 1.0f : 0.0f; break;
      case UnaryOp::abs: d = x[i] > 0 ? 1.0f : (x[i] < 0 ? -1.0f : 0.0f); break;
      case UnaryOp::reciprocal: d = -y[i] * y[i]; break;
    }
    gx[i] = g * d;
  }
}

void binary(BinaryOp op, const float* a, const float* b, float* out, const Strided5& l) {
  auto apply = [op](float x, float y) {
    switch (op) {
      case BinaryOp::add: return x + y;
      case BinaryOp::sub: return x - y;
      case BinaryOp::mul: return x * y;
      case BinaryOp::div: return x / y;
      case BinaryOp::maximum: return std::max(x, y);
      case BinaryOp::minimum: return std::min(x, y);
      case BinaryOp::ge: return x >= y ? 1.0f : 0.0f;
      case BinaryOp::le: return x <= y ? 1.0f : 0.0f;
    }
    return 0.0f;
  };
  for_each_strided(l, [&](int64_t i, int64_t oa, int64_t ob) { out[i] = apply(a[oa], b[ob]); });
}

void affine(const float* x, float* y, int64_t n, float mul, float add) {
  ArrayMap(y, n) = ConstArrayMap(x, n) * mul + add;
}

void pow_scalar(const float* x, float* y, int64_t n, float p) { ArrayMap(y, n) = ConstArrayMap(x, n).pow(p); }

void scale_pad_rows(const void* src, DType st, void* dst, DType dt, int64_t rows, int64_t inner, int64_t padded,
                    float scale) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < padded; ++j)
      store(dst, dt, r * padded + j, j < inner ? load(src, st, r * inner + j) * scale : 0.0f);
}

void copy_convert(const void* src, DType st, void* dst, DType dt, const Strided5& l) {
  // Rows contiguous in both (the NHWC channel narrow/concat case): convert or copy row by row.
  int last = l.ndim - 1;
  if (l.ndim >= 1 && l.stride_a[last] == 1 && l.stride_b[last] == 1 && l.shape[last] >= 8) {
    Strided5 rows = l;
    int64_t len = l.shape[last];
    rows.shape[last] = 1;
    size_t es = dtype_size(st), ed = dtype_size(dt);
    const char* s = static_cast<const char*>(src);
    char* d = static_cast<char*>(dst);
    for_each_strided(rows, [&](int64_t, int64_t oa, int64_t ob) {
      if (st == dt) {
        std::memcpy(d + ob * ed, s + oa * es, size_t(len) * es);
      } else if (st == DType::f32 && dt != DType::f32 && dt != DType::u8 && dt != DType::i32) {
        const float* sp = reinterpret_cast<const float*>(s + oa * es);
        for (int64_t k = 0; k < len; ++k) store(d + ob * ed, dt, k, sp[k]);
      } else {
        for (int64_t k = 0; k < len; ++k) store(d + ob * ed, dt, k, load(s + oa * es, st, k));
      }
    });
    return;
  }
  if (st == dt && st == DType::f32) {
    const float* s = static_cast<const float*>(src);
    float* d = static_cast<float*>(dst);
    for_each_strided(l, [&](int64_t, int64_t oa, int64_t ob) { d[ob] = s[oa]; });
    return;
  }
  if (st == dt) {
    size_t es = dtype_size(st);
    const char* s = static_cast<const char*>(src);
    char* d = static_cast<char*>(dst);
    for_each_strided(l, [&](int64_t, int64_t oa, int64_t ob) { std::memcpy(d + ob * es, s + oa * es, es); });
    return;
  }
  for_each_strided(l, [&](int64_t, int64_t oa, int64_t ob) { store(dst, dt, ob, load(src, st, oa)); });
}

void sum_axis(const float* x, float* out, int64_t outer, int64_t len, int64_t inner) {
  for (int64_t o = 0; o < outer; ++o) {
    if (inner == 1) {
      out[o] = float(ConstArrayMap(x + o * len, len).cast<double>().sum());
      continue;
    }
    Eigen::ArrayXd acc = Eigen::ArrayXd::Zero(inner);
    for (int64_t k = 0; k < len; ++k) acc += ConstArrayMap(x + (o * len + k) * inner, inner).cast<double>();
    ArrayMap(out + o * inner, inner) = acc.cast<float>();
  }
}

void axpy(float alpha, const float* src, float* dst, int64_t n) { ArrayMap(dst, n) += alpha * ConstArrayMap(src, n); }

void fill(void* dst, DType dt, int64_t n, float value) {
  if (dt == DType::f32) {
    ArrayMap(static_cast<float*>(dst), n).setConstant(value);
    return;
  }
  for (int64_t i = 0; i < n; ++i) store(dst, dt, i, value);
}

}  // namespace ye::kernels::cpu

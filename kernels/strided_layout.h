// Host-side layout analysis for elementwise kernels: coalescing a Strided5 (dropping size-1 dims and
// merging dims both operands walk contiguously) and recognising "rows of contiguous or broadcast
// elements" layouts (concat / split copies, casts, same-shape and per-row / per-channel binary ops),
// which the CUDA kernels run with 16-byte vector accesses.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/elementwise.h"

namespace ye::kernels {

// The same element walk with size-1 dims dropped and adjacent dims merged where both strides allow
// (an all-size-1 layout becomes one dim of size 1).
inline Strided5 coalesce(const Strided5& l) {
  Strided5 r;
  r.ndim = 0;
  for (int d = 0; d < l.ndim; ++d) {
    if (l.shape[d] == 1) continue;
    if (r.ndim > 0) {
      const int k = r.ndim - 1;
      if (r.stride_a[k] == l.stride_a[d] * l.shape[d] && r.stride_b[k] == l.stride_b[d] * l.shape[d]) {
        r.shape[k] *= l.shape[d];
        r.stride_a[k] = l.stride_a[d];
        r.stride_b[k] = l.stride_b[d];
        continue;
      }
    }
    r.shape[r.ndim] = l.shape[d];
    r.stride_a[r.ndim] = l.stride_a[d];
    r.stride_b[r.ndim] = l.stride_b[d];
    ++r.ndim;
  }
  if (r.ndim == 0) {
    r.ndim = 1;
    r.shape[0] = 1;
    r.stride_a[0] = r.stride_b[0] = 0;
  }
  return r;
}

// rows x inner elements; operand k's element (r, j) is at r * row_k + (inner_k ? j : 0).
struct RowLayout {
  int64_t rows = 1, inner = 1, row_a = 0, row_b = 0;
  bool inner_a = true, inner_b = true;  // inner stride 1 (false: 0, one value per row)
};

// A coalesced layout of at most 2 dims whose inner strides are 1, or also 0 when broadcast_inner.
inline bool as_rows(const Strided5& l, bool broadcast_inner, RowLayout& out) {
  if (l.ndim > 2) return false;
  const int in = l.ndim - 1;
  auto inner_ok = [&](int64_t s) { return s == 1 || (broadcast_inner && s == 0) || l.shape[in] == 1; };
  if (!inner_ok(l.stride_a[in]) || !inner_ok(l.stride_b[in])) return false;
  out.inner = l.shape[in];
  out.rows = l.ndim == 2 ? l.shape[0] : 1;
  out.row_a = l.ndim == 2 ? l.stride_a[0] : 0;
  out.row_b = l.ndim == 2 ? l.stride_b[0] : 0;
  out.inner_a = l.stride_a[in] == 1 || l.shape[in] == 1;
  out.inner_b = l.stride_b[in] == 1 || l.shape[in] == 1;
  return true;
}

inline bool aligned_to(const void* p, size_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

// Whether V-element accesses fit: inner a multiple of V and, for each operand read or written with inner
// stride 1, its row stride a multiple of V and its pointer aligned to V elements. `out` (optional) is a
// contiguous rows x inner output. Null operands are ignored.
inline bool vectorisable(const RowLayout& l, int V, const void* a, size_t ea, const void* b, size_t eb,
                         const void* out = nullptr, size_t eo = 0) {
  if (V <= 1 || l.inner % V != 0) return false;
  auto ok = [&](const void* p, size_t e, bool inner, int64_t row) {
    return !p || !inner || (row % V == 0 && aligned_to(p, size_t(V) * e));
  };
  return ok(a, ea, l.inner_a, l.row_a) && ok(b, eb, l.inner_b, l.row_b) && (!out || aligned_to(out, size_t(V) * eo));
}

}  // namespace ye::kernels

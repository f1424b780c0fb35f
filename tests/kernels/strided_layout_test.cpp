// kernels/strided_layout.h: coalescing of elementwise layouts and the rows / vector-width decisions the
// CUDA kernels take from it (concat copies, casts, broadcast binary ops, misaligned views).
#include <doctest/doctest.h>

#include "kernels/strided_layout.h"

using namespace ye::kernels;

namespace {
Strided5 layout(std::initializer_list<int64_t> shape, std::initializer_list<int64_t> sa, std::initializer_list<int64_t> sb) {
  Strided5 l;
  l.ndim = int(shape.size());
  int i = 0;
  for (int64_t v : shape) l.shape[i++] = v;
  i = 0;
  for (int64_t v : sa) l.stride_a[i++] = v;
  i = 0;
  for (int64_t v : sb) l.stride_b[i++] = v;
  return l;
}
}  // namespace

TEST_CASE("coalesce merges contiguous dims, drops size-1 dims, keeps real strides") {
  Strided5 c = coalesce(layout({2, 3, 4, 5}, {60, 20, 5, 1}, {60, 20, 5, 1}));
  CHECK(c.ndim == 1);
  CHECK(c.shape[0] == 120);
  // Concat of a 5-channel part into a 12-channel output: rows of 5 contiguous elements.
  c = coalesce(layout({2, 3, 4, 5}, {60, 20, 5, 1}, {144, 48, 12, 1}));
  CHECK(c.ndim == 2);
  CHECK(c.shape[0] == 24);
  CHECK(c.shape[1] == 5);
  CHECK(c.stride_a[0] == 5);
  CHECK(c.stride_b[0] == 12);
  // Per-channel broadcast (b stride 0 on the outer dims).
  c = coalesce(layout({2, 1, 4, 8}, {32, 32, 8, 1}, {0, 0, 0, 1}));
  CHECK(c.ndim == 2);
  CHECK(c.shape[0] == 8);
  CHECK(c.stride_b[0] == 0);
  // All size 1: one element.
  c = coalesce(layout({1, 1}, {1, 1}, {1, 1}));
  CHECK(c.ndim == 1);
  CHECK(c.shape[0] == 1);
  // A transpose does not merge.
  c = coalesce(layout({4, 6}, {1, 4}, {6, 1}));
  CHECK(c.ndim == 2);
}

TEST_CASE("as_rows and vectorisable pick the row kernels only where their accesses are valid") {
  RowLayout r;
  REQUIRE(as_rows(coalesce(layout({2, 3, 4, 8}, {96, 32, 8, 1}, {192, 64, 16, 1})), false, r));
  CHECK(r.rows == 24);
  CHECK(r.inner == 8);
  CHECK(r.row_a == 8);
  CHECK(r.row_b == 16);
  alignas(16) static float buf[64];
  CHECK(vectorisable(r, 4, buf, 4, buf, 4));
  CHECK(vectorisable(r, 8, buf, 2, buf, 2));
  CHECK_FALSE(vectorisable(r, 4, buf + 1, 4, buf, 4));  // misaligned source
  CHECK_FALSE(vectorisable(r, 16, buf, 1, buf, 1));     // inner 8 is not a multiple of 16
  // A row stride that breaks alignment of later rows.
  REQUIRE(as_rows(coalesce(layout({6, 8}, {8, 1}, {12, 1})), false, r));
  CHECK_FALSE(vectorisable(r, 8, buf, 2, buf, 2));
  CHECK(vectorisable(r, 4, buf, 4, buf, 4));
  // Broadcast inner strides are rows only for binary ops, and need no alignment.
  Strided5 row_bcast = coalesce(layout({5, 8}, {8, 1}, {1, 0}));
  CHECK_FALSE(as_rows(row_bcast, false, r));
  REQUIRE(as_rows(row_bcast, true, r));
  CHECK(r.inner_a);
  CHECK_FALSE(r.inner_b);
  CHECK(vectorisable(r, 4, buf, 4, buf + 1, 4, buf, 4));
  // Three real dims or an inner stride other than 0/1: the generic walk.
  CHECK_FALSE(as_rows(coalesce(layout({3, 4, 5}, {40, 10, 1}, {5, 15, 1})), false, r));
  CHECK_FALSE(as_rows(coalesce(layout({4, 6}, {1, 4}, {6, 1})), true, r));
}

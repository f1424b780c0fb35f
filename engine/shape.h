// Shape and strides of a tensor: up to 5 dimensions, stored inline. Strides are in elements.
#pragma once
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "kernels/error.h"

namespace ye {

constexpr int kMaxDims = 5;

struct Shape {
  std::array<int64_t, kMaxDims> d{};
  int n = 0;

  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) {
    YE_CHECK(dims.size() <= size_t(kMaxDims), "tensors have at most ", kMaxDims, " dimensions");
    for (int64_t v : dims) d[n++] = v;
  }
  template <typename It>
  static Shape from(It begin, It end) {
    Shape s;
    for (It it = begin; it != end; ++it) {
      YE_CHECK(s.n < kMaxDims, "tensors have at most ", kMaxDims, " dimensions");
      s.d[s.n++] = int64_t(*it);
    }
    return s;
  }
  int ndim() const { return n; }
  int64_t operator[](int i) const { return d[i < 0 ? i + n : i]; }
  int64_t& operator[](int i) { return d[i < 0 ? i + n : i]; }
  int64_t numel() const {
    int64_t p = 1;
    for (int i = 0; i < n; ++i) p *= d[i];
    return p;
  }
  bool operator==(const Shape& o) const {
    if (n != o.n) return false;
    for (int i = 0; i < n; ++i)
      if (d[i] != o.d[i]) return false;
    return true;
  }
  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(d[i]);
    return s + "]";
  }
  // Row-major contiguous strides for this shape.
  Shape contiguous_strides() const {
    Shape s;
    s.n = n;
    int64_t acc = 1;
    for (int i = n - 1; i >= 0; --i) {
      s.d[i] = acc;
      acc *= d[i];
    }
    return s;
  }
};

}  // namespace ye

// V consecutive elements moved as one aligned access (V * sizeof(T) bytes, at most 16): the vector
// loads and stores of the row kernels in elementwise.cu.
#pragma once

namespace ye::kernels::cuda {

template <typename T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

template <typename T, int V>
__device__ __forceinline__ Pack<T, V> load_pack(const T* p) {
  return *reinterpret_cast<const Pack<T, V>*>(p);
}

template <typename T, int V>
__device__ __forceinline__ void store_pack(T* p, const Pack<T, V>& v) {
  *reinterpret_cast<Pack<T, V>*>(p) = v;
}

template <typename T, int V>
__device__ __forceinline__ Pack<T, V> splat(T x) {
  Pack<T, V> p;
#pragma unroll
  for (int i = 0; i < V; ++i) p.v[i] = x;
  return p;
}

}  // namespace ye::kernels::cuda

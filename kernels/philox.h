// Counter-based random numbers (Philox4x32-10) usable on host and device, so that a seed gives the
// same uniform and normal numbers on CPU and GPU. Element i of a draw uses counter (offset + i/4,
// stream) and lane i%4; normals use Box-Muller on the lane pair (2k, 2k+1) of the same counter.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define YE_HD __host__ __device__ __forceinline__
#else
#define YE_HD inline
#endif

namespace ye::kernels {

struct Philox4 {
  uint32_t v[4];
};

YE_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = uint64_t(a) * uint64_t(b);
  *hi = uint32_t(p >> 32);
  return uint32_t(p);
}

YE_HD Philox4 philox4x32_10(uint64_t counter, uint64_t stream, uint64_t seed) {
  uint32_t c0 = uint32_t(counter), c1 = uint32_t(counter >> 32), c2 = uint32_t(stream), c3 = uint32_t(stream >> 32);
  uint32_t k0 = uint32_t(seed), k1 = uint32_t(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// Uniform in (0, 1]: 24 random bits, never exactly 0 so log() is safe.
YE_HD float u32_to_unit(uint32_t x) { return (float((x >> 8) + 1u)) * (1.0f / 16777216.0f); }

YE_HD float philox_uniform(uint64_t seed, uint64_t offset, int64_t i) {
  Philox4 r = philox4x32_10(offset + uint64_t(i) / 4, 0, seed);
  return u32_to_unit(r.v[i % 4]);
}

YE_HD float philox_normal(uint64_t seed, uint64_t offset, int64_t i) {
  Philox4 r = philox4x32_10(offset + uint64_t(i) / 4, 1, seed);
  int lane = int(i % 4);
  int pair = lane & ~1;
  float u1 = u32_to_unit(r.v[pair]);
  float u2 = u32_to_unit(r.v[pair + 1]);
  float radius = sqrtf(-2.0f * logf(u1));
  float angle = 6.283185307179586f * u2;
  return (lane & 1) ? radius * sinf(angle) : radius * cosf(angle);
}

}  // namespace ye::kernels

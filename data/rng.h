// Deterministic random numbers for the data pipeline: one generator per (seed, epoch, sample, stream),
// so a sample's augmentation never depends on which worker thread produced it. Defines SampleRng and
// mix_seed (SplitMix64 finaliser over the key).
#pragma once
#include <cstdint>
#include <random>

namespace ye::data {

constexpr uint64_t mix_seed(uint64_t a, uint64_t b) {
  uint64_t z = a + 0x9E3779B97F4A7C15ull * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class SampleRng {
 public:
  SampleRng(uint64_t seed, uint64_t epoch, uint64_t sample, uint64_t stream = 0)
      : gen_(mix_seed(mix_seed(mix_seed(seed, epoch), sample), stream)) {}
  double uniform() { return double(gen_() >> 11) * 0x1.0p-53; }  // [0, 1)
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  bool chance(double p) { return p > 0 && uniform() < p; }
  int64_t below(int64_t n) { return n <= 1 ? 0 : int64_t(uniform() * double(n)); }  // [0, n)
  double beta(double a, double b) {
    std::gamma_distribution<double> ga(a, 1.0), gb(b, 1.0);
    double x = ga(gen_), y = gb(gen_);
    return x / (x + y);
  }
  std::mt19937_64& engine() { return gen_; }

 private:
  std::mt19937_64 gen_;
};

}  // namespace ye::data

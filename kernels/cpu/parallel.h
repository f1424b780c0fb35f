// parallel_for over [0, n) split into contiguous chunks, one std::thread per chunk (hardware
// concurrency, at most n); the calling thread runs the first chunk. Used by the CPU layer kernels.
#pragma once
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace ye::kernels::cpu {

inline int num_threads_for(int64_t n) {
  int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  return int(std::max<int64_t>(1, std::min<int64_t>(hw, n)));
}

// fn(thread_index, begin, end)
template <typename F>
void parallel_for(int64_t n, F&& fn) {
  int t = num_threads_for(n);
  if (t <= 1) {
    fn(0, int64_t(0), n);
    return;
  }
  std::vector<std::thread> workers;
  int64_t chunk = (n + t - 1) / t;
  for (int i = 1; i < t; ++i) {
    int64_t b = i * chunk, e = std::min(n, b + chunk);
    if (b < e) workers.emplace_back([&fn, i, b, e] { fn(i, b, e); });
  }
  fn(0, int64_t(0), std::min(n, chunk));
  for (auto& w : workers) w.join();
}

}  // namespace ye::kernels::cpu

// parallel_for over [0, n) split into contiguous chunks, one std::thread per chunk (hardware
// concurrency, at most n); the calling thread runs the first chunk. Used by the CPU layer kernels.
#pragma once
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

namespace ye::kernels::cpu {

// Threads for n items when each thread should get at least `grain` of them.
inline int num_threads_for(int64_t n, int64_t grain = 1) {
  int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  return int(std::max<int64_t>(1, std::min<int64_t>(hw, n / std::max<int64_t>(1, grain))));
}

// fn(thread_index, begin, end); thread_index < num_threads_for(n, grain).
template <typename F>
void parallel_for(int64_t n, F&& fn, int64_t grain = 1) {
  int t = num_threads_for(n, grain);
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

// The assigner's top-k selection reproduces the index set of libstdc++'s partial_sort (k*64 <= n) and
// nth_element (otherwise) with a "greater" comparator, which is what the reference's CPU torch.topk
// returns; tie-heavy inputs (zeros, few levels, sorted runs) are where the two could differ.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "kernels/det_loss_topk.h"

using ye::kernels::detloss::ScoredIndex;

TEST_CASE("det_loss topk: selected set equals libstdc++ partial_sort / nth_element, ties included") {
#if defined(__GLIBCXX__)
  std::mt19937 rng(12345);
  int mismatches = 0;
  for (int trial = 0; trial < 4000; ++trial) {
    const int n = 1 + int(rng() % 1500), k = 1 + int(rng() % uint32_t(std::min(n, 16)));
    const int mode = int(rng() % 4);
    std::vector<float> v(n);
    for (auto& x : v) {
      if (mode == 0) x = 0.0f;
      else if (mode == 1) x = float(rng() % 3) * 0.5f;
      else if (mode == 2) x = rng() % 10 == 0 ? float(rng() % 1000) : 0.0f;
      else x = float(rng() % 100000);
    }
    if (trial % 7 == 0) std::sort(v.begin(), v.end());
    if (trial % 11 == 0) std::sort(v.rbegin(), v.rend());
    std::vector<std::pair<double, int64_t>> q(n);
    std::vector<ScoredIndex> e(n);
    for (int j = 0; j < n; ++j) q[j] = {v[j], j}, e[j] = {v[j], j};
    auto greater = [](const auto& a, const auto& b) { return a.first > b.first; };
    if (int64_t(k) * 64 <= n) std::partial_sort(q.begin(), q.begin() + k, q.end(), greater);
    else std::nth_element(q.begin(), q.begin() + k - 1, q.end(), greater);
    ye::kernels::detloss::topk_select_reference(e.data(), n, k);
    std::vector<int64_t> a, b;
    for (int j = 0; j < k; ++j) a.push_back(q[j].second), b.push_back(e[j].index);
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    mismatches += a != b;
  }
  CHECK(mismatches == 0);
#else
  MESSAGE("not libstdc++: the reference's tie order is libstdc++'s; nothing to compare against");
#endif
}

TEST_CASE("det_loss topk: known tie patterns of torch.topk (values observed from torch 2.7 CPU)") {
  // torch.topk(x, 10) on zeros with x[5] = 0.3, x[70] = 0.2, for n = 84 (nth_element) and 8400 (partial_sort).
  auto run = [](int n) {
    std::vector<ScoredIndex> e(n);
    for (int j = 0; j < n; ++j) e[j] = {0.0f, j};
    e[5].value = 0.3f;
    e[70].value = 0.2f;
    ye::kernels::detloss::topk_select_reference(e.data(), n, 10);
    std::vector<int> idx;
    for (int j = 0; j < 10; ++j) idx.push_back(e[j].index);
    std::sort(idx.begin(), idx.end());
    return idx;
  };
  CHECK(run(84) == std::vector<int>{5, 54, 55, 56, 57, 58, 60, 61, 62, 70});
  CHECK(run(8400) == std::vector<int>{0, 1, 2, 3, 4, 5, 7, 8, 9, 70});
}

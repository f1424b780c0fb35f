// Host/device top-k selection that reproduces, ties included, which indices the reference's CPU torch.topk
// returns (it runs libstdc++'s partial_sort when k*64 <= n, else nth_element, with a "greater" comparator).
// Ties matter to the assigner: a GT with fewer than k positive metrics takes some zero-metric anchors.
// Defines ScoredIndex and topk_select_reference (the selected set ends up in the first k entries).
#pragma once
#include <cstdint>

#include "kernels/det_loss_math.h"

namespace ye::kernels::detloss {

struct ScoredIndex {
  float value;
  int index;
};

YE_HD bool ranks_before(const ScoredIndex& a, const ScoredIndex& b) { return a.value > b.value; }
YE_HD void swap_entries(ScoredIndex* a, ScoredIndex* b) {
  const ScoredIndex t = *a;
  *a = *b;
  *b = t;
}

// Binary heap over ranks_before ("less" = ranks before, so the top is the entry that ranks last).
YE_HD void heap_push_up(ScoredIndex* f, int hole, int top, ScoredIndex value) {
  int parent = (hole - 1) / 2;
  while (hole > top && ranks_before(f[parent], value)) {
    f[hole] = f[parent];
    hole = parent;
    parent = (hole - 1) / 2;
  }
  f[hole] = value;
}

YE_HD void heap_adjust(ScoredIndex* f, int hole, int len, ScoredIndex value) {
  const int top = hole;
  int child = hole;
  while (child < (len - 1) / 2) {
    child = 2 * (child + 1);
    if (ranks_before(f[child], f[child - 1])) --child;
    f[hole] = f[child];
    hole = child;
  }
  if ((len & 1) == 0 && child == (len - 2) / 2) {
    child = 2 * (child + 1);
    f[hole] = f[child - 1];
    hole = child - 1;
  }
  heap_push_up(f, hole, top, value);
}

YE_HD void heap_make(ScoredIndex* f, int len) {
  if (len < 2) return;
  for (int parent = (len - 2) / 2;; --parent) {
    heap_adjust(f, parent, len, f[parent]);
    if (parent == 0) return;
  }
}

// Keeps in f[0, middle) the `middle` entries that rank first among f[0, n) (as a heap).
YE_HD void heap_select(ScoredIndex* f, int middle, int n) {
  heap_make(f, middle);
  for (int i = middle; i < n; ++i) {
    if (ranks_before(f[i], f[0])) {
      const ScoredIndex value = f[i];
      f[i] = f[0];
      heap_adjust(f, 0, middle, value);
    }
  }
}

YE_HD void insertion_sort(ScoredIndex* f, int n) {
  for (int i = 1; i < n; ++i) {
    const ScoredIndex value = f[i];
    if (ranks_before(value, f[0])) {
      for (int j = i; j > 0; --j) f[j] = f[j - 1];
      f[0] = value;
    } else {
      int j = i;
      while (ranks_before(value, f[j - 1])) {
        f[j] = f[j - 1];
        --j;
      }
      f[j] = value;
    }
  }
}

YE_HD void move_median_to_first(ScoredIndex* result, ScoredIndex* a, ScoredIndex* b, ScoredIndex* c) {
  if (ranks_before(*a, *b)) {
    if (ranks_before(*b, *c)) swap_entries(result, b);
    else if (ranks_before(*a, *c)) swap_entries(result, c);
    else swap_entries(result, a);
  } else if (ranks_before(*a, *c)) {
    swap_entries(result, a);
  } else if (ranks_before(*b, *c)) {
    swap_entries(result, c);
  } else {
    swap_entries(result, b);
  }
}

// Hoare partition around *pivot of [first, last) with sentinels on both sides; returns the cut.
YE_HD ScoredIndex* partition_unguarded(ScoredIndex* first, ScoredIndex* last, const ScoredIndex* pivot) {
  while (true) {
    while (ranks_before(*first, *pivot)) ++first;
    --last;
    while (ranks_before(*pivot, *last)) --last;
    if (!(first < last)) return first;
    swap_entries(first, last);
    ++first;
  }
}

YE_HD int floor_log2(int n) {
  int r = 0;
  while (n > 1) {
    n >>= 1;
    ++r;
  }
  return r;
}

// Quickselect with median-of-3 pivots and a heap fallback (introselect): f[nth] ends where it would sort.
YE_HD void introselect(ScoredIndex* f, int nth, int n) {
  if (n == 0 || nth == n) return;
  ScoredIndex* first = f;
  ScoredIndex* last = f + n;
  ScoredIndex* kth = f + nth;
  int depth = 2 * floor_log2(n);
  while (last - first > 3) {
    if (depth == 0) {
      heap_select(first, int(kth - first) + 1, int(last - first));
      swap_entries(first, kth);
      return;
    }
    --depth;
    ScoredIndex* mid = first + (last - first) / 2;
    move_median_to_first(first, first + 1, mid, last - 1);
    ScoredIndex* cut = partition_unguarded(first + 1, last, first);
    if (cut <= kth) first = cut;
    else last = cut;
  }
  insertion_sort(first, int(last - first));
}

// Sorts by ascending index (a few entries; used to replay the order in which a scan meets them).
YE_HD void insertion_sort_by_index(ScoredIndex* f, int n) {
  for (int i = 1; i < n; ++i) {
    const ScoredIndex value = f[i];
    int j = i;
    while (j > 0 && f[j - 1].index > value.index) {
      f[j] = f[j - 1];
      --j;
    }
    f[j] = value;
  }
}

// After the call f[0, k) holds the set torch.topk(largest=True) returns on the CPU for these values.
YE_HD void topk_select_reference(ScoredIndex* f, int n, int k) {
  if (int64_t(k) * 64 <= int64_t(n)) heap_select(f, k, n);
  else introselect(f, k - 1, n);
}

}  // namespace ye::kernels::detloss

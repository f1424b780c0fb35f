// Gradient bucket planning and the overlapped, in-order bucket all-reduce (see grad_buckets.h):
// per-entry padded extents, greedy bucket filling, ready counting per bucket.
#include "engine/dist/grad_buckets.h"

#include <algorithm>
#include <cctype>
#include <numeric>

#include "engine/autograd.h"
#include "kernels/error.h"

namespace ye::dist {
namespace {
int64_t module_index(const std::string& name) {
  for (size_t i = 0; i < name.size(); ++i)
    if (std::isdigit((unsigned char)name[i])) {
      int64_t v = 0;
      while (i < name.size() && std::isdigit((unsigned char)name[i])) v = v * 10 + (name[i++] - '0');
      return v;
    }
  return -1;
}
}  // namespace

std::vector<size_t> reverse_module_order(const ParameterArena& arena) {
  const auto& e = arena.entries();
  std::vector<size_t> order(e.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::reverse(order.begin(), order.end());
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return module_index(e[a].name) > module_index(e[b].name); });
  return order;
}

std::vector<GradBucket> plan_grad_buckets(const ParameterArena& arena, const std::vector<size_t>& ready_order,
                                          int64_t first_bucket_bytes, int64_t bucket_bytes) {
  const auto& e = arena.entries();
  YE_CHECK(ready_order.size() == e.size(), "plan_grad_buckets: order has ", ready_order.size(), " entries, the arena ",
           e.size());
  std::vector<bool> seen(e.size(), false);
  for (size_t i : ready_order) {
    YE_CHECK(i < e.size() && !seen[i], "plan_grad_buckets: the order is not a permutation of the arena's entries");
    seen[i] = true;
  }
  // Padded extent of each entry: up to the next entry's offset in the arena.
  std::vector<size_t> by_offset(e.size());
  std::iota(by_offset.begin(), by_offset.end(), size_t(0));
  std::sort(by_offset.begin(), by_offset.end(), [&](size_t a, size_t b) { return e[a].offset < e[b].offset; });
  std::vector<std::pair<int64_t, int64_t>> extent(e.size());
  for (size_t k = 0; k < by_offset.size(); ++k) {
    int64_t end = k + 1 < by_offset.size() ? e[by_offset[k + 1]].offset : arena.total();
    extent[by_offset[k]] = {k == 0 ? 0 : e[by_offset[k]].offset, end};
  }
  std::vector<GradBucket> buckets;
  GradBucket cur;
  int64_t cap = first_bucket_bytes / int64_t(sizeof(float));
  for (size_t i : ready_order) {
    cur.entries.push_back(i);
    cur.numel += extent[i].second - extent[i].first;
    if (cur.numel >= cap) {
      buckets.push_back(std::move(cur));
      cur = GradBucket();
      cap = bucket_bytes / int64_t(sizeof(float));
    }
  }
  if (!cur.entries.empty()) buckets.push_back(std::move(cur));
  for (auto& b : buckets) {
    std::vector<std::pair<int64_t, int64_t>> r;
    for (size_t i : b.entries) r.push_back(extent[i]);
    std::sort(r.begin(), r.end());
    for (auto& x : r) {
      if (!b.ranges.empty() && b.ranges.back().second == x.first)
        b.ranges.back().second = x.second;
      else
        b.ranges.push_back(x);
    }
  }
  return buckets;
}

GradReducer::GradReducer(Communicator& comm, const ParameterArena& arena, std::vector<GradBucket> buckets, ReduceOp op)
    : comm_(comm), arena_(arena), buckets_(std::move(buckets)), op_(op), pending_(buckets_.size(), 0) {
  YE_CHECK(arena.grads().defined(), "GradReducer: the arena has no gradients (not trainable)");
  const auto& e = arena.entries();
  for (size_t b = 0; b < buckets_.size(); ++b)
    for (size_t i : buckets_[b].entries) {
      YE_CHECK(i < e.size(), "GradReducer: bucket ", b, " names entry ", i, " of ", e.size());
      auto& meta = e[i].param.impl()->autograd;
      YE_CHECK(meta && meta->requires_grad, "GradReducer: parameter ", e[i].name, " does not require grad");
      YE_CHECK(!meta->on_grad_ready, "GradReducer: parameter ", e[i].name, " already has a ready hook");
      meta->on_grad_ready = [this, b] { on_ready(b); };
    }
  begin(false);
}

GradReducer::~GradReducer() {
  for (const auto& entry : arena_.entries())
    if (auto& meta = entry.param.impl()->autograd) meta->on_grad_ready = nullptr;
}

void GradReducer::begin(bool sync) {
  sync_ = sync;
  in_backward_ = true;
  next_ = 0;
  launched_in_backward_ = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) pending_[b] = int64_t(buckets_[b].entries.size());
}

void GradReducer::on_ready(size_t bucket) {
  if (!sync_ || !in_backward_) return;
  if (--pending_[bucket] > 0) return;
  // Launch in bucket order only, so every rank issues the same sequence of collectives.
  while (next_ < buckets_.size() && pending_[next_] <= 0) {
    launch(next_++);
    ++launched_in_backward_;
  }
}

void GradReducer::launch(size_t bucket) {
  std::vector<Tensor> parts;
  for (auto [b, e] : buckets_[bucket].ranges) parts.push_back(arena_.grads().narrow_view(0, b, e - b));
  comm_.all_reduce_async(parts, op_);
}

void GradReducer::finish() {
  in_backward_ = false;
  if (!sync_) return;
  while (next_ < buckets_.size()) launch(next_++);
  comm_.wait_async();
  sync_ = false;
}

}  // namespace ye::dist

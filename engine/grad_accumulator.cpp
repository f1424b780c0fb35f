// PendingGrad (see grad_accumulator.h): how the backward pass sums a node's gradient contributions.
#include "engine/grad_accumulator.h"

#include <algorithm>

#include "engine/ops.h"

namespace ye::detail {
namespace {
// Each element at its own address: strides ordered from outer to inner, each at least the extent of
// the dims inside it (contiguous tensors and channel slices of wider rows; no broadcast or overlap).
bool non_overlapping(const Tensor& t) {
  int64_t extent = 1;
  for (int i = t.ndim() - 1; i >= 0; --i) {
    if (t.dim(i) == 1) continue;
    if (t.strides()[i] < extent) return false;
    extent = t.strides()[i] * t.dim(i);
  }
  return true;
}

// Only this pending sum refers to the tensor or its memory, so adding into it is unobservable. On CUDA a
// view qualifies too (the concat gradient's slice for C2f's cv1 output, once the other slices are gone):
// the bottleneck's half is then added into it in place instead of into a contiguous clone (the CPU adds
// into views through copies, so it keeps the clone).
bool exclusively_held(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl()->storage.use_count() == 1 &&
         (t.is_contiguous() || (t.device().is_cuda() && non_overlapping(t)));
}

// The contribution of a slice as the narrow op's own backward computes it: zeros around it.
Tensor placed_in_zeros(const Tensor& g, const SliceOfInput& where) {
  Tensor full = Tensor::zeros(where.input_shape, g.dtype(), g.device());
  ops::copy_(full.narrow_view(where.dim, where.start, g.dim(where.dim)), g);
  return full;
}
}  // namespace

void PendingGrad::add(const Tensor& g) {
  if (!sum_.defined()) {
    sum_ = g;
  } else if (exclusively_held(sum_) && sum_.dtype() == g.dtype() && sum_.shape() == g.shape()) {
    ops::add_(sum_, g);
  } else {
    sum_ = ops::add(sum_, g);
  }
}

void PendingGrad::add_slice(const Tensor& g, const SliceOfInput& where) {
  YE_CHECK(g.ndim() == where.input_shape.n && where.dim >= 0 && where.dim < g.ndim() && where.start >= 0 &&
               where.start + g.dim(where.dim) <= where.input_shape[where.dim],
           "slice gradient ", g.shape().str(), " at ", where.start, " of dim ", where.dim, " does not fit ",
           where.input_shape.str());
  slices_.push_back({g, where});
}

PendingGrad::Layout PendingGrad::layout_of(const std::vector<Slice>& slices, const Shape& shape) {
  const int dim = slices.front().where.dim;
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const Slice& s : slices) {
    if (s.where.dim != dim) return Layout::overlapping;
    spans.emplace_back(s.where.start, s.where.start + s.g.dim(dim));
  }
  std::sort(spans.begin(), spans.end());
  int64_t covered = 0;
  bool gaps = false;
  for (auto [begin, end] : spans) {
    if (begin < covered) return Layout::overlapping;
    gaps = gaps || begin > covered;
    covered = end;
  }
  return gaps || covered != shape[dim] ? Layout::disjoint : Layout::tiling;
}

Tensor PendingGrad::take() {
  Tensor out = std::move(sum_);
  sum_ = Tensor();
  std::vector<Slice> slices = std::move(slices_);
  slices_.clear();
  if (slices.empty()) return out;
  const Slice& first = slices.front();
  const Shape shape = first.where.input_shape;
  const DType dtype = out.defined() ? out.dtype() : first.g.dtype();
  const bool uniform = std::all_of(slices.begin(), slices.end(), [&](const Slice& s) {
    return s.g.dtype() == dtype && s.where.input_shape == shape && s.g.device() == first.g.device();
  });
  if (!uniform || (out.defined() && (out.shape() != shape || out.device() != first.g.device()))) {
    for (const Slice& s : slices) {  // mixed dtypes: as the narrow ops' own backward, with add's promotion
      Tensor full = placed_in_zeros(s.g, s.where);
      out = out.defined() ? ops::add(out, full) : full;
    }
    return out;
  }
  auto slice_of = [](const Tensor& t, const Slice& s) {
    return t.narrow_view(s.where.dim, s.where.start, s.g.dim(s.where.dim));
  };
  if (out.defined()) {
    if (!exclusively_held(out)) out = out.clone();
    for (const Slice& s : slices) ops::add_(slice_of(out, s), s.g);
    return out;
  }
  const Layout layout = layout_of(slices, shape);
  out = layout == Layout::tiling ? Tensor::empty(shape, dtype, first.g.device())
                                 : Tensor::zeros(shape, dtype, first.g.device());
  for (const Slice& s : slices) {
    if (layout == Layout::overlapping)
      ops::add_(slice_of(out, s), s.g);
    else
      ops::copy_(slice_of(out, s), s.g);
  }
  return out;
}

}  // namespace ye::detail

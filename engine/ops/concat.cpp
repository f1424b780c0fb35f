// concat (each input copied straight into its slice of one output buffer, or no copy at all when the
// inputs already are adjacent slices of one buffer; the backward hands out narrow views of the gradient)
// and split (narrow views with autograd) along any dimension.
#include "engine/nn_ops.h"
#include "engine/ops/dispatch.h"
#include "engine/recompute.h"

namespace ye::ops {
namespace {
// When at least one input is recomputable, the output is rebuilt from the inputs' recipes (the others
// are held, which costs no more than the output's copy of them).
void attach_concat_recipe(const Tensor& out, const std::vector<Tensor>& xs, int dim) {
  std::vector<SavedActivation> parts;
  bool any = false;
  for (const Tensor& t : xs) {
    parts.emplace_back(t);
    any = any || parts.back().recomputable();
  }
  if (!any) return;
  attach_recipe(out, [parts = std::move(parts), dim] {
    std::vector<Tensor> ts;
    for (const SavedActivation& p : parts) ts.push_back(p.get());
    return concat(ts, dim);
  });
}

// The inputs as one tensor without a copy when they already are adjacent slices, in order, of one
// contiguous buffer of the output's shape (blocks that wrote their branches into one buffer), else
// undefined. A new view: its autograd state is the concat's own.
Tensor adjacent_slices(const std::vector<Tensor>& xs, int dim, const Shape& out_shape) {
  const Tensor& first = xs[0];
  const Shape cs = out_shape.contiguous_strides();
  int64_t offset = first.offset();
  for (const Tensor& t : xs) {
    if (!t.same_storage(first) || t.offset() != offset) return Tensor();
    for (int i = 0; i < t.ndim(); ++i)
      if (t.strides()[i] != cs[i] && t.dim(i) > 1) return Tensor();
    offset += t.dim(dim) * cs.d[dim];
  }
  return first.packed_view(out_shape);
}
}  // namespace

Tensor concat(const std::vector<Tensor>& xs, int dim) {
  YE_CHECK(!xs.empty(), "concat of no tensors");
  const Tensor& first = xs[0];
  if (dim < 0) dim += first.ndim();
  YE_CHECK(dim >= 0 && dim < first.ndim(), "concat: dim ", dim, " out of range for ", first.shape().str());
  Shape out_shape = first.shape();
  int64_t total = 0;
  for (const Tensor& t : xs) {
    detail::check_same_device(first, t, "concat");
    detail::check_same_dtype(first, t, "concat");
    YE_CHECK(t.ndim() == first.ndim(), "concat: ranks differ (", first.shape().str(), ", ", t.shape().str(), ")");
    for (int i = 0; i < t.ndim(); ++i)
      YE_CHECK(i == dim || t.dim(i) == first.dim(i), "concat along dim ", dim, ": shapes ", first.shape().str(),
               " and ", t.shape().str(), " differ elsewhere");
    total += t.dim(dim);
  }
  out_shape.d[dim] = total;
  Tensor out = adjacent_slices(xs, dim, out_shape);
  const bool aliased = out.defined();
  if (!aliased) out = Tensor::empty(out_shape, first.dtype(), first.device());
  std::vector<int64_t> sizes;
  int64_t offset = 0;
  for (const Tensor& t : xs) {
    if (!aliased && t.dim(dim) > 0) copy_(out.narrow_view(dim, offset, t.dim(dim)), t);
    sizes.push_back(t.dim(dim));
    offset += t.dim(dim);
  }
  if (any_requires_grad(xs)) {
    record_op(out, "concat", xs, [sizes, dim](const Tensor& g) -> std::vector<Tensor> {
      std::vector<Tensor> grads;
      int64_t off = 0;
      for (int64_t s : sizes) {
        grads.push_back(g.narrow_view(dim, off, s));
        off += s;
      }
      return grads;
    });
    attach_concat_recipe(out, xs, dim);
  }
  return out;
}

std::vector<Tensor> split(const Tensor& x, const std::vector<int64_t>& sizes, int dim) {
  if (dim < 0) dim += x.ndim();
  int64_t total = 0;
  for (int64_t s : sizes) total += s;
  YE_CHECK(total == x.dim(dim), "split of ", x.shape().str(), " along dim ", dim, " into pieces summing to ", total);
  std::vector<Tensor> parts;
  int64_t off = 0;
  for (int64_t s : sizes) {
    parts.push_back(narrow(x, dim, off, s));
    off += s;
  }
  return parts;
}

}  // namespace ye::ops

// Parameter arena implementation: re-points each parameter's TensorImpl into the shared buffers.
#include "engine/param_arena.h"

#include "engine/autograd.h"
#include "engine/ops.h"

namespace ye {

void ParameterArena::adopt(const std::vector<std::pair<std::string, Tensor>>& named, Device device, bool trainable) {
  YE_CHECK(!values_.defined(), "ParameterArena::adopt called twice");
  int64_t off = 0;
  for (auto& [name, t] : named) {
    YE_CHECK(t.defined() && dtype_is_float(t.dtype()), "parameter ", name, " is undefined or not floating point");
    entries_.push_back({name, t, off, t.numel()});
    off += (t.numel() + kAlign - 1) / kAlign * kAlign;
  }
  total_ = off;
  values_ = Tensor::zeros({std::max<int64_t>(total_, 1)}, DType::f32, device);
  if (trainable) grads_ = Tensor::zeros({std::max<int64_t>(total_, 1)}, DType::f32, device);
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(entries_[i].param.impl(), i);
  for (auto& e : entries_) {
    Shape shape = e.param.shape();
    Tensor dst = values_.narrow_view(0, e.offset, e.numel).reshape_view(shape);
    ops::copy_(dst, e.param);
    TensorImpl* impl = e.param.impl();
    impl->storage = dst.impl()->storage;
    impl->offset = dst.offset();
    impl->strides = shape.contiguous_strides();
    impl->dtype = DType::f32;
    if (!trainable) continue;
    Tensor g = grads_.narrow_view(0, e.offset, e.numel).reshape_view(shape);
    e.param.set_requires_grad(true);
    e.param.set_grad(g);
  }
}

void ParameterArena::zero_grad() const {
  if (grads_.defined()) ops::fill_(grads_, 0.0f);
}

const Tensor& ParameterArena::low_copy(DType dtype) {
  YE_CHECK(dtype == DType::f16 || dtype == DType::bf16, "parameter low copy must be f16 or bf16, got ",
           dtype_name(dtype));
  YE_CHECK(values_.defined(), "parameter low copy of an empty arena");
  Tensor& t = low_[dtype == DType::f16 ? 0 : 1];
  if (!t.defined()) t = Tensor::zeros(values_.shape(), dtype, values_.device());
  return t;
}

void ParameterArena::refresh_low_copy(DType dtype) { ops::copy_(low_copy(dtype), values_); }

const ParameterArena::Entry* ParameterArena::find(const TensorImpl* param) const {
  auto it = index_.find(param);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

}  // namespace ye

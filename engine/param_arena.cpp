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

}  // namespace ye

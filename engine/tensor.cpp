// Tensor storage, creation, views, copies and autograd accessors.
#include "engine/tensor.h"

#include <cstring>

#include "engine/allocator.h"
#include "engine/autograd.h"
#include "engine/ops.h"

namespace ye {

Storage::Storage(Device dev, size_t nbytes) : bytes(nbytes), device(dev) {
  data = device_alloc(dev, nbytes);
}

Storage::~Storage() { device_free(device, data); }

namespace {
std::shared_ptr<TensorImpl> make_impl(const Shape& shape, DType dtype, Device device) {
  for (int i = 0; i < shape.n; ++i) YE_CHECK(shape.d[i] >= 0, "negative dimension in shape ", shape.str());
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(device, size_t(shape.numel()) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = shape.contiguous_strides();
  impl->dtype = dtype;
  return impl;
}

std::shared_ptr<TensorImpl> view_impl(const TensorImpl& base) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage;
  impl->offset = base.offset;
  impl->shape = base.shape;
  impl->strides = base.strides;
  impl->dtype = base.dtype;
  return impl;
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) { return Tensor(make_impl(shape, dtype, device)); }

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0f, dtype, device); }

Tensor Tensor::full(const Shape& shape, float value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  ops::fill_(t, value);
  return t;
}

Tensor Tensor::from_vector(const std::vector<float>& values, const Shape& shape, Device device, DType dtype) {
  YE_CHECK(int64_t(values.size()) == shape.numel(), "from_vector: ", values.size(), " values for shape ",
           shape.str());
  Tensor host = from_blob_copy(values.data(), shape, DType::f32, Device::cpu());
  if (dtype != DType::f32) host = ops::cast(host, dtype);
  return host.to(device);
}

Tensor Tensor::from_blob_copy(const void* src, const Shape& shape, DType dtype, Device device) {
  Tensor host = empty(shape, dtype, Device::cpu());
  std::memcpy(host.data(), src, host.nbytes());
  return host.to(device);
}

bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (int i = ndim() - 1; i >= 0; --i) {
    if (impl_->shape.d[i] != 1 && impl_->strides.d[i] != expect) return false;
    expect *= impl_->shape.d[i];
  }
  return true;
}

void* Tensor::data() const {
  return static_cast<char*>(impl_->storage->data) + impl_->offset * int64_t(dtype_size(impl_->dtype));
}

Tensor Tensor::slice_view(int64_t begin, int64_t end) const {
  YE_CHECK(ndim() >= 1 && begin >= 0 && begin <= end && end <= dim(0), "slice [", begin, ", ", end,
           ") out of range for shape ", shape().str());
  auto impl = view_impl(*impl_);
  impl->offset += begin * impl_->strides.d[0];
  impl->shape.d[0] = end - begin;
  return Tensor(impl);
}

Tensor Tensor::narrow_view(int d, int64_t start, int64_t length) const {
  if (d < 0) d += ndim();
  YE_CHECK(d >= 0 && d < ndim() && start >= 0 && length >= 0 && start + length <= dim(d), "narrow(dim ", d, ", ",
           start, ", ", length, ") out of range for shape ", shape().str());
  auto impl = view_impl(*impl_);
  impl->offset += start * impl_->strides.d[d];
  impl->shape.d[d] = length;
  return Tensor(impl);
}

Tensor Tensor::packed_view(const Shape& s) const {
  const size_t end = size_t(impl_->offset + s.numel()) * dtype_size(dtype());
  YE_CHECK(impl_->storage && end <= impl_->storage->bytes, "packed_view ", s.str(), " at element ", impl_->offset,
           " runs past its storage");
  auto impl = view_impl(*impl_);
  impl->shape = s;
  impl->strides = s.contiguous_strides();
  return Tensor(impl);
}

Tensor Tensor::reshape_view(const Shape& s) const {
  YE_CHECK(s.numel() == numel(), "reshape of ", shape().str(), " to ", s.str(), ": element counts differ");
  YE_CHECK(is_contiguous(), "reshape_view needs a contiguous tensor (shape ", shape().str(), ")");
  auto impl = view_impl(*impl_);
  impl->shape = s;
  impl->strides = s.contiguous_strides();
  return Tensor(impl);
}

Tensor Tensor::to(Device device) const {
  if (device == this->device()) return *this;
  Tensor out = empty(shape(), dtype(), device);
  ops::copy_(out, *this);
  return out;
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape(), dtype(), device());
  ops::copy_(out, *this);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype(), device());
  ops::copy_(out, *this);
  return out;
}

std::vector<float> Tensor::to_vector() const {
  Tensor host = to(Device::cpu());
  if (host.dtype() != DType::f32 || !host.is_contiguous()) {
    Tensor f = empty(shape(), DType::f32, Device::cpu());
    ops::copy_(f, host);
    host = f;
  }
  const float* p = host.data_as<float>();
  return std::vector<float>(p, p + numel());
}

float Tensor::item() const {
  YE_CHECK(numel() == 1, "item() of a tensor with ", numel(), " elements");
  return to_vector()[0];
}

bool Tensor::requires_grad() const { return impl_ && impl_->autograd && impl_->autograd->requires_grad; }

Tensor& Tensor::set_requires_grad(bool on) {
  if (!impl_->autograd) impl_->autograd = std::make_shared<AutogradMeta>();
  impl_->autograd->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return impl_->autograd ? impl_->autograd->grad : Tensor(); }

void Tensor::set_grad(const Tensor& g) const {
  if (!impl_->autograd) impl_->autograd = std::make_shared<AutogradMeta>();
  impl_->autograd->grad = g;
}

void Tensor::zero_grad() const {
  if (impl_->autograd && impl_->autograd->grad.defined()) ops::fill_(impl_->autograd->grad, 0.0f);
}

void Tensor::backward(const Tensor& grad) const { run_backward(*this, grad); }

Tensor Tensor::detach() const { return Tensor(view_impl(*impl_)); }

}  // namespace ye

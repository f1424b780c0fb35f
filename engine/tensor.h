// Tensor: a typed, shaped view of device memory (cpu or cuda:N), row-major, images NHWC. Copies of a
// Tensor share storage; views (slice along dim 0, narrow along any dim with strides, reshape of a
// contiguous tensor) are cheap. Autograd state (requires_grad, grad, producing node) hangs off the
// tensor; see autograd.h. Ops live in engine/ops.h.
#pragma once
#include <memory>
#include <vector>

#include "engine/device.h"
#include "engine/shape.h"
#include "kernels/dtype.h"

namespace ye {

struct Storage {
  Storage(Device device, size_t bytes);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data = nullptr;
  size_t bytes = 0;
  Device device;
};

struct AutogradMeta;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  int64_t offset = 0;  // in elements
  Shape shape;
  Shape strides;
  DType dtype = DType::f32;
  std::shared_ptr<AutogradMeta> autograd;
  // > 0: this tensor is the first channels of contiguous rows of this many elements, the rest zero and
  // reachable through no other tensor (ops::scaled_cast). Views do not inherit it.
  int64_t zero_padded_row = 0;
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Creation (uninitialised, filled, or from host values).
  static Tensor empty(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, float value, DType dtype = DType::f32, Device device = Device::cpu());
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape, Device device = Device::cpu(),
                            DType dtype = DType::f32);
  static Tensor from_blob_copy(const void* host, const Shape& shape, DType dtype, Device device);

  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t dim(int i) const { return impl_->shape[i]; }
  int ndim() const { return impl_->shape.n; }
  int64_t numel() const { return impl_->shape.numel(); }
  size_t nbytes() const { return size_t(numel()) * dtype_size(dtype()); }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device; }
  bool is_contiguous() const;
  int64_t offset() const { return impl_->offset; }

  void* data() const;
  template <typename T>
  T* data_as() const { return static_cast<T*>(data()); }

  // Views (share storage). Autograd-aware versions are ops::slice / ops::narrow / ops::reshape.
  Tensor slice_view(int64_t begin, int64_t end) const;             // along dim 0
  Tensor narrow_view(int dim, int64_t start, int64_t length) const;  // strided along `dim`
  // Contiguous `shape` over this tensor's storage from its own first element (a buffer seen whole
  // through one of its slices); no autograd state.
  Tensor packed_view(const Shape& shape) const;
  Tensor reshape_view(const Shape& shape) const;                     // contiguous only

  // Copies. to() of a tensor already there returns the same tensor.
  Tensor to(Device device) const;
  Tensor contiguous() const;
  Tensor clone() const;
  std::vector<float> to_vector() const;  // any float dtype, copied to host as f32
  float item() const;

  // Autograd.
  bool requires_grad() const;
  Tensor& set_requires_grad(bool on);
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  void zero_grad() const;
  void backward(const Tensor& grad = Tensor()) const;
  Tensor detach() const;  // same storage, no autograd history

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same_storage(const Tensor& o) const { return impl_->storage == o.impl_->storage; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

}  // namespace ye

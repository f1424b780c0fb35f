// Copies, casts, device transfers, views with autograd, fills and random initialisation.
#include <cstring>

#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#include "engine/recompute.h"
#include "engine/weight_cast.h"
#include "kernels/philox.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/elementwise_cuda.h"
#endif

namespace ye::ops {

void copy_(const Tensor& dst, const Tensor& src) {
  YE_CHECK(dst.shape() == src.shape(), "copy_: shapes differ (", dst.shape().str(), " <- ", src.shape().str(), ")");
  if (src.numel() == 0) return;
  Device sd = src.device(), dd = dst.device();
  if (sd.is_cpu() && dd.is_cpu()) {
    kernels::cpu::copy_convert(src.data(), src.dtype(), dst.data(), dst.dtype(), detail::copy_layout(src, dst));
    return;
  }
#ifdef YE_WITH_CUDA
  if (sd == dd) {
    kernels::cuda::copy_convert(src.data(), src.dtype(), dst.data(), dst.dtype(), detail::copy_layout(src, dst),
                                detail::stream(dst));
    return;
  }
  if (sd.is_cpu() && dd.is_cuda()) {
    Tensor staged = src.contiguous();
    if (dst.is_contiguous() && dst.dtype() == src.dtype()) {
      YE_CUDA_CHECK(cudaMemcpyAsync(dst.data(), staged.data(), staged.nbytes(), cudaMemcpyHostToDevice,
                                    detail::stream(dst)));
      return;
    }
    Tensor dev = Tensor::empty(src.shape(), src.dtype(), dd);
    YE_CUDA_CHECK(cudaMemcpyAsync(dev.data(), staged.data(), staged.nbytes(), cudaMemcpyHostToDevice,
                                  detail::stream(dev)));
    copy_(dst, dev);
    return;
  }
  if (sd.is_cuda() && dd.is_cpu()) {
    Tensor staged = src.contiguous();
    cudaStream_t s = detail::stream(staged);
    if (dst.is_contiguous() && dst.dtype() == src.dtype()) {
      YE_CUDA_CHECK(cudaMemcpyAsync(dst.data(), staged.data(), staged.nbytes(), cudaMemcpyDeviceToHost, s));
      YE_CUDA_CHECK(cudaStreamSynchronize(s));
      return;
    }
    Tensor host = Tensor::empty(src.shape(), src.dtype(), Device::cpu());
    YE_CUDA_CHECK(cudaMemcpyAsync(host.data(), staged.data(), staged.nbytes(), cudaMemcpyDeviceToHost, s));
    YE_CUDA_CHECK(cudaStreamSynchronize(s));
    copy_(dst, host);
    return;
  }
  copy_(dst, src.to(Device::cpu()));  // device to another device through the host
#else
  YE_REQUIRE_CUDA_BUILD(sd.is_cuda() ? sd : dd);
#endif
}

void copy_from_host_async(const Tensor& dst, const void* host, size_t nbytes) {
  YE_CHECK(dst.is_contiguous() && nbytes == dst.nbytes(), "copy_from_host_async: ", nbytes,
           " bytes into a tensor of ", dst.nbytes(), " bytes (must be contiguous and the same size)");
  if (dst.device().is_cpu()) {
    std::memcpy(dst.data(), host, nbytes);
    return;
  }
#ifdef YE_WITH_CUDA
  YE_CUDA_CHECK(cudaMemcpyAsync(dst.data(), host, nbytes, cudaMemcpyHostToDevice, detail::stream(dst)));
#else
  YE_REQUIRE_CUDA_BUILD(dst.device());
#endif
}

Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor y = WeightCastScope::lookup(x, dtype);  // the weight's slice of the per-forward low copy
  if (!y.defined()) {
    y = Tensor::empty(x.shape(), dtype, x.device());
    copy_(y, x);
  }
  if (any_requires_grad({x})) {
    DType from = x.dtype();
    // A leaf whose grad (of dtype `from`) already exists takes the low-precision gradient as it is: the
    // accumulation converts while adding (one kernel per weight instead of a cast and an add).
    std::shared_ptr<AutogradMeta> leaf = x.impl()->autograd->grad_fn ? nullptr : x.impl()->autograd;
    record_op(y, "cast", {x}, [from, leaf](const Tensor& g) -> std::vector<Tensor> {
      if (leaf && leaf->grad.defined() && leaf->grad.dtype() == from) return {g};
      return {cast(g, from)};
    });
  }
  return y;
}

namespace {
// rows x inner -> rows x padded: scale * src, then zeros (src contiguous, dst contiguous).
void scale_pad(const Tensor& src, const Tensor& dst, float scale) {
  const int64_t inner = src.dim(-1), padded = dst.dim(-1), rows = inner ? src.numel() / inner : 0;
  if (src.device().is_cpu()) {
    kernels::cpu::scale_pad_rows(src.data(), src.dtype(), dst.data(), dst.dtype(), rows, inner, padded, scale);
    return;
  }
#ifdef YE_WITH_CUDA
  kernels::cuda::scale_pad_rows(src.data(), src.dtype(), dst.data(), dst.dtype(), rows, inner, padded, scale,
                                detail::stream(dst));
#else
  YE_REQUIRE_CUDA_BUILD(src.device());
#endif
}

Shape with_last_dim(Shape s, int64_t n) {
  s.d[s.n - 1] = n;
  return s;
}
}  // namespace

Tensor scaled_cast(const Tensor& x0, DType dtype, float scale, int64_t row_pad) {
  YE_CHECK(x0.ndim() >= 1 && !x0.requires_grad(), "scaled_cast: a tensor without autograd state, got ",
           x0.shape().str());
  Tensor x = x0.contiguous();
  const int64_t c = x.dim(-1);
  if (row_pad <= c) {
    Tensor y = Tensor::empty(x.shape(), dtype, x.device());
    scale_pad(x, y, scale);
    return y;
  }
  Tensor rows = Tensor::empty(with_last_dim(x.shape(), row_pad), dtype, x.device());
  scale_pad(x, rows, scale);
  Tensor y = rows.narrow_view(-1, 0, c);
  y.impl()->zero_padded_row = row_pad;
  return y;
}

Tensor pad_last_dim(const Tensor& x, int64_t padded) {
  YE_CHECK(x.ndim() >= 1 && padded >= x.dim(-1), "pad_last_dim of ", x.shape().str(), " to ", padded);
  const int64_t c = x.dim(-1);
  if (padded == c) return x;
  const Shape shape = with_last_dim(x.shape(), padded);
  Tensor y;
  if (x.impl()->zero_padded_row == padded && x.ndim() >= 2 && x.strides()[x.ndim() - 1] == 1 &&
      x.strides()[x.ndim() - 2] == padded) {
    y = x.packed_view(shape);
  } else {
    y = Tensor::empty(shape, x.dtype(), x.device());
    scale_pad(x.contiguous(), y, 1.0f);
  }
  if (any_requires_grad({x}))
    record_op(y, "pad_last_dim", {x}, [c](const Tensor& g) -> std::vector<Tensor> { return {g.narrow_view(-1, 0, c)}; });
  return y;
}

Tensor to(const Tensor& x, Device device) {
  if (x.device() == device) return x;
  Tensor y = x.to(device);
  if (any_requires_grad({x})) {
    Device from = x.device();
    record_op(y, "to", {x}, [from](const Tensor& g) -> std::vector<Tensor> { return {g.to(from)}; });
  }
  return y;
}

Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  Tensor y = x.contiguous();
  if (any_requires_grad({x})) record_op(y, "contiguous", {x}, [](const Tensor& g) -> std::vector<Tensor> { return {g}; });
  return y;
}

Tensor copy_into(const Tensor& dst, const Tensor& src) {
  YE_CHECK(dst.shape() == src.shape() && !dst.requires_grad(), "copy_into: destination ", dst.shape().str(),
           " for ", src.shape().str(), " (it must carry no autograd state)");
  Tensor y = dst;
  copy_(y, src);
  if (any_requires_grad({src})) {
    record_op(y, "copy_into", {src}, [](const Tensor& g) -> std::vector<Tensor> { return {g}; });
    if (RecipePtr r = recipe_of(src)) attach_recipe(y, [r] { return r->materialize(); });
  }
  return y;
}

Tensor slice(const Tensor& x, int64_t begin, int64_t end) { return narrow(x, 0, begin, end - begin); }

Tensor narrow(const Tensor& x, int dim, int64_t start, int64_t length) {
  if (dim < 0) dim += x.ndim();
  Tensor y = x.narrow_view(dim, start, length);
  if (any_requires_grad({x})) {
    Shape full = x.shape();
    record_op(y, "narrow", {x}, [full, dim, start, length](const Tensor& g) -> std::vector<Tensor> {
      Tensor gx = Tensor::zeros(full, g.dtype(), g.device());
      copy_(gx.narrow_view(dim, start, length), g);
      return {gx};
    });
    mark_slice_of_input(y, dim, start, full);
    if (RecipePtr r = recipe_of(x))
      attach_recipe(y, [r, dim, start, length] { return r->materialize().narrow_view(dim, start, length); });
  }
  return y;
}

Tensor reshape(const Tensor& x, const Shape& shape) {
  Tensor y = x.contiguous().reshape_view(shape);
  if (any_requires_grad({x})) {
    Shape from = x.shape();
    record_op(y, "reshape", {x}, [from](const Tensor& g) -> std::vector<Tensor> { return {reshape(g, from)}; });
  }
  return y;
}

void fill_(const Tensor& dst, float value) {
  YE_CHECK(dst.is_contiguous(), "fill_ needs a contiguous tensor");
  if (dst.device().is_cpu()) {
    kernels::cpu::fill(dst.data(), dst.dtype(), dst.numel(), value);
    return;
  }
#ifdef YE_WITH_CUDA
  kernels::cuda::fill(dst.data(), dst.dtype(), dst.numel(), value, detail::stream(dst));
#else
  YE_REQUIRE_CUDA_BUILD(dst.device());
#endif
}

namespace {
template <typename F>
void random_fill(const Tensor& dst, F&& sample) {
  YE_CHECK(dst.is_contiguous(), "random init needs a contiguous tensor");
  Tensor host = Tensor::empty(dst.shape(), DType::f32, Device::cpu());
  float* p = host.data_as<float>();
  for (int64_t i = 0; i < host.numel(); ++i) p[i] = sample(i);
  copy_(dst, host);
}
}  // namespace

void uniform_(const Tensor& dst, float lo, float hi, Generator& gen) {
  uint64_t offset = gen.advance(dst.numel());
  if (dst.device().is_cuda()) {
#ifdef YE_WITH_CUDA
    kernels::cuda::uniform(dst.data(), dst.dtype(), dst.numel(), lo, hi, gen.seed, offset, detail::stream(dst));
    return;
#endif
  }
  random_fill(dst, [&](int64_t i) { return lo + (hi - lo) * kernels::philox_uniform(gen.seed, offset, i); });
}

void normal_(const Tensor& dst, float mean, float stddev, Generator& gen) {
  uint64_t offset = gen.advance(dst.numel());
  if (dst.device().is_cuda()) {
#ifdef YE_WITH_CUDA
    kernels::cuda::normal(dst.data(), dst.dtype(), dst.numel(), mean, stddev, gen.seed, offset,
                          detail::stream(dst));
    return;
#endif
  }
  random_fill(dst, [&](int64_t i) { return mean + stddev * kernels::philox_normal(gen.seed, offset, i); });
}

void add_(const Tensor& dst, const Tensor& src0, float alpha) {
  detail::check_same_device(dst, src0, "add_");
  YE_CHECK(dst.shape() == src0.shape(), "add_: shapes differ (", dst.shape().str(), " += ", src0.shape().str(), ")");
  if (!dst.is_contiguous()) {  // a view (a channel slice of a gradient): in place on CUDA, else through a copy
#ifdef YE_WITH_CUDA
    if (dst.device().is_cuda() && src0.dtype() == dst.dtype() && dtype_is_float(dst.dtype())) {
      kernels::cuda::axpy_strided(dst.dtype(), alpha, src0.data(), dst.data(), detail::copy_layout(src0, dst),
                                  detail::stream(dst));
      return;
    }
#endif
    Tensor staged = dst.contiguous();
    add_(staged, src0, alpha);
    copy_(dst, staged);
    return;
  }
#ifdef YE_WITH_CUDA
  if (dst.device().is_cuda() && src0.dtype() != dst.dtype() && src0.is_contiguous() && dtype_is_float(src0.dtype()) &&
      dtype_is_float(dst.dtype())) {  // f16/bf16 gradient into an f32 accumulator: one pass, no temporary
    kernels::cuda::axpy_convert(src0.dtype(), dst.dtype(), alpha, src0.data(), dst.data(), dst.numel(),
                                detail::stream(dst));
    return;
  }
#endif
  Tensor src = src0.dtype() == dst.dtype() ? src0.contiguous() : cast(src0.detach(), dst.dtype()).contiguous();
  if (dst.device().is_cpu()) {
    detail::check_cpu_f32(dst, "add_");
    kernels::cpu::axpy(alpha, src.data_as<float>(), dst.data_as<float>(), dst.numel());
    return;
  }
#ifdef YE_WITH_CUDA
  kernels::cuda::axpy(dst.dtype(), alpha, src.data(), dst.data(), dst.numel(), detail::stream(dst));
#endif
}

void synchronize(Device device) {
#ifdef YE_WITH_CUDA
  if (device.is_cuda()) {
    auto& ctx = cuda::context(device.index);
    YE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  }
#endif
}

void set_allow_tf32(Device device, bool allow) {
#ifdef YE_WITH_CUDA
  if (device.is_cuda()) cuda::context(device.index).allow_tf32 = allow;
#endif
}

}  // namespace ye::ops

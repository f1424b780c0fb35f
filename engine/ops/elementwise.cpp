// Elementwise ops: broadcasting binary ops, unary activations and scalar affine/pow, with backward.
#include "engine/nn_ops.h"
#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#include "engine/recompute.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/elementwise_cuda.h"
#endif

namespace ye::ops {
using kernels::BinaryOp;
using kernels::UnaryOp;

namespace detail {
Shape broadcast_shapes(const Shape& a, const Shape& b) {
  Shape out;
  out.n = std::max(a.n, b.n);
  for (int i = 0; i < out.n; ++i) {
    int64_t da = i < out.n - a.n ? 1 : a.d[i - (out.n - a.n)];
    int64_t db = i < out.n - b.n ? 1 : b.d[i - (out.n - b.n)];
    YE_CHECK(da == db || da == 1 || db == 1, "shapes ", a.str(), " and ", b.str(), " do not broadcast");
    out.d[i] = std::max(da, db);
  }
  return out;
}

kernels::Strided5 broadcast_layout(const Shape& out, const Shape& a, const Shape& b) {
  kernels::Strided5 l;
  l.ndim = out.n;
  Shape sa = a.contiguous_strides(), sb = b.contiguous_strides();
  for (int i = 0; i < out.n; ++i) {
    l.shape[i] = out.d[i];
    int ia = i - (out.n - a.n), ib = i - (out.n - b.n);
    l.stride_a[i] = (ia >= 0 && a.d[ia] != 1) ? sa.d[ia] : 0;
    l.stride_b[i] = (ib >= 0 && b.d[ib] != 1) ? sb.d[ib] : 0;
  }
  return l;
}

kernels::Strided5 copy_layout(const Tensor& src, const Tensor& dst) {
  YE_CHECK(src.shape() == dst.shape(), "copy from ", src.shape().str(), " into ", dst.shape().str());
  kernels::Strided5 l;
  l.ndim = src.ndim();
  for (int i = 0; i < l.ndim; ++i) {
    l.shape[i] = src.dim(i);
    l.stride_a[i] = src.strides()[i];
    l.stride_b[i] = dst.strides()[i];
  }
  if (l.ndim == 0) {
    l.ndim = 1;
    l.shape[0] = 1;
  }
  return l;
}
}  // namespace detail

namespace {

Tensor binary_forward(BinaryOp op, const Tensor& a0, const Tensor& b0, const char* name) {
  detail::check_same_device(a0, b0, name);
  detail::check_same_dtype(a0, b0, name);
  Tensor a = a0.contiguous(), b = b0.contiguous();
  Shape out_shape = detail::broadcast_shapes(a.shape(), b.shape());
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  auto layout = detail::broadcast_layout(out_shape, a.shape(), b.shape());
  if (a.device().is_cpu()) {
    detail::check_cpu_f32(a, name);
    kernels::cpu::binary(op, a.data_as<float>(), b.data_as<float>(), out.data_as<float>(), layout);
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::binary(op, a.dtype(), a.data(), b.data(), out.data(), layout, detail::stream(a));
#else
    YE_REQUIRE_CUDA_BUILD(a.device());
#endif
  }
  return out;
}

Tensor unary_forward(UnaryOp op, const Tensor& x0) {
  Tensor x = x0.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "unary op");
    kernels::cpu::unary(op, x.data_as<float>(), y.data_as<float>(), x.numel());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::unary(op, x.dtype(), x.data(), y.data(), x.numel(), detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  return y;
}

Tensor unary_backward(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& gy0) {
  Tensor gy = gy0.contiguous();
  Tensor gx = Tensor::empty(gy.shape(), gy.dtype(), gy.device());
  if (gy.device().is_cpu()) {
    kernels::cpu::unary_backward(op, x.defined() ? x.data_as<float>() : nullptr,
                                 y.defined() ? y.data_as<float>() : nullptr, gy.data_as<float>(),
                                 gx.data_as<float>(), gy.numel());
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::unary_backward(op, gy.dtype(), x.defined() ? x.data() : nullptr,
                                  y.defined() ? y.data() : nullptr, gy.data(), gx.data(), gy.numel(),
                                  detail::stream(gy));
#endif
  }
  return gx;
}

// Which of x (input) and y (output) the backward of each unary op needs.
bool needs_input(UnaryOp op) {
  return op == UnaryOp::silu || op == UnaryOp::log || op == UnaryOp::square || op == UnaryOp::relu ||
         op == UnaryOp::abs;
}
bool needs_output(UnaryOp op) {
  return op == UnaryOp::sigmoid || op == UnaryOp::exp || op == UnaryOp::sqrt || op == UnaryOp::reciprocal;
}

Tensor unary(UnaryOp op, const Tensor& x, const char* name) {
  Tensor y = unary_forward(op, x);
  if (any_requires_grad({x})) {
    Tensor saved_x = needs_input(op) ? x.contiguous().detach() : Tensor();
    Tensor saved_y = needs_output(op) ? y.detach() : Tensor();
    record_op(y, name, {x}, [op, saved_x, saved_y](const Tensor& g) -> std::vector<Tensor> {
      return {unary_backward(op, saved_x, saved_y, g)};
    });
  }
  return y;
}
}  // namespace

namespace {
// A per-channel sum of a CUDA row gradient (a bias's, from a channel slice too) in one pass, f32, no
// f32 copy of the gradient; undefined where that does not apply.
Tensor channel_sum_cuda(const Tensor& grad, const Shape& shape) {
#ifdef YE_WITH_CUDA
  const int64_t C = grad.ndim() ? grad.dim(-1) : 0;
  const int64_t ld = channel_row_stride(grad);
  if (!grad.device().is_cuda() || shape.n != 1 || shape.d[0] != C || C < 2 || ld == 0 || !dtype_is_float(grad.dtype()))
    return Tensor();
  const int64_t rows = grad.numel() / C;
  Tensor partial = Tensor::empty(Shape{kernels::cuda::sum_rows_partials(rows), C}, DType::f32, grad.device());
  Tensor out = Tensor::empty(Shape{C}, DType::f32, grad.device());
  kernels::cuda::sum_rows(grad.dtype(), grad.data(), rows, C, ld, partial.data_as<float>(), out.data_as<float>(),
                          detail::stream(grad));
  return cast(out, grad.dtype());
#else
  (void)grad, (void)shape;
  return Tensor();
#endif
}
}  // namespace

Tensor broadcast_to_sum(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  if (Tensor per_channel = channel_sum_cuda(grad, shape); per_channel.defined()) return per_channel;
  // Reduce in f32: chained f16 partial sums would round at every stage (bias gradients).
  Tensor g = grad.dtype() == DType::f32 ? grad : cast(grad, DType::f32);
  int lead = g.ndim() - shape.n;
  for (int i = 0; i < g.ndim(); ++i) {
    int64_t target = i < lead ? 1 : shape.d[i - lead];
    if (target == 1 && g.dim(i) != 1) g = sum(g, i, true);
  }
  return cast(reshape(g, shape), grad.dtype());
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::add, a, b, "add");
  if (any_requires_grad({a, b})) {
    Shape sa = a.shape(), sb = b.shape();
    record_op(out, "add", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
      return {broadcast_to_sum(g, sa), broadcast_to_sum(g, sb)};
    });
    // A residual sum of recomputable activations (held inputs cost no more than the sum would).
    SavedActivation ra(a), rb(b);
    if (ra.recomputable() || rb.recomputable()) attach_recipe(out, [ra, rb] { return add(ra.get(), rb.get()); });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::sub, a, b, "sub");
  if (any_requires_grad({a, b})) {
    Shape sa = a.shape(), sb = b.shape();
    record_op(out, "sub", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
      return {broadcast_to_sum(g, sa), broadcast_to_sum(neg(g), sb)};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::mul, a, b, "mul");
  if (any_requires_grad({a, b})) {
    bool ga = a.requires_grad(), gb = b.requires_grad();
    Tensor sa = gb ? a.detach() : Tensor(), sb = ga ? b.detach() : Tensor();
    Shape sha = a.shape(), shb = b.shape();
    record_op(out, "mul", {a, b}, [sa, sb, sha, shb, ga, gb](const Tensor& g) -> std::vector<Tensor> {
      return {ga ? broadcast_to_sum(mul(g, sb), sha) : Tensor(), gb ? broadcast_to_sum(mul(g, sa), shb) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::div, a, b, "div");
  if (any_requires_grad({a, b})) {
    Tensor sb = b.detach(), so = out.detach();
    Shape sha = a.shape(), shb = b.shape();
    bool gb = b.requires_grad();
    record_op(out, "div", {a, b}, [sb, so, sha, shb, gb](const Tensor& g) -> std::vector<Tensor> {
      Tensor ga = div(g, sb);
      return {broadcast_to_sum(ga, sha), gb ? broadcast_to_sum(neg(mul(ga, so)), shb) : Tensor()};
    });
  }
  return out;
}

namespace {
// g where a was picked (ties go to a), else 0.
Tensor select_grad(const Tensor& g, const Tensor& a, const Tensor& b, bool maximum_op) {
  Tensor mask = binary_forward(maximum_op ? BinaryOp::ge : BinaryOp::le, a, b, "mask");
  return mul(g, mask);
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::maximum, a, b, "maximum");
  if (any_requires_grad({a, b})) {
    Tensor sa = a.detach(), sb = b.detach();
    record_op(out, "maximum", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
      Tensor ga = select_grad(g, sa, sb, true);
      return {broadcast_to_sum(ga, sa.shape()), broadcast_to_sum(sub(g, ga), sb.shape())};
    });
  }
  return out;
}

Tensor minimum(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::minimum, a, b, "minimum");
  if (any_requires_grad({a, b})) {
    Tensor sa = a.detach(), sb = b.detach();
    record_op(out, "minimum", {a, b}, [sa, sb](const Tensor& g) -> std::vector<Tensor> {
      Tensor ga = select_grad(g, sa, sb, false);
      return {broadcast_to_sum(ga, sa.shape()), broadcast_to_sum(sub(g, ga), sb.shape())};
    });
  }
  return out;
}

Tensor affine(const Tensor& x0, float m, float a) {
  Tensor x = x0.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "affine");
    kernels::cpu::affine(x.data_as<float>(), y.data_as<float>(), x.numel(), m, a);
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::affine(x.dtype(), x.data(), y.data(), x.numel(), m, a, detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (any_requires_grad({x0}))
    record_op(y, "affine", {x0}, [m](const Tensor& g) -> std::vector<Tensor> { return {mul_scalar(g, m)}; });
  return y;
}

Tensor pow_scalar(const Tensor& x0, float p) {
  Tensor x = x0.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  if (x.device().is_cpu()) {
    detail::check_cpu_f32(x, "pow");
    kernels::cpu::pow_scalar(x.data_as<float>(), y.data_as<float>(), x.numel(), p);
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::pow_scalar(x.dtype(), x.data(), y.data(), x.numel(), p, detail::stream(x));
#else
    YE_REQUIRE_CUDA_BUILD(x.device());
#endif
  }
  if (any_requires_grad({x0})) {
    Tensor sx = x.detach();
    record_op(y, "pow", {x0}, [sx, p](const Tensor& g) -> std::vector<Tensor> {
      return {mul(g, mul_scalar(pow_scalar(sx, p - 1.0f), p))};
    });
  }
  return y;
}

Tensor neg(const Tensor& x) { return unary(UnaryOp::neg, x, "neg"); }
Tensor sigmoid(const Tensor& x) { return unary(UnaryOp::sigmoid, x, "sigmoid"); }
Tensor silu(const Tensor& x) { return unary(UnaryOp::silu, x, "silu"); }
Tensor exp(const Tensor& x) { return unary(UnaryOp::exp, x, "exp"); }
Tensor log(const Tensor& x) { return unary(UnaryOp::log, x, "log"); }
Tensor sqrt(const Tensor& x) { return unary(UnaryOp::sqrt, x, "sqrt"); }
Tensor square(const Tensor& x) { return unary(UnaryOp::square, x, "square"); }
Tensor relu(const Tensor& x) { return unary(UnaryOp::relu, x, "relu"); }
Tensor abs(const Tensor& x) { return unary(UnaryOp::abs, x, "abs"); }

}  // namespace ye::ops

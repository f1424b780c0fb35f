// conv2d op: NHWC input, (O, kh, kw, C/groups) weight, optional bias; forward, input gradient, weight
// gradient (bias gradient through ops::add's broadcast rule). CPU: kernels/conv.h; CUDA: cuDNN.
// Also the OIHW <-> (O, kh, kw, I) weight layout conversions.
#include <algorithm>
#include <cstdlib>

#include "engine/nn_ops.h"
#include "engine/ops/dispatch.h"
#include "engine/recompute.h"
#include "kernels/conv.h"
#ifdef YE_WITH_CUDA
#include "engine/cuda/cudnn_conv.h"
#endif

namespace ye::ops {
namespace {

kernels::ConvGeom geometry(const Tensor& x, const Tensor& w, const Conv2dArgs& a) {
  YE_CHECK(x.ndim() == 4, "conv2d: input must be NHWC 4-D, got ", x.shape().str());
  YE_CHECK(w.ndim() == 4, "conv2d: weight must be (O, kh, kw, C/groups), got ", w.shape().str());
  YE_CHECK(a.groups >= 1 && a.stride >= 1 && a.pad >= 0, "conv2d: bad stride/pad/groups ", a.stride, "/", a.pad,
           "/", a.groups);
  kernels::ConvGeom g;
  g.n = x.dim(0), g.h = x.dim(1), g.w = x.dim(2), g.c = x.dim(3);
  g.o = w.dim(0), g.kh = w.dim(1), g.kw = w.dim(2);
  g.stride = a.stride, g.pad = a.pad, g.groups = a.groups;
  YE_CHECK(g.c % g.groups == 0 && g.o % g.groups == 0 && w.dim(3) == g.c / g.groups, "conv2d: input ",
           x.shape().str(), " and weight ", w.shape().str(), " do not fit groups=", g.groups);
  YE_CHECK(g.ho() >= 1 && g.wo() >= 1, "conv2d: kernel ", g.kh, "x", g.kw, " larger than padded input ",
           x.shape().str());
  return g;
}

enum class Dir { forward, backward_data, backward_filter };

// The pixel stride of an NHWC tensor on CUDA that cuDNN may read in place: 0 when packed, the row length
// when it is a channel slice of wider rows (a C2f buffer's slice, a concat gradient's slice) with 16-byte
// aligned rows, -1 when it must be packed first (and always on the CPU). The plan search keeps the
// strided form only where it timed faster than packing; YE_CONV_STRIDED=0 always packs, =1 never does
// where cuDNN takes the strides (tests).
int64_t row_stride(const Tensor& t) {
  if (t.is_contiguous()) return 0;
  const char* mode = std::getenv("YE_CONV_STRIDED");
  if (!t.device().is_cuda() || t.ndim() != 4 || (mode && mode[0] == '0')) return -1;
  const int64_t row = channel_row_stride(t), align = 16 / int64_t(dtype_size(t.dtype()));
  return row > t.dim(3) && row % align == 0 && t.offset() % align == 0 ? row : -1;
}

Tensor packed_unless_strided(const Tensor& t) { return row_stride(t) >= 0 ? t : t.contiguous(); }

#ifdef YE_WITH_CUDA
bool launch(Dir dir, cuda::DeviceContext& ctx, const kernels::ConvGeom& g, const Tensor& a, const Tensor& b,
            const Tensor& out, cuda::ConvRows rows) {
  if (dir == Dir::forward) return cuda::cudnn_conv_forward(ctx, g, a.dtype(), a.data(), b.data(), out.data(), rows);
  if (dir == Dir::backward_data)
    return cuda::cudnn_conv_backward_data(ctx, g, a.dtype(), a.data(), b.data(), out.data(), rows);
  return cuda::cudnn_conv_backward_filter(ctx, g, a.dtype(), a.data(), b.data(), out.data(), rows);
}
#endif

// out = conv-direction(a, b), same dtype and device: forward (x, w), backward data (dy, w), backward
// filter (x, dy). On CUDA, x and dy may be channel slices (row_stride >= 0).
void run(Dir dir, const kernels::ConvGeom& g, const Tensor& a0, const Tensor& b0, const Tensor& out) {
  if (a0.device().is_cpu()) {
    Tensor a = a0.contiguous(), b = b0.contiguous();
    detail::check_cpu_f32(a, "conv2d");
    const float *pa = a.data_as<float>(), *pb = b.data_as<float>();
    float* po = out.data_as<float>();
    if (dir == Dir::forward) kernels::cpu::conv2d_forward(g, pa, pb, po);
    if (dir == Dir::backward_data) kernels::cpu::conv2d_backward_input(g, pa, pb, po);
    if (dir == Dir::backward_filter) kernels::cpu::conv2d_backward_weight(g, pa, pb, po);
    return;
  }
#ifdef YE_WITH_CUDA
  constexpr int64_t kCudnnMaxElements = int64_t(1) << 31;  // cuDNN's legacy descriptors take int counts
  const int64_t in = g.n * g.h * g.w * g.c, out_n = g.n * g.ho() * g.wo() * g.o;
  YE_CHECK(in < kCudnnMaxElements && out_n < kCudnnMaxElements, "conv2d on ", a0.device().str(), ": a tensor of ",
           std::max(in, out_n), " elements (batch ", g.n, ", ", g.h, "x", g.w, "x", g.c, " -> ", g.ho(), "x", g.wo(),
           "x", g.o, ") exceeds cuDNN's limit of 2^31; lower --batch or --imgsz");
  detail::stream(a0);
  auto& ctx = cuda::context(a0.device().index);
  Tensor a = packed_unless_strided(a0);
  Tensor b = dir == Dir::backward_filter ? packed_unless_strided(b0) : b0.contiguous();
  cuda::ConvRows rows;
  if (dir == Dir::backward_data) rows.dy = row_stride(a);
  else rows.x = row_stride(a);
  if (dir == Dir::backward_filter) rows.dy = row_stride(b);
  if (!launch(dir, ctx, g, a, b, out, rows)) launch(dir, ctx, g, a.contiguous(), b.contiguous(), out, {});
#else
  YE_REQUIRE_CUDA_BUILD(a0.device());
#endif
}

Tensor conv_no_bias(const Tensor& x0, const Tensor& w0, const Conv2dArgs& args) {
  kernels::ConvGeom g = geometry(x0, w0, args);
  Tensor x = packed_unless_strided(x0), w = w0.contiguous();
  Tensor y = Tensor::empty(Shape{g.n, g.ho(), g.wo(), g.o}, x.dtype(), x.device());
  run(Dir::forward, g, x, w, y);
  if (any_requires_grad({x0, w0})) {
    bool gx = x0.requires_grad(), gw = w0.requires_grad();
    // The input for the weight gradient: its recipe when it is recomputable (x0 itself or the packed
    // copy x of a strided view), so its memory can be freed after the forward.
    SavedActivation sx = !gw ? SavedActivation() : recipe_of(x0) ? SavedActivation(x0) : SavedActivation(x);
    Tensor sw = gx ? w.detach() : Tensor();
    Shape xs = x.shape(), ws = w.shape();
    DType dt = x.dtype();
    Device dev = x.device();
    record_op(y, "conv2d", {x0, w0}, [=](const Tensor& gy0) -> std::vector<Tensor> {
      Tensor gy = packed_unless_strided(gy0);
      Tensor dx, dw;
      if (gx) {
        dx = Tensor::empty(xs, dt, dev);
        run(Dir::backward_data, g, gy, sw, dx);
      }
      if (gw) {
        dw = Tensor::empty(ws, dt, dev);
        run(Dir::backward_filter, g, sx.get(), gy, dw);
      }
      return {dx, dw};
    });
  }
  return y;
}

// cuDNN runs f16/bf16 convolutions over fewer than 8 input channels (the RGB stem) on generic kernels
// (fprop + wgrad 1.05 ms of a yolov8s b64 step on an H100); zero channels up to 8 in the input and
// the weight give the same sums on tensor cores. YE_CONV_PAD=0 turns it off (A/B, tests).
constexpr int64_t kTensorCoreChannels = 8;

bool pad_for_tensor_cores(const Tensor& x, const Conv2dArgs& a) {
  return conv_input_row_pad(x.device(), x.dtype()) > 0 && a.groups == 1 && x.ndim() == 4 &&
         x.dim(3) < kTensorCoreChannels;
}
}  // namespace

int64_t conv_input_row_pad(Device device, DType dtype) {
  const char* mode = std::getenv("YE_CONV_PAD");
  const bool on = !(mode && mode[0] == '0') && device.is_cuda() && (dtype == DType::f16 || dtype == DType::bf16);
  return on ? kTensorCoreChannels : 0;
}

Tensor conv2d(const Tensor& x, const Tensor& w0, const Tensor& bias, const Conv2dArgs& args) {
  detail::check_same_device(x, w0, "conv2d");
  Tensor w = cast(w0, x.dtype());
  Tensor y = pad_for_tensor_cores(x, args) && w.ndim() == 4 && w.dim(3) == x.dim(3)
                 ? conv_no_bias(pad_last_dim(x, kTensorCoreChannels), pad_last_dim(w, kTensorCoreChannels), args)
                 : conv_no_bias(x, w, args);
  if (!bias.defined()) return y;
  YE_CHECK(bias.ndim() == 1 && bias.dim(0) == w.dim(0), "conv2d: bias ", bias.shape().str(), " for ", w.dim(0),
           " output channels");
  return add(y, cast(bias, x.dtype()));
}

Tensor conv_weight_from_oihw(const Tensor& w) {
  YE_CHECK(w.ndim() == 4, "conv weight OIHW must be 4-D, got ", w.shape().str());
  return permute(w, {0, 2, 3, 1});
}

Tensor conv_weight_to_oihw(const Tensor& w) {
  YE_CHECK(w.ndim() == 4, "conv weight (O, kh, kw, I) must be 4-D, got ", w.shape().str());
  return permute(w, {0, 3, 1, 2});
}

}  // namespace ye::ops

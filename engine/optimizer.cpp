// Optimizer, GradScaler and ModelEMA implementations: dispatch to kernels/optim.h on CPU or CUDA.
#include "engine/optimizer.h"

#include <cmath>

#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#include "kernels/optim.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/optim_cuda.h"
#endif

namespace ye {
namespace {
float* f32(const Tensor& t) { return t.data_as<float>(); }
}  // namespace

GradScaler::GradScaler(Device device, bool enabled, float init_scale, float growth, float backoff, int interval)
    : device_(device), enabled_(enabled), growth_(growth), backoff_(backoff), interval_(interval) {
  scale_ = Tensor::full({1}, enabled ? init_scale : 1.0f, DType::f32, device);
  found_inf = Tensor::zeros({1}, DType::f32, device);
  grad_sq_sum = Tensor::zeros({1}, DType::f32, device);
  growth_tracker = Tensor::zeros({1}, DType::i32, device);
  skipped = Tensor::zeros({1}, DType::f32, device);
}

Tensor GradScaler::scale_loss(const Tensor& loss) const {
  if (!enabled_) return loss;
  return ops::mul(loss, ops::cast(scale_, loss.dtype()));
}

void GradScaler::update() {
  ops::add_(skipped, found_inf);
  if (!enabled_) return;
  kernels::StepControl ctl{f32(found_inf), f32(grad_sq_sum), f32(scale_), 0.0f};
  int* tracker = growth_tracker.data_as<int>();
  if (device_.is_cpu()) {
    kernels::cpu::update_loss_scale(ctl, tracker, growth_, backoff_, interval_);
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::update_loss_scale(ctl, tracker, growth_, backoff_, interval_, ops::detail::stream(scale_));
#endif
  }
}

float GradScaler::scale_value() const { return scale_.item(); }
int64_t GradScaler::skipped_steps() const { return int64_t(skipped.item()); }

std::vector<float> GradScaler::state() const {
  return {scale_.item(), ops::cast(growth_tracker, DType::f32).item(), skipped.item()};
}

void GradScaler::load_state(const std::vector<float>& s) {
  YE_CHECK(s.size() == 3, "grad scaler state needs 3 values, got ", s.size());
  ops::fill_(scale_, s[0]);
  ops::fill_(growth_tracker, s[1]);
  ops::fill_(skipped, s[2]);
}

Optimizer::Optimizer(OptimizerKind kind, const ParameterArena& arena, std::vector<ParamGroup> groups, float beta2,
                     float eps, bool nesterov)
    : kind_(kind), arena_(arena), groups_(std::move(groups)), beta2_(beta2), eps_(eps), nesterov_(nesterov) {
  Device dev = arena.values().device();
  int64_t n = arena.values().numel();
  buf1_ = Tensor::zeros({n}, DType::f32, dev);
  if (kind == OptimizerKind::adamw) buf2_ = Tensor::zeros({n}, DType::f32, dev);
  partials_ = Tensor::zeros({1024}, DType::f32, dev);
  hyper_ = Tensor::zeros({int64_t(groups_.size()), int64_t(sizeof(kernels::GroupHyper) / sizeof(float))}, DType::f32,
                         dev);
  for (auto& g : groups_)
    YE_CHECK(g.offset >= 0 && g.offset + g.numel <= n, "parameter group ", g.name, " outside the arena");
}

void Optimizer::step(GradScaler& scaler, float max_norm) {
  prepare();
  enqueue_step(scaler, max_norm);
}

void Optimizer::prepare() {
  steps_++;
  std::vector<kernels::GroupHyper> hyper;
  for (const ParamGroup& g : groups_) {
    if (kind_ == OptimizerKind::sgd)
      hyper.push_back(kernels::sgd_hyper({g.lr, g.momentum, g.weight_decay, nesterov_, steps_ == 1}));
    else
      hyper.push_back(kernels::adamw_hyper({g.lr, g.momentum, beta2_, eps_, g.weight_decay, steps_}));
  }
  // Pageable source: the runtime stages it before returning, so `hyper` may go out of scope.
  ops::copy_from_host_async(hyper_, hyper.data(), hyper.size() * sizeof(kernels::GroupHyper));
}

void Optimizer::enqueue_step(GradScaler& scaler, float max_norm) {
  const Tensor& grads = arena_.grads();
  const Tensor& values = arena_.values();
  Device dev = values.device();
  ops::fill_(scaler.found_inf, 0.0f);
  ops::fill_(scaler.grad_sq_sum, 0.0f);
  kernels::StepControl ctl{f32(scaler.found_inf), f32(scaler.grad_sq_sum), f32(scaler.scale()), max_norm};
#ifdef YE_WITH_CUDA
  cudaStream_t s = dev.is_cuda() ? ops::detail::stream(values) : nullptr;
  const auto* hyper = reinterpret_cast<const kernels::GroupHyper*>(hyper_.data());
#endif
  // One unscale/norm pass over the whole arena (padding between tensors holds zero gradients).
  if (dev.is_cpu()) {
    kernels::cpu::unscale_and_norm(f32(grads), grads.numel(), ctl);
  } else {
#ifdef YE_WITH_CUDA
    kernels::cuda::unscale_and_norm(f32(grads), grads.numel(), ctl, f32(partials_), s);
#endif
  }
  for (size_t gi = 0; gi < groups_.size(); ++gi) {
    const ParamGroup& g = groups_[gi];
    float* w = f32(values) + g.offset;
    const float* gr = f32(grads) + g.offset;
    float* b1 = f32(buf1_) + g.offset;
    if (kind_ == OptimizerKind::sgd) {
      if (dev.is_cpu()) {
        kernels::cpu::sgd_step(w, gr, b1, g.numel, {g.lr, g.momentum, g.weight_decay, nesterov_, steps_ == 1}, ctl);
      } else {
#ifdef YE_WITH_CUDA
        kernels::cuda::sgd_step(w, gr, b1, g.numel, hyper + gi, nesterov_, ctl, s);
#endif
      }
    } else {
      float* b2 = f32(buf2_) + g.offset;
      if (dev.is_cpu()) {
        kernels::cpu::adamw_step(w, gr, b1, b2, g.numel, {g.lr, g.momentum, beta2_, eps_, g.weight_decay, steps_}, ctl);
      } else {
#ifdef YE_WITH_CUDA
        kernels::cuda::adamw_step(w, gr, b1, b2, g.numel, hyper + gi, beta2_, eps_, ctl, s);
#endif
      }
    }
  }
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state_tensors() const {
  std::vector<std::pair<std::string, Tensor>> out{{"optimizer.buf1", buf1_}};
  if (buf2_.defined()) out.push_back({"optimizer.buf2", buf2_});
  return out;
}

ModelEMA::ModelEMA(const Tensor& values, const Tensor& buffers, float decay, float tau)
    : values_(values.clone()),
      buffers_(buffers.defined() ? buffers.clone() : Tensor()),
      decay_device_(Tensor::zeros({1}, DType::f32, values.device())),
      decay_(decay),
      tau_(tau) {}

float ModelEMA::current_decay() const { return decay_ * (1.0f - std::exp(-float(updates) / tau_)); }

void ModelEMA::update(const Tensor& values, const Tensor& buffers) {
  prepare();
  enqueue(values, buffers);
}

void ModelEMA::prepare() {
  updates++;
  prepared_decay_ = current_decay();
  ops::copy_from_host_async(decay_device_, &prepared_decay_, sizeof(float));
}

void ModelEMA::enqueue(const Tensor& values, const Tensor& buffers) {
  auto blend = [this](const Tensor& ema, const Tensor& model) {
    if (!ema.defined()) return;
    YE_CHECK(ema.numel() == model.numel(), "EMA size differs from the model's");
    if (ema.device().is_cpu()) {
      kernels::cpu::ema_update(f32(ema), f32(model), ema.numel(), prepared_decay_);
    } else {
#ifdef YE_WITH_CUDA
      kernels::cuda::ema_update(f32(ema), f32(model), ema.numel(), f32(decay_device_), ops::detail::stream(ema));
#endif
    }
  };
  blend(values_, values);
  blend(buffers_, buffers);
}

}  // namespace ye

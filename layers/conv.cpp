// Conv2d, BatchNorm2d, Conv and DWConv layers (see conv.h).
#include "layers/conv.h"

#include <cmath>
#include <numeric>

#include "engine/dist/sync_batch_norm.h"
#include "engine/ops.h"

namespace ye::layers {

Conv2d::Conv2d(int c1, int c2, int k, int s, int p, int g, bool with_bias) {
  YE_CHECK(c1 % g == 0 && c2 % g == 0, "Conv2d: channels ", c1, " -> ", c2, " not divisible by groups ", g);
  args = {s, p, g};
  weight = register_parameter("weight", Tensor::zeros(Shape{c2, k, k, c1 / g}));
  if (with_bias) bias = register_parameter("bias", Tensor::zeros(Shape{c2}));
}

Tensor Conv2d::forward(const Tensor& x) { return ops::conv2d(x, weight, bias, args); }

void Conv2d::reset_own_parameters(Generator& gen) {
  const float bound = 1.0f / std::sqrt(float(weight.numel() / weight.dim(0)));
  Tensor w = Tensor::empty(weight.shape());
  ops::uniform_(w, -bound, bound, gen);
  ops::copy_(weight, w);
  if (bias.defined()) {
    Tensor b = Tensor::empty(bias.shape());
    ops::uniform_(b, -bound, bound, gen);
    ops::copy_(bias, b);
  }
}

BatchNorm2d::BatchNorm2d(int c, float eps_, float momentum_) : eps(eps_), momentum(momentum_) {
  weight = register_parameter("weight", Tensor::full(Shape{c}, 1.0f));
  bias = register_parameter("bias", Tensor::zeros(Shape{c}));
  running_mean = register_buffer("running_mean", Tensor::zeros(Shape{c}));
  running_var = register_buffer("running_var", Tensor::full(Shape{c}, 1.0f));
  num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros(Shape{}, DType::i32), true);
}

Tensor BatchNorm2d::forward(const Tensor& x) { return forward_act(x, false); }

Tensor BatchNorm2d::forward_act(const Tensor& x, bool silu, const ops::BatchNormFusion& fusion) {
  if (training()) num_batches_tracked.data_as<int32_t>()[0] += 1;
  ops::BatchNormArgs a{training(), momentum, eps, silu};
  if (!(sync && training())) return ops::batch_norm(x, weight, bias, running_mean, running_var, a, fusion);
  Tensor y = dist::sync_batch_norm(x, weight, bias, running_mean, running_var, a, *sync);
  if (fusion.residual.defined()) y = ops::add(fusion.residual, y);
  return fusion.out.defined() ? ops::copy_into(fusion.out, y) : y;
}

void set_sync_batch_norm(Module& root, dist::Communicator* comm) {
  if (auto* bn = dynamic_cast<BatchNorm2d*>(&root)) bn->sync = comm;
  for (auto& child : root.children()) set_sync_batch_norm(*child.second, comm);
}

void BatchNorm2d::reset_own_parameters(Generator&) {
  ops::fill_(weight, 1.0f);
  ops::fill_(bias, 0.0f);
  ops::fill_(running_mean, 0.0f);
  ops::fill_(running_var, 1.0f);
  num_batches_tracked.data_as<int32_t>()[0] = 0;
}

Conv::Conv(int c1, int c2, int k, int s, int g, bool act_) : act(act_) {
  conv = register_module("conv", std::make_shared<Conv2d>(c1, c2, k, s, k / 2, g, false));
  bn = register_module("bn", std::make_shared<BatchNorm2d>(c2));
}

Tensor Conv::forward(const Tensor& x) { return bn->forward_act(conv->forward(x), act); }

Tensor Conv::forward_into(const Tensor& x, const Tensor& out) { return forward_fused(x, Tensor(), out); }

Tensor Conv::forward_fused(const Tensor& x, const Tensor& residual, const Tensor& out) {
  return bn->forward_act(conv->forward(x), act, ops::BatchNormFusion{residual, out});
}

std::shared_ptr<Conv> make_dwconv(int c1, int c2, int k, int s, bool act) {
  return std::make_shared<Conv>(c1, c2, k, s, std::gcd(c1, c2), act);
}

}  // namespace ye::layers

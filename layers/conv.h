// Convolution layers: Conv2d (plain convolution, optional bias: "weight", "bias"), BatchNorm2d
// ("weight", "bias", buffers "running_mean", "running_var", "num_batches_tracked"; eps 1e-3, momentum
// 0.03), Conv (conv + BN + SiLU or identity: "conv.*", "bn.*"; autopad k/2) and DWConv (Conv with
// groups = gcd(c1, c2)). Conv weights are (O, kh, kw, I/groups); activations NHWC.
#pragma once
#include "layers/module.h"

namespace ye::dist {
class Communicator;
}

namespace ye::layers {

class Conv2d : public Module {
 public:
  Conv2d(int c1, int c2, int k = 1, int s = 1, int p = 0, int g = 1, bool bias = true);
  Tensor forward(const Tensor& x) override;
  Tensor weight, bias;  // (c2, k, k, c1/g), (c2) or undefined
  ops::Conv2dArgs args;

 protected:
  // PyTorch default: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in)); bias U(+-1/sqrt(fan_in)).
  void reset_own_parameters(Generator& gen) override;
};

class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int c, float eps = 1e-3f, float momentum = 0.03f);
  Tensor forward(const Tensor& x) override;
  // silu(bn(x)) in one op when silu is set (training or eval per the module flag), plus the fusion's
  // residual, into its out (ops::batch_norm; SyncBN applies them as separate ops).
  Tensor forward_act(const Tensor& x, bool silu, const ops::BatchNormFusion& fusion = {});
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;  // nbt: CPU i32 scalar
  float eps, momentum;
  dist::Communicator* sync = nullptr;  // set: SyncBN over this group in training (dist::sync_batch_norm)

 protected:
  void reset_own_parameters(Generator& gen) override;
};

class Conv : public Module {
 public:
  Conv(int c1, int c2, int k = 1, int s = 1, int g = 1, bool act = true);
  Tensor forward(const Tensor& x) override;
  Tensor forward_into(const Tensor& x, const Tensor& out) override;
  // act(bn(conv(x))) + residual (undefined: none) in the BN pass, into out (undefined: a new tensor).
  Tensor forward_fused(const Tensor& x, const Tensor& residual, const Tensor& out);
  std::shared_ptr<Conv2d> conv;
  std::shared_ptr<BatchNorm2d> bn;
  bool act;
};

// Points every BatchNorm2d under `root` at `comm` (SyncBN) or back to per-process statistics (nullptr).
void set_sync_batch_norm(Module& root, dist::Communicator* comm);

// Depthwise-style Conv: groups = gcd(c1, c2) (fully depthwise when c1 == c2), with BN and SiLU.
std::shared_ptr<Conv> make_dwconv(int c1, int c2, int k = 1, int s = 1, bool act = true);

}  // namespace ye::layers

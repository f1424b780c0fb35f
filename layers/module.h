// Module: the base of every layer. Holds named parameters and buffers (names relative to the module,
// as in the reference's state dict: "cv1.conv.weight", "m.0.cv2.bn.running_var"), child modules, and
// the train/eval flag. Parameters are standalone f32 tensors until the model moves them into a
// ParameterArena (which re-points the same TensorImpl objects, so modules keep working). Sequential
// chains children named "0", "1", ... (the reference's nn.Sequential / nn.ModuleList naming).
// LayerHooks and autograd_marker let a model report each layer's forward and backward (profiling).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/nn_ops.h"

namespace ye::layers {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // Single-input forward (most layers); multi-input layers override forward_many (Concat).
  virtual Tensor forward(const Tensor& x);
  virtual Tensor forward_many(const std::vector<Tensor>& xs);
  // forward(x) written into `out` (a destination of the output's shape without autograd state, e.g. a
  // channel slice of a concat buffer) and returned as the output. Default: forward, then one copy;
  // layers whose last op can write there directly (Conv, Bottleneck) override it.
  virtual Tensor forward_into(const Tensor& x, const Tensor& out);

  // Recursive, in the reference's order (own entries first, then children in registration order).
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  NamedTensors state_dict() const;  // per module: parameters, buffers, then children
  int64_t num_parameters(bool trainable_only = false) const;

  // Copies every entry of `sd` whose name exists here (shapes must match; conv weights in our
  // (O, kh, kw, I) layout). Returns the number copied; strict: every entry here must be present.
  size_t load_state_dict(const std::map<std::string, Tensor>& sd, bool strict = true);

  void train(bool on = true);
  void eval() { train(false); }
  bool training() const { return training_; }

  // Moves parameters, their grads and buffers to `device` in place (the TensorImpl objects stay).
  // Host-only buffers (BN num_batches_tracked) stay on the CPU.
  void to(Device device);

  // Re-initialises every parameter the reference's way (PyTorch defaults + initialize_weights).
  virtual void reset_parameters(Generator& gen);

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

 protected:
  Module() = default;
  Tensor register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  Tensor register_buffer(const std::string& name, Tensor t, bool host_only = false);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }
  // Initialises this module's own parameters (children are handled by reset_parameters).
  virtual void reset_own_parameters(Generator&) {}

 private:
  void collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const;
  NamedTensors params_, buffers_;
  std::vector<std::string> host_only_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Observer of a model's layers (per-layer timing, NVTX ranges). The model calls enter() right before
// layer `index` runs, with its inputs, and leave() right after, with its outputs (Detect: one per
// level). A hook may replace the tensors by autograd_marker()s of them, so that the backward pass
// reports when it reaches the layer's outputs (its backward starts) and its inputs (it has ended).
class LayerHooks {
 public:
  virtual ~LayerHooks() = default;
  virtual void enter(int index, std::vector<Tensor>& inputs) = 0;
  virtual void leave(int index, std::vector<Tensor>& outputs) = 0;
};

// Identity for autograd: a tensor sharing x's storage whose backward calls on_backward() and passes
// the gradient through unchanged. Returns x itself when x records no gradient.
Tensor autograd_marker(const Tensor& x, std::function<void()> on_backward);

// Children "0", "1", ...; forward applies them in order.
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(const std::vector<std::shared_ptr<Module>>& mods);
  void push_back(std::shared_ptr<Module> m);
  size_t size() const { return children().size(); }
  Module& operator[](size_t i) const { return *children()[i].second; }
  Tensor forward(const Tensor& x) override;
};

}  // namespace ye::layers

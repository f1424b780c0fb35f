// Module base and Sequential: registration, recursive naming, state-dict load, train flag, device moves;
// the autograd marker that per-layer hooks put on a layer's inputs and outputs.
#include "layers/module.h"

#include <algorithm>

#include "engine/ops.h"
#include "kernels/error.h"

namespace ye::layers {

Tensor Module::forward(const Tensor&) { YE_FAIL("this module has no single-input forward"); }

Tensor Module::forward_many(const std::vector<Tensor>& xs) {
  YE_CHECK(xs.size() == 1, "this module takes one input, got ", xs.size());
  return forward(xs[0]);
}

Tensor Module::forward_into(const Tensor& x, const Tensor& out) { return ops::copy_into(out, forward(x)); }

Tensor Module::register_parameter(const std::string& name, Tensor t, bool requires_grad) {
  t.set_requires_grad(requires_grad);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t, bool host_only) {
  buffers_.emplace_back(name, t);
  if (host_only) host_only_.push_back(name);
  return t;
}

void Module::collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const {
  if (params)
    for (const auto& [n, t] : params_) out.emplace_back(prefix + n, t);
  if (buffers)
    for (const auto& [n, t] : buffers_) out.emplace_back(prefix + n, t);
  for (const auto& [n, m] : children_) m->collect(prefix + n + ".", params, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out;
  collect("", true, true, out);
  return out;
}

int64_t Module::num_parameters(bool trainable_only) const {
  int64_t n = 0;
  for (const auto& [name, t] : named_parameters())
    if (!trainable_only || t.requires_grad()) n += t.numel();
  return n;
}

size_t Module::load_state_dict(const std::map<std::string, Tensor>& sd, bool strict) {
  size_t copied = 0;
  for (const auto& [name, t] : state_dict()) {
    auto it = sd.find(name);
    if (it == sd.end()) {
      YE_CHECK(!strict, "load_state_dict: missing entry ", name);
      continue;
    }
    YE_CHECK(it->second.shape() == t.shape(), "load_state_dict: ", name, " has shape ", it->second.shape().str(),
             ", expected ", t.shape().str());
    ops::copy_(t, it->second);
    ++copied;
  }
  return copied;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, m] : children_) m->train(on);
}

namespace {
void move_in_place(const Tensor& t, Device device) {
  if (!t.defined() || t.device() == device) return;
  Tensor moved = t.contiguous().to(device);
  TensorImpl* impl = t.impl();
  impl->storage = moved.impl()->storage;
  impl->offset = moved.offset();
  impl->strides = moved.strides();
  Tensor g = t.grad();
  if (g.defined()) t.set_grad(g.to(device));
}
}  // namespace

void Module::to(Device device) {
  for (auto& [n, t] : params_) move_in_place(t, device);
  for (auto& [n, t] : buffers_)
    if (std::find(host_only_.begin(), host_only_.end(), n) == host_only_.end()) move_in_place(t, device);
  for (auto& [n, m] : children_) m->to(device);
}

void Module::reset_parameters(Generator& gen) {
  reset_own_parameters(gen);
  for (auto& [n, m] : children_) m->reset_parameters(gen);
}

Tensor autograd_marker(const Tensor& x, std::function<void()> on_backward) {
  if (!x.defined() || !any_requires_grad({x})) return x;
  Tensor out = x.detach();
  record_op(out, "layer_marker", {x}, [cb = std::move(on_backward)](const Tensor& grad_out) {
    cb();
    return std::vector<Tensor>{grad_out};
  });
  return out;
}

Sequential::Sequential(const std::vector<std::shared_ptr<Module>>& mods) {
  for (auto& m : mods) push_back(m);
}

void Sequential::push_back(std::shared_ptr<Module> m) { register_module(std::to_string(size()), std::move(m)); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [n, m] : children()) y = m->forward(y);
  return y;
}

}  // namespace ye::layers

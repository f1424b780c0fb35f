// Autograd graph recording and the backward pass (topological order by dependency counting).
#include "engine/autograd.h"

#include <unordered_map>

#include "engine/grad_accumulator.h"
#include "engine/leaf_grads.h"
#include "engine/ops.h"

namespace ye {
namespace {
thread_local bool t_grad_enabled = true;
}

bool grad_enabled() { return t_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(t_grad_enabled) { t_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { t_grad_enabled = previous_; }

bool any_requires_grad(std::initializer_list<Tensor> inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!t_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record_op(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward) {
  if (!any_requires_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs.reserve(inputs.size());
  for (const Tensor& t : inputs) {
    Edge e;
    if (t.defined() && t.requires_grad()) {
      auto& meta = t.impl()->autograd;
      if (meta->grad_fn)
        e.node = meta->grad_fn;
      else
        e.leaf = meta;
    }
    node->inputs.push_back(std::move(e));
  }
  node->backward = std::move(backward);
  out.impl()->autograd = std::make_shared<AutogradMeta>();
  out.impl()->autograd->requires_grad = true;
  out.impl()->autograd->grad_fn = std::move(node);
}

void mark_slice_of_input(const Tensor& out, int dim, int64_t start, const Shape& input_shape) {
  const auto& meta = out.impl()->autograd;
  YE_CHECK(meta && meta->grad_fn && meta->grad_fn->inputs.size() == 1, "mark_slice_of_input: ",
           "the output of a recorded one-input op expected");
  meta->grad_fn->slice_of_input = SliceOfInput{dim, start, input_shape};
}

void run_backward(const Tensor& root, const Tensor& grad) {
  YE_CHECK(root.requires_grad(), "backward() on a tensor that does not require grad");
  NoGradGuard no_grad;
  Tensor g = grad;
  if (!g.defined()) {
    YE_CHECK(root.numel() == 1, "backward() without a gradient needs a scalar, got shape ", root.shape().str());
    g = Tensor::full(root.shape(), 1.0f, root.dtype(), root.device());
  }
  auto& meta = *root.impl()->autograd;
  detail::LeafGrads leaf_grads;
  if (!meta.grad_fn) {
    leaf_grads.add(root.impl()->autograd, g);
    leaf_grads.flush();
    if (meta.on_grad_ready) meta.on_grad_ready();
    return;
  }
  // Count, for every reachable node, how many edges point to it (and to leaves with a ready hook).
  std::unordered_map<Node*, int> deps;
  std::unordered_map<AutogradMeta*, int> leaf_deps;
  std::vector<Node*> stack{meta.grad_fn.get()};
  deps[meta.grad_fn.get()] = 0;
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->inputs) {
      if (e.leaf && e.leaf->on_grad_ready) leaf_deps[e.leaf.get()]++;
      if (!e.node) continue;
      auto [it, inserted] = deps.try_emplace(e.node.get(), 0);
      it->second++;
      if (inserted) stack.push_back(e.node.get());
    }
  }
  std::unordered_map<Node*, detail::PendingGrad> grads;
  grads[meta.grad_fn.get()].add(g);
  std::vector<std::shared_ptr<Node>> ready{meta.grad_fn};
  while (!ready.empty()) {
    std::shared_ptr<Node> node = std::move(ready.back());
    ready.pop_back();
    Tensor gout;
    if (auto it = grads.find(node.get()); it != grads.end()) {
      gout = it->second.take();
      grads.erase(it);
    }
    // A slice of a non-leaf input: its gradient goes into that slice of the input's pending gradient.
    const bool as_slice = gout.defined() && node->slice_of_input && node->inputs.size() == 1 && node->inputs[0].node;
    if (gout.defined()) YE_CHECK(node->backward, "backward through the graph a second time (node ", node->name, ")");
    std::vector<Tensor> gin;
    if (gout.defined() && !as_slice) {
      gin = node->backward(gout);
      YE_CHECK(gin.size() == node->inputs.size(), "op ", node->name, " returned ", gin.size(),
               " gradients for ", node->inputs.size(), " inputs");
    }
    node->backward = nullptr;  // releases the saved tensors
    for (size_t i = 0; i < node->inputs.size(); ++i) {
      Edge& e = node->inputs[i];
      Tensor gi = i < gin.size() ? gin[i] : Tensor();
      if (e.leaf && gi.defined()) leaf_grads.add(e.leaf, gi);
      if (e.leaf && e.leaf->on_grad_ready && --leaf_deps[e.leaf.get()] == 0) {
        leaf_grads.flush();
        e.leaf->on_grad_ready();
      }
      if (!e.node) continue;
      Node* next = e.node.get();
      if (as_slice)
        grads[next].add_slice(gout, *node->slice_of_input);
      else if (gi.defined())
        grads[next].add(gi);
      if (--deps[next] == 0) ready.push_back(e.node);
    }
    node->inputs.clear();
  }
  leaf_grads.flush();
}

}  // namespace ye

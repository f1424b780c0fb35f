// Define-by-run autograd. Each op that sees an input requiring grad records a Node holding only what
// its backward needs; backward() orders the recorded nodes topologically from the root and runs them
// in reverse, releasing each node's saved tensors as soon as it has run. Gradients of leaves
// (parameters) accumulate into their .grad until zeroed, so micro-batches can be accumulated.
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <vector>

#include "engine/tensor.h"

namespace ye {

struct Node;
struct Recipe;

struct Edge {
  std::shared_ptr<Node> node;           // produced by an op, or
  std::shared_ptr<AutogradMeta> leaf;   // a leaf that requires grad
};

struct AutogradMeta {
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  // Leaves only: called once per backward pass that reaches this leaf, right after its last
  // contribution of the pass was accumulated into grad (grad is final for the pass; called even when
  // every contribution was undefined). Data-parallel training launches gradient all-reduces from it.
  std::function<void()> on_grad_ready;
  // Set by ops whose output can be rebuilt cheaply (engine/recompute.h).
  std::shared_ptr<const Recipe> recipe;
};

// Given the gradient of the op's output, returns one gradient per recorded input (undefined = none).
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_out)>;

// An op whose input gradient is its output gradient placed at [start, start + length) of `dim` in a
// zero tensor of the input's shape (narrow, split). The engine adds such gradients straight into their
// slice of the input's gradient instead of running `backward` (kept for a leaf input).
struct SliceOfInput {
  int dim = 0;
  int64_t start = 0;
  Shape input_shape;
};

struct Node {
  const char* name = "";
  std::vector<Edge> inputs;
  BackwardFn backward;
  std::optional<SliceOfInput> slice_of_input;
};

bool grad_enabled();

// Evaluation scope: ops inside record nothing.
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any of the inputs requires grad.
bool any_requires_grad(std::initializer_list<Tensor> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Marks `out` as produced by an op named `name` from `inputs` (only when any_requires_grad).
void record_op(Tensor& out, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward);

// Marks `out` (already recorded with one input) as that input's slice, for the engine (SliceOfInput).
void mark_slice_of_input(const Tensor& out, int dim, int64_t start, const Shape& input_shape);

// Runs the backward pass from `root` with initial gradient `grad` (ones for a scalar root when undefined).
void run_backward(const Tensor& root, const Tensor& grad);

}  // namespace ye

// Recomputable saved activations. An op whose output is cheap to rebuild from tensors its own backward
// keeps anyway (batch_norm(+SiLU) from x and the saved statistics; narrow and concat of such outputs)
// attaches a Recipe to the output; an op that needs the output in its backward (conv2d's weight
// gradient) saves a SavedActivation: a weak reference while the output is alive elsewhere, else the
// recipe, so the output's memory is freed after the forward and rebuilt into a temporary in backward.
#pragma once
#include <functional>
#include <memory>

#include "engine/tensor.h"

namespace ye {

// Whether ops attach recipes: YE_RECOMPUTE=0 in the environment turns it off for the process (read
// once); RecomputeGuard overrides it for the current thread (tests and benchmarks compare on/off).
bool recompute_enabled();
// Whether the switch was set explicitly: YE_RECOMPUTE in the environment or a RecomputeGuard active on
// this thread (callers that choose by themselves, like the train step's automatic mode, then follow it).
bool recompute_chosen();
class RecomputeGuard {
 public:
  explicit RecomputeGuard(bool on);
  ~RecomputeGuard();
  RecomputeGuard(const RecomputeGuard&) = delete;
  RecomputeGuard& operator=(const RecomputeGuard&) = delete;

 private:
  int previous_;
};

// How to rebuild one tensor's values: the tensor's storage (weak) and view, and a function producing
// an equal tensor. materialize() returns the live tensor when its storage still exists.
struct Recipe {
  std::weak_ptr<Storage> storage;
  int64_t offset = 0;
  Shape shape, strides;
  DType dtype = DType::f32;
  std::function<Tensor()> rebuild;
  Tensor materialize() const;
};
using RecipePtr = std::shared_ptr<const Recipe>;

// The recipe attached to `t` (null when none or recompute is off).
RecipePtr recipe_of(const Tensor& t);
// Attaches a recipe for `out` (which must carry autograd state) when recompute is on.
void attach_recipe(const Tensor& out, std::function<Tensor()> rebuild);

// A tensor saved for backward: the tensor itself, or (recompute on and `t` has a recipe) its recipe.
class SavedActivation {
 public:
  SavedActivation() = default;
  explicit SavedActivation(const Tensor& t);
  Tensor get() const;  // the saved values (a temporary when rebuilt)
  bool recomputable() const { return recipe_ != nullptr; }

 private:
  Tensor tensor_;
  RecipePtr recipe_;
};

}  // namespace ye

// Recipes for recomputable activations and the process/thread recompute switch (see recompute.h).
#include "engine/recompute.h"

#include <cstdlib>

#include "engine/autograd.h"

namespace ye {
namespace {
thread_local int t_override = -1;  // -1: the environment's setting

const char* env_setting() {
  static const char* v = std::getenv("YE_RECOMPUTE");
  return v && v[0] ? v : nullptr;
}

bool env_enabled() {
  const char* v = env_setting();
  return !(v && v[0] == '0');
}
}  // namespace

bool recompute_enabled() { return t_override < 0 ? env_enabled() : t_override == 1; }
bool recompute_chosen() { return t_override >= 0 || env_setting() != nullptr; }

RecomputeGuard::RecomputeGuard(bool on) : previous_(t_override) { t_override = on ? 1 : 0; }
RecomputeGuard::~RecomputeGuard() { t_override = previous_; }

Tensor Recipe::materialize() const {
  if (std::shared_ptr<Storage> s = storage.lock()) {
    auto impl = std::make_shared<TensorImpl>();
    impl->storage = std::move(s);
    impl->offset = offset;
    impl->shape = shape;
    impl->strides = strides;
    impl->dtype = dtype;
    return Tensor(impl);
  }
  return rebuild();
}

RecipePtr recipe_of(const Tensor& t) {
  if (!recompute_enabled() || !t.defined() || !t.impl()->autograd) return nullptr;
  return t.impl()->autograd->recipe;
}

void attach_recipe(const Tensor& out, std::function<Tensor()> rebuild) {
  if (!recompute_enabled() || !out.impl()->autograd) return;
  auto r = std::make_shared<Recipe>();
  r->storage = out.impl()->storage;
  r->offset = out.offset();
  r->shape = out.shape();
  r->strides = out.strides();
  r->dtype = out.dtype();
  r->rebuild = std::move(rebuild);
  out.impl()->autograd->recipe = std::move(r);
}

SavedActivation::SavedActivation(const Tensor& t) : recipe_(recipe_of(t)) {
  if (!recipe_) tensor_ = t.detach();
}

Tensor SavedActivation::get() const { return recipe_ ? recipe_->materialize() : tensor_; }

}  // namespace ye

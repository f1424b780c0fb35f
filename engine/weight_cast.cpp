// WeightCastScope (see weight_cast.h): a thread's innermost scope and its view lookup.
#include "engine/weight_cast.h"

namespace ye {
namespace {
thread_local WeightCastScope* t_scope = nullptr;
}  // namespace

WeightCastScope::WeightCastScope(ParameterArena& arena, DType low) : arena_(arena), low_(low), previous_(t_scope) {
  arena_.refresh_low_copy(low_);
  t_scope = this;
}

WeightCastScope::~WeightCastScope() { t_scope = previous_; }

Tensor WeightCastScope::lookup(const Tensor& param, DType dtype) {
  const WeightCastScope* s = t_scope;
  if (!s || dtype != s->low_) return Tensor();
  const ParameterArena::Entry* e = s->arena_.find(param.impl());
  if (!e) return Tensor();
  return s->arena_.low_copy(dtype).narrow_view(0, e->offset, e->numel).reshape_view(param.shape());
}

}  // namespace ye

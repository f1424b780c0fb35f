// One low-precision copy of the weights per forward: while a WeightCastScope is alive on a thread,
// ops::cast of a parameter of its arena to the scope's dtype returns a view of the arena's low copy
// (filled by one cast kernel when the scope opens) instead of casting that weight on its own. Same
// conversion, so results are bitwise those of the per-weight casts; gradients flow as through ops::cast.
#pragma once
#include "engine/param_arena.h"

namespace ye {

class WeightCastScope {
 public:
  WeightCastScope(ParameterArena& arena, DType low);  // enqueues the arena-wide cast
  ~WeightCastScope();
  WeightCastScope(const WeightCastScope&) = delete;
  WeightCastScope& operator=(const WeightCastScope&) = delete;

  // A fresh view of the low copy holding `param` cast to `dtype` when this thread's innermost scope
  // covers it (an arena parameter, the scope's dtype), else undefined.
  static Tensor lookup(const Tensor& param, DType dtype);

 private:
  ParameterArena& arena_;
  DType low_;
  WeightCastScope* previous_;
};

}  // namespace ye

// The parameter gradients of one backward pass. On CUDA, contributions to an f32 grad wait in a batch
// and go in with one launch per kernels::cuda::kAxpyBatch of them (one launch each cost ~3 us, 184 per
// yolov8s step); the rest (the CPU, a first contribution, other dtypes) is added at once; YE_GRAD_BATCH=0
// adds everything at once. Internal to the autograd engine.
#pragma once
#include <memory>
#include <vector>

#include "engine/autograd.h"

namespace ye::detail {

class LeafGrads {
 public:
  void add(const std::shared_ptr<AutogradMeta>& leaf, const Tensor& g);
  // Adds what waits; before a leaf's ready hook runs and at the end of the pass.
  void flush();

 private:
  static bool batchable(const Tensor& grad, const Tensor& g);
  struct Item {
    std::shared_ptr<AutogradMeta> leaf;  // held: a leaf may be reachable through the graph alone
    Tensor grad, g;                      // grad += g
  };
  std::vector<Item> pending_;
};

}  // namespace ye::detail

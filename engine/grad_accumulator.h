// The backward pass's pending gradient of one node: whole-tensor contributions summed as they arrive
// (in place once the sum is a tensor nobody else holds), slice contributions (narrow, split) kept until
// the node runs and then added into their slice of the sum, or copied into an uninitialised tensor
// when the slices tile it (no zero fill, no full-size add). Internal to the autograd engine.
#pragma once
#include <vector>

#include "engine/autograd.h"

namespace ye::detail {

class PendingGrad {
 public:
  void add(const Tensor& g);
  void add_slice(const Tensor& g, const SliceOfInput& where);
  // The node's gradient (undefined when nothing arrived); leaves the pending state empty.
  Tensor take();

 private:
  struct Slice {
    Tensor g;
    SliceOfInput where;
  };
  enum class Layout { tiling, disjoint, overlapping };  // of the slices within the node's shape
  static Layout layout_of(const std::vector<Slice>& slices, const Shape& shape);

  Tensor sum_;
  std::vector<Slice> slices_;
};

}  // namespace ye::detail

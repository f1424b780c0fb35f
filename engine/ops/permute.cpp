// permute: a contiguous copy of x with its dimensions reordered (strided view + copy_), backward by the
// inverse permutation. Used for weight layout conversions and the attention head layout.
#include "engine/nn_ops.h"
#include "engine/ops/dispatch.h"

namespace ye::ops {

Tensor permute(const Tensor& x, const std::vector<int>& perm) {
  YE_CHECK(int(perm.size()) == x.ndim(), "permute of ", x.shape().str(), " needs ", x.ndim(), " dims, got ",
           perm.size());
  std::vector<int> inverse(perm.size(), -1);
  auto view = std::make_shared<TensorImpl>(*x.impl());
  view->autograd = nullptr;
  for (size_t i = 0; i < perm.size(); ++i) {
    int p = perm[i];
    YE_CHECK(p >= 0 && p < x.ndim() && inverse[size_t(p)] < 0, "permute: invalid permutation of ", x.ndim(), " dims");
    inverse[size_t(p)] = int(i);
    view->shape.d[i] = x.dim(p);
    view->strides.d[i] = x.strides()[p];
  }
  Tensor out = Tensor(view).contiguous();
  if (out.same_storage(x)) out = out.clone();
  if (any_requires_grad({x}))
    record_op(out, "permute", {x}, [inverse](const Tensor& g) -> std::vector<Tensor> { return {permute(g, inverse)}; });
  return out;
}

}  // namespace ye::ops

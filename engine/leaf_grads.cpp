// LeafGrads (see leaf_grads.h): immediate or batched accumulation of leaf gradients; a batch goes to
// kernels::cuda::axpy_batch on the compute stream of its device.
#include "engine/leaf_grads.h"

#include <algorithm>
#include <cstdlib>

#include "engine/ops.h"
#ifdef YE_WITH_CUDA
#include "engine/ops/dispatch.h"
#include "kernels/cuda/elementwise_cuda.h"
#endif

namespace ye::detail {

bool LeafGrads::batchable(const Tensor& grad, const Tensor& g) {
  const char* mode = std::getenv("YE_GRAD_BATCH");  // =0: one add per contribution (A/B)
  return !(mode && mode[0] == '0') && grad.device().is_cuda() && grad.dtype() == DType::f32 &&
         grad.is_contiguous() && g.device() == grad.device() && g.is_contiguous() && dtype_is_float(g.dtype());
}

void LeafGrads::add(const std::shared_ptr<AutogradMeta>& leaf, const Tensor& g) {
  if (!leaf->grad.defined()) {
    leaf->grad = g.clone();
    return;
  }
  YE_CHECK(leaf->grad.shape() == g.shape(), "gradient shape ", g.shape().str(), " does not match leaf grad ",
           leaf->grad.shape().str());
  // A second contribution to one grad in the same launch would race; another device needs its own.
  const bool waiting = std::any_of(pending_.begin(), pending_.end(), [&](const Item& i) { return i.leaf == leaf; });
  if (waiting || (!pending_.empty() && pending_.front().g.device() != g.device())) flush();
  if (batchable(leaf->grad, g))
    pending_.push_back({leaf, leaf->grad, g});
  else
    ops::add_(leaf->grad, g);  // converts a low-precision gradient while accumulating
}

void LeafGrads::flush() {
  if (pending_.empty()) return;
#ifdef YE_WITH_CUDA
  std::vector<kernels::cuda::AxpyItem> items;
  items.reserve(pending_.size());
  for (const Item& i : pending_) items.push_back({i.g.data(), i.grad.data_as<float>(), i.g.numel(), i.g.dtype()});
  kernels::cuda::axpy_batch(items.data(), int(items.size()), ops::detail::stream(pending_.front().g));
#endif
  pending_.clear();
}

}  // namespace ye::detail

// Batched parameter-gradient accumulation on CUDA (engine/leaf_grads.h): hundreds of leaves with f32
// grads take f32 and f16/bf16 contributions, some twice, one with a ready hook, and end bitwise equal to
// the CPU's one add per contribution.
#include "common/harness.h"
#include "engine/ops.h"

using namespace ye;

namespace {
struct Graph {
  std::vector<Tensor> leaves, ups;
};

// 300 leaves (three batch launches) of 1..4099 elements; leaf i feeds the loss through a cast to a low
// dtype for i % 3 != 0 (a low-precision contribution) and a second time for i % 7 == 0.
Tensor loss_of(const Graph& g) {
  Tensor loss;
  for (size_t i = 0; i < g.leaves.size(); ++i) {
    const Tensor& w = g.leaves[i];
    Tensor v = i % 3 == 0 ? w : ops::cast(ops::cast(w, i % 3 == 1 ? DType::f16 : DType::bf16), DType::f32);
    Tensor term = ops::sum(ops::mul(v, g.ups[i]));
    if (i % 7 == 0) term = ops::add(term, ops::sum(ops::mul_scalar(w, 0.25f)));
    loss = loss.defined() ? ops::add(loss, term) : term;
  }
  return loss;
}
}  // namespace

TEST_CASE("leaf gradients added in batches on CUDA equal the CPU's one add per contribution") {
  if (!test::cuda_present()) return;
  Graph cpu, gpu;
  for (int i = 0; i < 300; ++i) {
    const Shape s{int64_t(1 + (i * 37) % 4099)};
    Tensor w = test::random_uniform(s, test::fresh_seed()), up = test::random_uniform(s, test::fresh_seed());
    Tensor g0 = test::random_uniform(s, test::fresh_seed());
    cpu.leaves.push_back(w.clone().set_requires_grad(true));
    cpu.leaves.back().set_grad(g0.clone());
    cpu.ups.push_back(up);
    gpu.leaves.push_back(w.to(Device::cuda(0)).set_requires_grad(true));
    gpu.leaves.back().set_grad(g0.to(Device::cuda(0)));
    gpu.ups.push_back(up.to(Device::cuda(0)));
  }
  std::vector<float> at_hook;
  gpu.leaves[5].impl()->autograd->on_grad_ready = [&] { at_hook = gpu.leaves[5].grad().to(Device::cpu()).to_vector(); };
  loss_of(cpu).backward();
  loss_of(gpu).backward();
  for (size_t i = 0; i < cpu.leaves.size(); ++i) {
    INFO("leaf ", i);
    CHECK(gpu.leaves[i].grad().dtype() == DType::f32);
    CHECK(gpu.leaves[i].grad().to(Device::cpu()).to_vector() == cpu.leaves[i].grad().to_vector());
  }
  CHECK(at_hook == cpu.leaves[5].grad().to_vector());  // the hook saw the final gradient
}

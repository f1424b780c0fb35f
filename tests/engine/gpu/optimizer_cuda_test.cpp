// Optimizer, loss scaler and EMA on CUDA against the CPU: same arena, same gradients, several steps
// including one with a non-finite gradient (skipped on the device, no host sync), f32 state.
#include <cmath>

#include "common/harness.h"
#include "engine/optimizer.h"

using namespace ye;

namespace {
struct Setup {
  std::vector<Tensor> params;
  ParameterArena arena;
  Setup(Device dev, uint64_t seed) {
    std::vector<std::pair<std::string, Tensor>> named;
    int64_t sizes[] = {1000, 37, 4096};
    for (int i = 0; i < 3; ++i) {
      params.push_back(test::random_uniform({sizes[i]}, seed + uint64_t(i)));
      named.push_back({"p" + std::to_string(i), params.back()});
    }
    arena.adopt(named, dev);
  }
  std::vector<ParamGroup> groups() const {
    std::vector<ParamGroup> gs;
    for (int i = 0; i < 3; ++i) {
      ParamGroup g;
      g.offset = arena.entries()[size_t(i)].offset;
      g.numel = arena.entries()[size_t(i)].numel;
      g.lr = 0.01f * float(i + 1);
      g.momentum = 0.937f;
      g.weight_decay = i == 1 ? 5e-4f : 0.0f;
      gs.push_back(g);
    }
    return gs;
  }
};

void run(OptimizerKind kind) {
  uint64_t seed = test::fresh_seed();
  Setup cpu(Device::cpu(), seed), gpu(Device::cuda(0), seed);
  Optimizer oc(kind, cpu.arena, cpu.groups()), og(kind, gpu.arena, gpu.groups());
  GradScaler sc(Device::cpu(), true, 1024.0f, 2.0f, 0.5f, 2), sg(Device::cuda(0), true, 1024.0f, 2.0f, 0.5f, 2);
  ModelEMA ec(cpu.arena.values(), Tensor()), eg(gpu.arena.values(), Tensor());
  for (int step = 0; step < 5; ++step) {
    Tensor g = test::random_uniform({cpu.arena.total()}, seed + 100 + uint64_t(step), -500.0f, 500.0f);
    if (step == 2) ops::fill_(g.narrow_view(0, 5, 1), std::nanf(""));
    ops::copy_(cpu.arena.grads(), g);
    ops::copy_(gpu.arena.grads(), g);
    oc.step(sc, 10.0f);
    og.step(sg, 10.0f);
    sc.update();
    sg.update();
    ec.update(cpu.arena.values(), Tensor());
    eg.update(gpu.arena.values(), Tensor());
  }
  CHECK(sg.skipped_steps() == 1);
  CHECK(sg.scale_value() == sc.scale_value());
  test::check_close(gpu.arena.values(), cpu.arena.values(), 1e-6, 1e-5, "parameters after 5 steps");
  test::check_close(eg.values(), ec.values(), 1e-6, 1e-5, "EMA after 5 steps");
}
}  // namespace

TEST_CASE("SGD on CUDA matches the CPU, including a skipped non-finite step") { run(OptimizerKind::sgd); }
TEST_CASE("AdamW on CUDA matches the CPU, including a skipped non-finite step") { run(OptimizerKind::adamw); }

// Recomputed BN+SiLU activations (engine/recompute.h) on CUDA: TrainStep rigs with recompute on and off
// run the same micro-batches, eager and recorded into CUDA graphs, f16 with loss scaling and f32;
// losses, weights, BN buffers and EMA must be bitwise equal, and the memory held must be lower with it.
// The automatic mode (no RecomputeGuard) runs the first step with recompute and, with the card's memory
// free for a small model, the rest without, with the same bitwise results.
#include <doctest/doctest.h>

#include "engine/allocator.h"
#include "engine/ops.h"
#include "engine/recompute.h"
#include "train/train_step_rig.h"

using namespace ye;

namespace {

// Runs one micro-batch with recompute on or off; returns the step's peak of live bytes above its start.
size_t run_one(test::StepRig& rig, const test::RigBatch& b, bool step, bool recompute, Tensor& loss) {
  const Device dev = Device::cuda(0);
  RecomputeGuard guard(recompute);
  ops::synchronize(dev);
  const size_t base = allocator_stats(dev).bytes_in_use;
  allocator_reset_peak(dev);
  loss = rig.step->run(b.view(), step).clone();
  ops::synchronize(dev);
  return allocator_stats(dev).peak_bytes_in_use - base;
}

void run_pair(DType dtype, bool graphs) {
  const Device dev = Device::cuda(0);
  test::StepRig on(dev, dtype, graphs), off(dev, dtype, graphs);
  const int size = 128;
  size_t peak_on = 0, peak_off = 0;
  for (int i = 0; i < 7; ++i) {
    const test::RigBatch b = test::random_batch(4, size, 4, 40 + uint32_t(i));
    const bool step = i % 3 != 0;
    Tensor lon, loff;
    peak_on = run_one(on, b, step, true, lon);
    peak_off = run_one(off, b, step, false, loff);
    INFO("micro-batch ", i);
    CHECK(test::bitwise_equal(lon, loff));
  }
  ops::synchronize(dev);
  CHECK(test::bitwise_equal(on.model->parameters().values(), off.model->parameters().values()));
  CHECK(test::bitwise_equal(on.model->buffers().values(), off.model->buffers().values()));
  CHECK(test::bitwise_equal(on.ema->values(), off.ema->values()));
  CHECK(on.scaler->scale_value() == off.scaler->scale_value());
  const yolo::TrainStepStats &son = on.step->stats(), &soff = off.step->stats();
  MESSAGE("graphs ", graphs, ": eager peak on ", peak_on, " off ", peak_off, "; graph bytes on ", son.graph_bytes,
          " off ", soff.graph_bytes);
  if (graphs) {
    CHECK(son.disabled_reason.empty());
    CHECK(son.graph_steps > 0);
    CHECK(son.graph_bytes < soff.graph_bytes);
  } else {
    CHECK(double(peak_on) < 0.8 * double(peak_off));
  }
}

}  // namespace

TEST_CASE("CUDA TrainStep with recompute equals it without, eager, f16 and f32") {
  run_pair(DType::f16, false);
  run_pair(DType::f32, false);
}

TEST_CASE("CUDA TrainStep with recompute equals it without inside captured graphs, f16 and f32") {
  run_pair(DType::f16, true);
  run_pair(DType::f32, true);
}

TEST_CASE("CUDA TrainStep's automatic recompute: on for the first step, then off with room, same results") {
  if (recompute_chosen()) {
    MESSAGE("YE_RECOMPUTE is set in the environment: the automatic mode follows it");
    return;
  }
  const Device dev = Device::cuda(0);
  test::StepRig automatic(dev, DType::f16, true), on(dev, DType::f16, true);
  for (int i = 0; i < 5; ++i) {
    const test::RigBatch b = test::random_batch(4, 128, 4, 60 + uint32_t(i));
    Tensor la = automatic.step->run(b.view(), true).clone();
    Tensor lo;
    {
      RecomputeGuard guard(true);
      lo = on.step->run(b.view(), true).clone();
    }
    INFO("micro-batch ", i, ": ", automatic.step->stats().recompute_reason);
    CHECK(test::bitwise_equal(la, lo));
    if (i == 0) CHECK(automatic.step->stats().recompute_reason.rfind("off (automatic: ", 0) == 0);
    CHECK(automatic.step->stats().recompute == (i == 0));
  }
  ops::synchronize(dev);
  CHECK(automatic.step->stats().graph_steps > 0);
  CHECK(test::bitwise_equal(automatic.model->parameters().values(), on.model->parameters().values()));
  CHECK(test::bitwise_equal(automatic.ema->values(), on.ema->values()));
}

// Recomputed activations (engine/recompute.h) in a whole CPU train step of a small yolov8n: losses,
// gradients and weights after SGD steps are bitwise equal with recompute on and off, and the peak of
// live tensor bytes during the step drops by more than a third (measured 45%).
#include <doctest/doctest.h>

#include "engine/allocator.h"
#include "engine/recompute.h"
#include "train/train_step_rig.h"

using namespace ye;

namespace {

// One micro-batch through TrainStep with recompute on or off; the peak of live CPU tensor bytes.
size_t run_step(test::StepRig& rig, const test::RigBatch& batch, bool step, bool recompute, Tensor& loss) {
  RecomputeGuard guard(recompute);
  const size_t base = host_allocator_stats().bytes_in_use;
  host_allocator_reset_peak();
  loss = rig.step->run(batch.view(), step).clone();
  return host_allocator_stats().peak_bytes_in_use - base;
}
}  // namespace

TEST_CASE("TrainStep with recomputed BN+SiLU outputs equals it without, bitwise, with less peak memory") {
  const Device cpu = Device::cpu();
  test::StepRig on(cpu, DType::f32, false), off(cpu, DType::f32, false);
  const int size = 96;
  size_t peak_on = 0, peak_off = 0;
  for (int it = 0; it < 3; ++it) {
    CAPTURE(it);
    const test::RigBatch batch = test::random_batch(2, size, 4, 300 + uint32_t(it));
    const bool step = it != 0;
    Tensor loss_on, loss_off;
    peak_on = run_step(on, batch, step, true, loss_on);
    peak_off = run_step(off, batch, step, false, loss_off);
    CHECK(test::bitwise_equal(loss_on, loss_off));
    if (!step) CHECK(test::bitwise_equal(on.model->parameters().grads(), off.model->parameters().grads()));
  }
  CHECK(test::bitwise_equal(on.model->parameters().values(), off.model->parameters().values()));
  CHECK(test::bitwise_equal(on.model->buffers().values(), off.model->buffers().values()));
  CHECK(test::bitwise_equal(on.ema->values(), off.ema->values()));
  MESSAGE("peak live tensor bytes of a yolov8n step, batch 2, ", size, "px f32: recompute on ", peak_on,
          ", off ", peak_off);
  CHECK(double(peak_on) < 0.65 * double(peak_off));  // measured 0.55
}

TEST_CASE("TrainStep's recompute mode: the caller's setting, a RecomputeGuard, and the CPU's automatic choice") {
  const Device cpu = Device::cpu();
  const test::RigBatch batch = test::random_batch(2, 64, 4, 310);
  test::StepRig forced_off(cpu, DType::f32, false, 4, "yolov8n", yolo::RecomputeMode::off);
  {
    RecomputeGuard guard(true);  // the part's explicit mode wins over the thread's switch
    forced_off.step->run(batch.view(), true);
  }
  CHECK_FALSE(forced_off.step->stats().recompute);
  CHECK(forced_off.step->stats().recompute_reason == "off (set by the caller)");

  test::StepRig guarded(cpu, DType::f32, false);
  {
    RecomputeGuard guard(false);
    guarded.step->run(batch.view(), true);
  }
  CHECK_FALSE(guarded.step->stats().recompute);
  CHECK(guarded.step->stats().recompute_reason == "off (YE_RECOMPUTE or a RecomputeGuard)");

  if (recompute_chosen()) {
    MESSAGE("YE_RECOMPUTE is set in the environment: the automatic case is not checked");
    return;
  }
  test::StepRig automatic(cpu, DType::f32, false);
  automatic.step->run(batch.view(), true);
  CHECK(automatic.step->stats().recompute);  // host memory: always on
  CHECK(automatic.step->stats().recompute_reason == "on (automatic: host memory)");
}

// TrainStep on the CPU: the same micro-batches through TrainStep and through the plain sequence
// (upload, forward, loss, backward, SGD step, scaler, zero_grad, EMA) give bitwise-equal weights,
// EMA and losses, with gradient accumulation; the padded-target helpers the CUDA graphs rely on.
#include <doctest/doctest.h>

#include "engine/ops.h"
#include "train/train_step_rig.h"

using namespace ye;

TEST_CASE("pad_target_rows keeps the rows, marks padding with image -1 and refuses what does not fit") {
  const std::vector<float> rows = {0, 1, 0.5f, 0.5f, 0.2f, 0.2f, 1, 2, 0.3f, 0.3f, 0.1f, 0.1f,
                                   1, 0, 0.6f, 0.6f, 0.2f, 0.3f};
  CHECK(yolo::max_boxes_per_image(rows.data(), 3, 2) == 2);
  CHECK(yolo::max_boxes_per_image(rows.data(), 0, 2) == 1);
  std::vector<float> out;
  REQUIRE(yolo::pad_target_rows(rows.data(), 3, 2, 5, 2, out));
  REQUIRE(out.size() == 30);
  CHECK(std::equal(rows.begin(), rows.end(), out.begin()));
  CHECK(out[18] == -1.0f);
  CHECK(out[24] == -1.0f);
  CHECK_FALSE(yolo::pad_target_rows(rows.data(), 3, 2, 2, 2, out));  // more rows than capacity
  CHECK_FALSE(yolo::pad_target_rows(rows.data(), 3, 2, 8, 1, out));  // image 1 has 2 boxes > M = 1
  CHECK_THROWS_WITH_AS(yolo::max_boxes_per_image(rows.data(), 3, 1), doctest::Contains("names image 1"), Error);
}

TEST_CASE("TrainStep on the CPU equals the plain step sequence bitwise, with accumulation") {
  const Device cpu = Device::cpu();
  test::StepRig a(cpu, DType::f32, true), b(cpu, DType::f32, true);
  const int size = 64;
  for (int it = 0; it < 4; ++it) {
    const test::RigBatch batch = test::random_batch(2, size, 4, 100 + uint32_t(it));
    const bool step = it % 2 == 1;
    const Tensor& la = a.step->run(batch.view(), step);

    Tensor input = yolo::images_to_input(batch.images.data(), 2, size, size, cpu, DType::f32);
    Tensor targets = Tensor::from_vector(batch.targets, {int64_t(batch.targets.size() / 6), 6});
    yolo::DetectOutput out = b.model->forward(input);
    yolo::LossResult lb = (*b.loss)(out.feats, targets, size, size);
    b.scaler->scale_loss(lb.total).backward();
    if (step) {
      b.opt->step(*b.scaler, 10.0f);
      b.scaler->update();
      b.model->parameters().zero_grad();
      b.ema->update(b.model->parameters().values(), b.model->buffers().values());
    }
    CHECK(test::bitwise_equal(la, lb.components));
  }
  CHECK(test::bitwise_equal(a.model->parameters().values(), b.model->parameters().values()));
  CHECK(test::bitwise_equal(a.model->buffers().values(), b.model->buffers().values()));
  CHECK(test::bitwise_equal(a.ema->values(), b.ema->values()));
  CHECK(a.opt->steps() == 2);
  CHECK(a.step->stats().eager_steps == 4);
  CHECK(a.step->stats().graph_steps == 0);
  CHECK(a.step->stats().disabled_reason == "not a CUDA device");
}

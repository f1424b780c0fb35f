// CUDA-graph train steps against eager ones: two identical rigs run the same micro-batches, one always
// eager, one recording and replaying graphs; weights, BN buffers, EMA, loss scale and per-step losses
// must be bitwise equal, through gradient accumulation, a shape change (a last partial batch: eager, the
// graph kept for the batches after it) and a batch with more boxes than the padded capacity (re-records),
// for f16 with loss scaling and f32.
#include <doctest/doctest.h>

#include "engine/allocator.h"
#include "engine/ops.h"
#include "train/train_step_rig.h"

using namespace ye;

namespace {

void run_pair(DType dtype, const std::string& model) {
  const Device dev = Device::cuda(0);
  test::StepRig eager(dev, dtype, false, 4, model), graph(dev, dtype, true, 4, model);
  const int size = 128;
  std::vector<test::RigBatch> batches;
  for (int i = 0; i < 10; ++i) batches.push_back(test::random_batch(4, size, 4, 7 + uint32_t(i)));
  batches[6] = test::random_batch(3, size, 4, 99);        // a partial batch: eager, the graph kept
  batches[8] = test::random_batch(4, size, 4, 98, 50);    // up to 50 boxes in one image: > 32
  for (size_t i = 0; i < batches.size(); ++i) {
    const bool step = i % 3 != 0;  // accumulation: every third micro-batch only adds gradients
    Tensor le = eager.step->run(batches[i].view(), step).clone();
    Tensor lg = graph.step->run(batches[i].view(), step).clone();
    INFO("micro-batch ", i, " losses ", le.to_vector()[3], " vs ", lg.to_vector()[3]);
    CHECK(test::bitwise_equal(le, lg));
  }
  // Replays after the last re-recording must still match.
  for (int i = 0; i < 3; ++i) {
    eager.step->run(batches[9].view(), true);
    graph.step->run(batches[9].view(), true);
  }
  ops::synchronize(dev);
  const yolo::TrainStepStats& s = graph.step->stats();
  INFO("graph steps ", s.graph_steps, ", eager ", s.eager_steps, ", captures ", s.captures, ", reason '",
       s.disabled_reason, "'");
  CHECK(s.disabled_reason.empty());
  // 0-1 warm up, 2 records, 2-5 replay; 6 (new shape) runs eagerly, 7 (shape back) replays the kept
  // graph; 8 (capacity 32 -> 64) drops it and runs eagerly, 9 warms, the extra steps record once more
  // and replay.
  CHECK(s.captures == 2);
  CHECK(s.recaptures == 1);
  CHECK(s.graph_steps == 8);
  CHECK(s.eager_steps == 5);
  CHECK(s.graph_nodes > 100);
  CHECK(graph.step->box_capacity() == 64);
  CHECK(eager.step->stats().graph_steps == 0);
  CHECK(test::bitwise_equal(eager.model->parameters().values(), graph.model->parameters().values()));
  CHECK(test::bitwise_equal(eager.model->buffers().values(), graph.model->buffers().values()));
  CHECK(test::bitwise_equal(eager.ema->values(), graph.ema->values()));
  CHECK(eager.scaler->scale_value() == graph.scaler->scale_value());
  const std::vector<Tensor> ce = eager.model->batch_counters(), cg = graph.model->batch_counters();
  REQUIRE(ce.size() == cg.size());
  REQUIRE(!ce.empty());
  for (size_t i = 0; i < ce.size(); ++i) CHECK(ce[i].data_as<int32_t>()[0] == cg[i].data_as<int32_t>()[0]);
  CHECK(ce[0].data_as<int32_t>()[0] == int32_t(batches.size() + 3));
  // And the steps did train: weights moved away from the initial ones.
  test::StepRig fresh(dev, dtype, false, 4, model);
  CHECK_FALSE(test::bitwise_equal(fresh.model->parameters().values(), graph.model->parameters().values()));
}

}  // namespace

TEST_CASE("CUDA-graph train steps equal eager steps bitwise: yolov8n f16 with loss scaling") {
  run_pair(DType::f16, "yolov8n");
}

TEST_CASE("CUDA-graph train steps equal eager steps bitwise: yolo11n f32 (attention, cuBLAS)") {
  run_pair(DType::f32, "yolo11n");
}

TEST_CASE("a graph's memory pool is handed back when the graph is dropped") {
  const Device dev = Device::cuda(0);
  size_t before = 0;
  {
    test::StepRig rig(dev, DType::f16, true);
    const test::RigBatch b = test::random_batch(2, 96, 4, 5);
    for (int i = 0; i < 4; ++i) rig.step->run(b.view(), true);
    ops::synchronize(dev);
    REQUIRE(rig.step->stats().graph_steps == 2);
    CHECK(rig.step->stats().graph_bytes > 0);
    before = allocator_stats(dev).bytes_in_use;
  }
  // The rig (and its graphs) are gone: their pool's blocks are back in the shared cache.
  CHECK(allocator_stats(dev).bytes_in_use < before);
}

// Google Benchmark of the CPU detection loss (the reference twin): target grouping + task-aligned assigner
// + losses + backward at 640x640 (8400 anchors), 80 classes, batch 16/64, ~8 boxes per image on average
// with one image in 32 holding 100. Single-threaded f32 in, double maths.
#include <benchmark/benchmark.h>

#include <vector>

#include "kernels/det_loss.h"
#include "tests/loss/loss_golden.h"

namespace {

using namespace ye::kernels;

void BM_det_loss_cpu(benchmark::State& state) {
  const int batch = int(state.range(0));
  std::vector<int> counts(batch);
  for (int b = 0; b < batch; ++b) counts[b] = b % 32 == 0 ? 100 : int((3 + 7919u * b) % 11u);
  const auto c = ye::test::loss::random_case(42, batch, 640, 640, 80, 100, &counts);
  std::vector<float> gd(c.distri.size()), gs(c.scores.size());
  float loss[4];
  DetLossInputs in;
  in.pred_distri = c.distri.data();
  in.pred_scores = c.scores.data();
  in.anchors = c.anchors.data();
  in.strides = c.strides.data();
  in.targets = c.targets.data();
  in.num_targets = c.num_targets;
  DetLossOutputs out;
  out.loss = loss;
  out.grad_distri = gd.data();
  out.grad_scores = gs.data();
  for (auto _ : state) {
    cpu::det_loss(c.shape, {}, in, out);
    benchmark::DoNotOptimize(loss[3]);
  }
  state.counters["targets"] = c.num_targets;
}

BENCHMARK(BM_det_loss_cpu)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

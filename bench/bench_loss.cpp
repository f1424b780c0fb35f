// Assigner + loss family: target grouping, task-aligned assigner, CIoU/DFL/BCE losses and their
// gradients in one call, at 640x640 (bench/common/loss_inputs.h). CPU rows: the reference twin
// (kernels/det_loss.h, one thread, double maths); CUDA rows (bench/cuda/bench_loss_cuda.cpp):
// cuda::det_loss with f32 and bf16 logits. GB/s counts logits read and gradients written once.
#include "bench/common/harness.h"
#include "bench/common/loss_inputs.h"
#include "kernels/det_loss.h"

namespace ye::bench {
void register_loss_cuda(const Options& opt);

namespace {
void register_loss_cpu(const Options& opt) {
  for (int batch : opt.short_mode ? std::vector<int>{1} : std::vector<int>{16, 64})
    add_row("loss/cpu/f32/assign_loss_grad/b" + std::to_string(batch), [=](benchmark::State& st) {
      const auto c = loss_case(batch);
      std::vector<float> gd(c.distri.size()), gs(c.scores.size());
      float loss[4];
      kernels::DetLossInputs in;
      in.pred_distri = c.distri.data();
      in.pred_scores = c.scores.data();
      in.anchors = c.anchors.data();
      in.strides = c.strides.data();
      in.targets = c.targets.data();
      in.num_targets = c.num_targets;
      kernels::DetLossOutputs out;
      out.loss = loss;
      out.grad_distri = gd.data();
      out.grad_scores = gs.data();
      const double s = time_cpu(st, [&] { kernels::cpu::det_loss(c.shape, {}, in, out); });
      report(st, opt.ceilings, {Where::cpu, Work::bytes, loss_bytes(c, 4)}, s,
             std::to_string(c.num_targets) + " targets");
    });
}
}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
#ifdef YE_WITH_CUDA
  return ye::bench::run_suite(argc, argv, ye::bench::register_loss_cpu, ye::bench::register_loss_cuda);
#else
  return ye::bench::run_suite(argc, argv, ye::bench::register_loss_cpu, nullptr);
#endif
}

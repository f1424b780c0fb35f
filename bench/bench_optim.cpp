// Optimizer / EMA family over the parameter arena (bench/common/optim_cases.h). CPU rows: the reference
// twins of kernels/optim.h; CUDA rows (bench/cuda/bench_optim_cuda.cpp): kernels/cuda/optim_cuda.h,
// each one pass over the arena. GB/s counts every f32 array read or written once.
#include "bench/common/harness.h"
#include "bench/common/optim_cases.h"

namespace ye::bench {
void register_optim_cuda(const Options& opt);

// One pass of `op` on host arrays (also the CPU reference of the CUDA rows).
void optim_cpu_step(OptimOp op, std::vector<std::vector<float>>& a, ControlValues& cv) {
  const int64_t n = int64_t(a[0].size());
  const kernels::StepControl ctl{&cv.found_inf, &cv.grad_sq_sum, &cv.loss_scale, kMaxNorm};
  switch (op) {
    case OptimOp::unscale_norm: kernels::cpu::unscale_and_norm(a[1].data(), n, ctl); break;
    case OptimOp::sgd: kernels::cpu::sgd_step(a[0].data(), a[1].data(), a[2].data(), n, sgd_params(), ctl); break;
    case OptimOp::adamw:
      kernels::cpu::adamw_step(a[0].data(), a[1].data(), a[2].data(), a[3].data(), n, adamw_params(), ctl);
      break;
    case OptimOp::ema: kernels::cpu::ema_update(a[2].data(), a[0].data(), n, kEmaDecay); break;
  }
}

namespace {
void register_optim_cpu(const Options& opt) {
  for (OptimOp op : optim_ops())
    for (const ArenaSize& a : arena_sizes(opt.short_mode))
      add_row("optim/cpu/f32/" + optim_name(op) + "/" + a.model, [=](benchmark::State& st) {
        std::vector<std::vector<float>> arrays;
        for (int i = 0; i < 4; ++i) arrays.push_back(optim_init(i, a.params));
        ControlValues cv;
        const double s = time_cpu(st, [&] {
          cv.grad_sq_sum = 400.f;
          optim_cpu_step(op, arrays, cv);
        });
        report(st, opt.ceilings, {Where::cpu, Work::bytes, optim_bytes_per_param(op) * double(a.params)}, s,
               std::to_string(a.params) + " parameters");
      });
}
}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
#ifdef YE_WITH_CUDA
  return ye::bench::run_suite(argc, argv, ye::bench::register_optim_cpu, ye::bench::register_optim_cuda);
#else
  return ye::bench::run_suite(argc, argv, ye::bench::register_optim_cpu, nullptr);
#endif
}

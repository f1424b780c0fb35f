// CUDA rows of the optimizer / EMA family (bench/bench_optim.cpp): kernels/cuda/optim_cuda.h over the
// arenas of YOLOv8/YOLO11 n and s. Before timing, one pass from the same arrays and control values is
// compared with the CPU twin (every array the pass writes, and the accumulated norm for unscale).
#include <memory>

#include "bench/common/cuda/gpu_loop.h"
#include "bench/common/harness.h"
#include "bench/common/optim_cases.h"
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/optim_cuda.h"

namespace ye::bench {
void optim_cpu_step(OptimOp op, std::vector<std::vector<float>>& a, ControlValues& cv);

namespace {

struct OptimFixture {
  OptimOp op;
  int64_t n;
  std::vector<std::vector<float>> host;
  std::vector<DeviceBuffer> dev;
  DeviceBuffer control, partials;  // found_inf, grad_sq_sum, loss_scale
  DeviceBuffer sgd_hyper, adamw_hyper, ema_decay;    // device-read hyperparameters
  OptimFixture(OptimOp o, int64_t count) : op(o), n(count) {
    for (int i = 0; i < 4; ++i) {
      host.push_back(optim_init(i, n));
      dev.push_back(upload(host.back(), DType::f32));
    }
    const ControlValues cv;
    control = upload({cv.found_inf, cv.grad_sq_sum, cv.loss_scale}, DType::f32);
    partials = DeviceBuffer(kernels::cuda::kOptimPartials * sizeof(float));
    sgd_hyper = upload_hyper(kernels::sgd_hyper(sgd_params()));
    adamw_hyper = upload_hyper(kernels::adamw_hyper(adamw_params()));
    ema_decay = upload({kEmaDecay}, DType::f32);
  }
  static DeviceBuffer upload_hyper(const kernels::GroupHyper& h) {
    DeviceBuffer d(sizeof(h));
    YE_CUDA_CHECK(cudaMemcpy(d.get(), &h, sizeof(h), cudaMemcpyHostToDevice));
    return d;
  }
  void step(cudaStream_t s) {
    float* c = control.as<float>();
    const kernels::StepControl ctl{c, c + 1, c + 2, kMaxNorm};
    float *p = dev[0].as<float>(), *g = dev[1].as<float>(), *b1 = dev[2].as<float>(), *b2 = dev[3].as<float>();
    switch (op) {
      case OptimOp::unscale_norm: kernels::cuda::unscale_and_norm(g, n, ctl, partials.as<float>(), s); break;
      case OptimOp::sgd:
        kernels::cuda::sgd_step(p, g, b1, n, sgd_hyper.as<kernels::GroupHyper>(), sgd_params().nesterov, ctl, s);
        break;
      case OptimOp::adamw: {
        const kernels::AdamWParams a = adamw_params();
        kernels::cuda::adamw_step(p, g, b1, b2, n, adamw_hyper.as<kernels::GroupHyper>(), a.beta2, a.eps, ctl, s);
        break;
      }
      case OptimOp::ema: kernels::cuda::ema_update(b1, p, n, ema_decay.as<float>(), s); break;
    }
  }
};

std::string check(OptimOp op, int64_t n) {
  OptimFixture f(op, n);
  cudaStream_t s = cuda::context(0).stream;
  f.step(s);
  YE_CUDA_CHECK(cudaStreamSynchronize(s));
  std::vector<std::vector<float>> ref = f.host;
  ControlValues cv;
  optim_cpu_step(op, ref, cv);
  const char* names[] = {"parameters", "gradients", "first buffer", "second buffer"};
  for (int i = 0; i < 4; ++i) {
    const std::string err = compare(download(f.dev[size_t(i)].get(), size_t(n), DType::f32), ref[size_t(i)],
                                    1e-6 * max_abs(ref[size_t(i)]), 1e-5, names[i]);
    if (!err.empty()) return err;
  }
  const std::vector<float> control = download(f.control.get(), 3, DType::f32);
  return compare({control[0], control[1]}, {cv.found_inf, cv.grad_sq_sum}, 0, 1e-4, "found_inf and norm^2");
}

}  // namespace

void register_optim_cuda(const Options& opt) {
  for (OptimOp op : optim_ops())
    for (const ArenaSize& a : arena_sizes(opt.short_mode)) {
      auto checked = std::make_shared<bool>(false);
      add_row("optim/ours/f32/" + optim_name(op) + "/" + a.model, [=](benchmark::State& st) {
        cuda::set_device(0);
        if (!*checked) {
          const std::string err = check(op, a.params);
          if (!err.empty()) return st.SkipWithError(err.c_str());
          *checked = true;
        }
        OptimFixture f(op, a.params);
        cudaStream_t s = cuda::context(0).stream;
        GpuLoop loop(s);
        const double secs = loop.run(st, [&] { f.step(s); });
        report(st, opt.ceilings, {Where::cuda, Work::bytes, optim_bytes_per_param(op) * double(a.params)}, secs,
               std::to_string(a.params) + " parameters");
      });
    }
}

}  // namespace ye::bench

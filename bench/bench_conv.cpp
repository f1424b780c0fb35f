// Convolution family: forward + input gradient + weight gradient over the conv shapes of YOLOv8/YOLO11
// n and s (bench/common/yolo_shapes.h). CPU rows: the reference twin (kernels/conv.h, im2col + Eigen)
// at batch 1. CUDA rows (bench/cuda/bench_conv_cuda.cpp): ours (engine/cuda/cudnn_conv) against the
// other cuDNN choices: NCHW descriptors, every forward algorithm cuDNN offers, f16/bf16/f32.
#include "bench/common/harness.h"
#include "bench/common/yolo_shapes.h"
#include "kernels/conv.h"

namespace ye::bench {
void register_conv_cuda(const Options& opt);

namespace {
void register_conv_cpu(const Options& opt) {
  for (const ModelShapes& m : sweep(opt.short_mode).models)
    for (const ConvCase& cc : conv_cases(m, 1)) {
      const kernels::ConvGeom g = cc.g;
      add_row("conv/cpu/f32_nhwc/fwd_bwd/" + tag(m, 1) + "/" + cc.name, [g, opt](benchmark::State& st) {
        const auto x = random_values(size_t(g.n * g.h * g.w * g.c), -1.f, 1.f, 1);
        const auto w = random_values(size_t(g.o * g.kh * g.kw * g.cg()), -0.1f, 0.1f, 2);
        const auto gy = random_values(size_t(g.n * g.ho() * g.wo() * g.o), -1.f, 1.f, 3);
        std::vector<float> y(gy.size()), gx(x.size()), gw(w.size());
        const double s = time_cpu(st, [&] {
          kernels::cpu::conv2d_forward(g, x.data(), w.data(), y.data());
          kernels::cpu::conv2d_backward_input(g, gy.data(), w.data(), gx.data());
          kernels::cpu::conv2d_backward_weight(g, x.data(), gy.data(), gw.data());
        });
        report(st, opt.ceilings, {Where::cpu, Work::flops, 6.0 * conv_macs(g), DType::f32}, s, conv_desc(g));
      });
    }
}
}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
#ifdef YE_WITH_CUDA
  return ye::bench::run_suite(argc, argv, ye::bench::register_conv_cpu, ye::bench::register_conv_cuda);
#else
  return ye::bench::run_suite(argc, argv, ye::bench::register_conv_cpu, nullptr);
#endif
}

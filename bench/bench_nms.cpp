// NMS family on Detect eval outputs (bench/common/nms_inputs.h). CPU rows: the reference twin
// (kernels/nms.h) at batch 1; CUDA rows (bench/cuda/bench_nms_cuda.cpp): cuda::nms_detect in f16 and
// f32 at batch 16 and 64. GB/s counts the predictions read once, against the copy ceiling.
#include "bench/common/harness.h"
#include "bench/common/nms_inputs.h"

namespace ye::bench {
void register_nms_cuda(const Options& opt);

namespace {
void register_nms_cpu(const Options& opt) {
  for (bool early : {false, true}) {
    const std::string regime = early ? "early" : "trained";
    add_row("nms/cpu/f32/" + regime + "/b1", [=](benchmark::State& st) {
      const std::vector<float> p = nms_predictions(1, early);
      const kernels::NmsConfig cfg = nms_val_config();
      std::vector<float> out(size_t(cfg.max_det) * kernels::kNmsRow);
      std::vector<int32_t> counts(1);
      const double s = time_cpu(st, [&] {
        kernels::cpu::nms_detect(p.data(), DType::f32, nms_shape(1), cfg, out.data(), counts.data());
      });
      report(st, opt.ceilings, {Where::cpu, Work::bytes, double(p.size()) * 4}, s,
             regime + " scores, " + std::to_string(counts[0]) + " kept");
    });
  }
}
}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
#ifdef YE_WITH_CUDA
  return ye::bench::run_suite(argc, argv, ye::bench::register_nms_cpu, ye::bench::register_nms_cuda);
#else
  return ye::bench::run_suite(argc, argv, ye::bench::register_nms_cpu, nullptr);
#endif
}

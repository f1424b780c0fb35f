// The suite's ceilings: measures them (bench/common/harness.h: CPU memcpy and Eigen GEMM; GPU copy
// bandwidth and cuBLASLt GEMMs) and records them in its JSON context, from which `yolo bench` hands
// them to every other binary (YE_BENCH_CEILINGS). Its rows re-time the copies through the row loop,
// so the table shows the loop reaching the ceiling (about 100%) and what a row's overhead is.
#include <cstring>

#include "bench/common/harness.h"

namespace ye::bench {
void register_ceilings_cuda(const Options& opt);

namespace {
void register_ceilings_cpu(const Options& opt) {
  add_row("ceilings/cpu/u8/memcpy/256MiB", [opt](benchmark::State& st) {
    const size_t bytes = size_t(256) << 20;
    std::vector<char> a(bytes, 1), b(bytes, 2);
    const double s = time_cpu(st, [&] { std::memcpy(b.data(), a.data(), bytes); });
    report(st, opt.ceilings, {Where::cpu, Work::bytes, 2.0 * double(bytes)}, s, "memcpy, one thread");
  });
}
}  // namespace
}  // namespace ye::bench

int main(int argc, char** argv) {
#ifdef YE_WITH_CUDA
  return ye::bench::run_suite(argc, argv, ye::bench::register_ceilings_cpu, ye::bench::register_ceilings_cuda);
#else
  return ye::bench::run_suite(argc, argv, ye::bench::register_ceilings_cpu, nullptr);
#endif
}

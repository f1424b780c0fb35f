// CUDA row of bench_ceilings (bench/bench_ceilings.cpp): a 1 GiB device-to-device cudaMemcpyAsync
// through the row loop (L2 flush, CUDA events), against the copy ceiling measured at start.
#include "bench/common/cuda/gpu_loop.h"
#include "bench/common/harness.h"
#include "engine/cuda/context.h"
#include "kernels/cuda/cuda_check.h"
#include "kernels/cuda/elementwise_cuda.h"

namespace ye::bench {

void register_ceilings_cuda(const Options& opt) {
  add_row("ceilings/ours/u8/d2d_copy/1GiB", [opt](benchmark::State& st) {
    cuda::set_device(0);
    const size_t bytes = size_t(1) << 30;
    cudaStream_t s = cuda::context(0).stream;
    DeviceBuffer src(bytes), dst(bytes);
    kernels::cuda::uniform(src.get(), DType::f32, int64_t(bytes / 4), 0.5f, 1.f, 7, 0, s);
    GpuLoop loop(s);
    const double secs = loop.run(st, [&] {
      YE_CUDA_CHECK(cudaMemcpyAsync(dst.get(), src.get(), bytes, cudaMemcpyDeviceToDevice, s));
    });
    report(st, opt.ceilings, {Where::cuda, Work::bytes, 2.0 * double(bytes)}, secs, "cudaMemcpyAsync");
  });
}

}  // namespace ye::bench

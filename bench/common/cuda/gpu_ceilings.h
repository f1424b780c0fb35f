// The card's ceilings, measured once at the start of a run on device 0: device-to-device copy
// bandwidth (cudaMemcpyAsync of 1 GiB, bytes read + written) and dense GEMM throughput through
// cuBLASLt (8192^3; f16 operands with f32 accumulation, f32, f32 with TF32), plus the L2 size.
#pragma once
#include "bench/common/harness.h"

namespace ye::bench {
void measure_gpu_ceilings(Ceilings& c);
}  // namespace ye::bench

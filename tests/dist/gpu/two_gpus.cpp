// The distributed GPU suite needs two CUDA devices: with fewer (or a CPU-only build) the binary exits
// 77 before doctest runs, which ctest reports as skipped (one GPU is not a pass).
#include <cstdio>
#include <cstdlib>

#include "engine/device.h"

namespace {
struct RequireTwoGpus {
  RequireTwoGpus() {
    if (ye::cuda_device_count() < 2) {
      std::printf("SKIPPED: the distributed GPU tests need 2 CUDA devices, found %d\n", ye::cuda_device_count());
      std::exit(77);
    }
  }
} const require_two_gpus;
}  // namespace

// doctest main for the GPU suites: exits 77 (ctest: skipped) when the engine has no CUDA backend or
// no CUDA device is present, so CPU-only machines report the GPU tests as skipped, never passed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdlib>

#include <cstdio>

#include "engine/device.h"

int main(int argc, char** argv) {
  setenv("YE_POISON_ALLOC", "1", 0);  // unwritten outputs read as NaN
  if (!ye::built_with_cuda() || !ye::cuda_available()) {
    std::printf("SKIPPED: %s\n", ye::built_with_cuda() ? "no CUDA device present" : "built without CUDA");
    return 77;
  }
  doctest::Context ctx(argc, argv);
  return ctx.run();
}

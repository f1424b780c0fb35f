// GPU out-of-memory and CUDA errors as exceptions: a 1 TiB tensor throws ye::Error naming the request,
// the allocator's in-use and reserved bytes, the device's free memory and what to change, and the
// device stays usable afterwards; a failing CUDA call's message names the call.
#include <doctest/doctest.h>

#include <string>

#include "common/oom_checks.h"
#include "engine/allocator.h"
#include "engine/ops.h"
#ifdef YE_WITH_CUDA
#include "kernels/cuda/cuda_check.h"
#endif

using namespace ye;

TEST_CASE("a 1 TiB tensor on the GPU: ye::Error with the size, the memory held and the advice") {
  const Device dev = Device::cuda(0);
  Tensor keep = Tensor::zeros({int64_t(1) << 20}, DType::f32, dev);  // 4 MiB in use
  std::string msg;
  try {
    (void)Tensor::empty({int64_t(1) << 40}, DType::u8, dev);
    FAIL("a 1 TiB allocation succeeded");
  } catch (const Error& e) {
    msg = e.what();
  }
  INFO(msg);
  test::check_oom_message(msg, 0, "1 TiB");
  CHECK(allocator_stats(dev).bytes_in_use >= size_t(4) << 20);
  Tensor after = Tensor::full({1024}, 2.0f, DType::f32, dev);  // the device still works
  CHECK(after.to(Device::cpu()).data_as<float>()[1023] == 2.0f);
}

#ifdef YE_WITH_CUDA  // the CPU-only build has no CUDA runtime to call (the binary skips there)
namespace {
bool has(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("a failing CUDA call throws naming the call and the CUDA error") {
  std::string msg;
  try {
    YE_CUDA_CHECK(cudaSetDevice(-1));
  } catch (const Error& e) {
    msg = e.what();
  }
  INFO(msg);
  CHECK(has(msg, "CUDA call cudaSetDevice(-1) failed: "));
  CHECK(has(msg, "invalid device ordinal"));
  CHECK(cudaGetLastError() == cudaErrorInvalidDevice);  // reported once, then cleared: not sticky
  CHECK(cudaGetLastError() == cudaSuccess);
}
#endif

// NCCL ranks for the distributed GPU tests: test::run_ranks_with (dist_test_util.h) with rank r on
// cuda:r, an NCCL communicator (120 s timeout), and the device synchronised before shutdown.
#pragma once
#include "common/harness.h"
#include "dist/dist_test_util.h"
#include "engine/ops.h"

#ifdef YE_WITH_CUDA
#include "engine/cuda/context.h"
#endif

namespace ye::test {

inline void run_gpu_ranks(int world, const std::function<void(dist::Communicator&)>& fn) {
#ifdef YE_WITH_CUDA
  auto make = [](const dist::DistEnv& env) {
    cuda::set_device(env.rank);
    auto comm = dist::make_communicator(env, Device::cuda(env.rank), std::chrono::seconds(120));
    CHECK(std::string(comm->backend()) == "nccl");
    return comm;
  };
  run_ranks_with(world, make, [&](dist::Communicator& c) {
    fn(c);
    ops::synchronize(c.device());
  });
#else
  (void)world, (void)fn;
  FAIL("built without CUDA");
#endif
}

}  // namespace ye::test

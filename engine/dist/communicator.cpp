// make_communicator: NCCL for CUDA devices (CUDA builds), the TCP back end for the CPU; a CUDA
// device in a CPU-only build is a clear error.
#include "engine/dist/communicator.h"

#include "kernels/error.h"
#ifdef YE_WITH_CUDA
#include "engine/dist/cuda/nccl_communicator.h"
#endif

namespace ye::dist {

std::unique_ptr<Communicator> make_communicator(const DistEnv& env, Device device, std::chrono::milliseconds timeout) {
  if (device.is_cpu()) return make_tcp_communicator(env, timeout);
#ifdef YE_WITH_CUDA
  return make_nccl_communicator(env, device, timeout);
#else
  YE_FAIL("device ", device.str(), ": this build has no CUDA backend, so no NCCL; use --device cpu");
#endif
}

}  // namespace ye::dist

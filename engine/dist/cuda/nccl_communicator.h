// The NCCL back end of Communicator (CUDA builds only): rank 0 creates the NCCL unique id and hands it
// over the rendezvous links; the communicator is non-blocking, collectives run on a dedicated stream
// ordered by CUDA events, and a watchdog thread aborts the communicator and ends the process with a
// message naming the rank when a peer's link closes, NCCL reports an error, or a collective outlives
// the timeout. No CUDA headers here (CPU code includes it).
#pragma once
#include <chrono>
#include <memory>

#include "engine/dist/communicator.h"

namespace ye::dist {

std::unique_ptr<Communicator> make_nccl_communicator(const DistEnv& env, Device device,
                                                     std::chrono::milliseconds timeout);

}  // namespace ye::dist

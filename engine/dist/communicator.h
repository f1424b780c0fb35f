// The process group of a data-parallel run, one process per device: Communicator (collectives on
// engine Tensors in place: all_reduce sum/average, broadcast from a root, an asynchronous all-reduce
// for gradient buckets, barrier, and reductions of small host values such as the stop flag) and
// make_communicator(), which picks NCCL for CUDA tensors and a TCP back end (rank 0 as the hub) for
// CPU tensors. Every wait is bounded (YE_DIST_TIMEOUT); a dead peer is an error naming its rank.
#pragma once
#include <chrono>
#include <memory>
#include <vector>

#include "engine/dist/dist_env.h"
#include "engine/dist/rendezvous.h"
#include "engine/tensor.h"

namespace ye::dist {

enum class ReduceOp { sum, average };

// Exit status of a rank that stops because another rank failed or vanished (a PeerError, or the
// NCCL watchdog seeing a closed link or a stuck collective); the launcher names the other rank.
constexpr int kPeerLostExitCode = 3;

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  virtual Device device() const = 0;
  virtual const char* backend() const = 0;  // "nccl" or "tcp"

  // In place on every rank; `t` contiguous f32 or f16 on device(). On CUDA the collective is ordered
  // after earlier work of the compute stream and before later work (no host wait).
  virtual void all_reduce(const Tensor& t, ReduceOp op) = 0;
  virtual void broadcast(const Tensor& t, int root = 0) = 0;
  // One grouped all-reduce of several tensors that may overlap later compute (CUDA: a communication
  // stream); wait_async() orders every pending one before later work on the compute stream. The TCP
  // back end completes it before returning.
  virtual void all_reduce_async(const std::vector<Tensor>& parts, ReduceOp op) {
    for (const Tensor& p : parts) all_reduce(p, op);
  }
  virtual void wait_async() {}

  virtual void barrier() = 0;
  virtual double all_reduce_host(double value, HostOp op) = 0;
  // The clean end of the group: every rank calls it (a collective); afterwards peers may exit.
  // Without it (an exception unwinding), the links simply close and the peers report this rank gone.
  virtual void shutdown() = 0;
};

// Forms the group described by `env` (rendezvous on MASTER_ADDR:MASTER_PORT) for tensors on `device`.
std::unique_ptr<Communicator> make_communicator(const DistEnv& env, Device device,
                                                std::chrono::milliseconds timeout);

// The TCP back end alone (also usable for CUDA-free tests).
std::unique_ptr<Communicator> make_tcp_communicator(const DistEnv& env, std::chrono::milliseconds timeout);

}  // namespace ye::dist

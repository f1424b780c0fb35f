// The process group's TCP star: rank 0 listens on MASTER_ADDR:MASTER_PORT, every other rank connects
// and introduces itself (rank, world size); the links stay open for the whole run. They carry the NCCL
// unique id, small host values (stop flag, barrier) and, for the CPU back end, tensor data, and they
// double as a liveness check: a closed link means that rank's process is gone. Defines Rendezvous.
#pragma once
#include <chrono>
#include <vector>

#include "engine/dist/dist_env.h"
#include "engine/dist/tcp.h"

namespace ye::dist {

enum class HostOp { sum, max, min };

class Rendezvous {
 public:
  // Forms the group or throws ye::Error after `timeout` naming the ranks that never arrived
  // (rank 0) or the address that could not be reached (other ranks).
  Rendezvous(const DistEnv& env, std::chrono::milliseconds timeout);

  int rank() const { return rank_; }
  int world_size() const { return world_; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  Clock::time_point deadline() const { return Clock::now() + timeout_; }
  // Rank 0: the link to rank `peer` (1..world-1). Other ranks: the link to rank 0 (peer == 0).
  const TcpSocket& link(int peer) const;

  void broadcast_bytes(void* data, size_t bytes);          // rank 0's bytes to every rank
  double all_reduce_host(double value, HostOp op);         // same result on every rank
  void barrier();
  // The first rank whose link is closed (rank 0 checks every rank, the others rank 0), or -1.
  int hung_up_peer() const;
  void close();

 private:
  int rank_ = 0, world_ = 1;
  std::chrono::milliseconds timeout_;
  std::vector<TcpSocket> links_;  // rank 0: index = peer rank (0 unused); others: [0] = rank 0
};

}  // namespace ye::dist

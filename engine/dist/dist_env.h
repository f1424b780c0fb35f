// Where this process sits in a distributed run, read from the environment: RANK / WORLD_SIZE /
// LOCAL_RANK / LOCAL_WORLD_SIZE / MASTER_ADDR / MASTER_PORT (torchrun and `yolo train --device 0,1`),
// else OMPI_COMM_WORLD_* (Open MPI) or PMI_RANK / PMI_SIZE (MPICH, Intel MPI), else SLURM_PROCID /
// SLURM_STEP_NUM_TASKS / SLURM_LOCALID (srun). Under torchrun (TORCHELASTIC_USE_AGENT_STORE=True) the
// rendezvous port is MASTER_PORT + 1. Defines DistEnv, read_dist_env() and YE_DIST_TIMEOUT.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace ye::dist {

struct DistEnv {
  int rank = 0, world_size = 1, local_rank = 0, local_world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string source;  // "torchrun", "mpi", "slurm"; empty when not launched as part of a group
  bool port_after_agent_store = false;  // torchrun's agent holds MASTER_PORT: master_port is MASTER_PORT + 1
  bool distributed() const { return world_size > 1; }
  bool main_rank() const { return rank == 0; }
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_env(const std::string& name);

// Throws ye::Error naming the variable when a value is malformed or out of range.
DistEnv read_dist_env(const EnvLookup& lookup = process_env);

// Timeout of any single collective or rendezvous step: YE_DIST_TIMEOUT (seconds), default 1800
// (rank 0 validates alone while the others wait, so it must exceed one validation).
std::chrono::milliseconds dist_timeout(const EnvLookup& lookup = process_env);

}  // namespace ye::dist

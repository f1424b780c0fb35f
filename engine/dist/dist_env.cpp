// Reading the distributed environment variables (see dist_env.h): the first family with both a rank
// and a world size wins; MASTER_ADDR/MASTER_PORT and YE_DIST_TIMEOUT are checked.
#include "engine/dist/dist_env.h"

#include <charconv>
#include <cstdlib>

#include "kernels/error.h"

namespace ye::dist {
namespace {
int parse_int(const EnvLookup& get, const std::string& name, int fallback) {
  auto v = get(name);
  if (!v || v->empty()) return fallback;
  int x = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), x);
  YE_CHECK(r.ec == std::errc() && r.ptr == v->data() + v->size(), "environment variable ", name, "='", *v,
           "' is not an integer");
  return x;
}
}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

DistEnv read_dist_env(const EnvLookup& get) {
  DistEnv e;
  struct Names {
    const char *rank, *world, *local_rank, *local_world, *source;
  };
  static constexpr Names kFamilies[] = {
      {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "torchrun"},
      {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE", "mpi"},
      // MPICH / Intel MPI (Hydra): PMI_RANK / PMI_SIZE, local ranks from MPI_LOCALRANKID / MPI_LOCALNRANKS.
      {"PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS", "mpi"},
      // SLURM_STEP_NUM_TASKS is set by srun only: a batch script (SLURM_PROCID=0, SLURM_NTASKS=N
      // for the whole allocation) is one process, not rank 0 of N.
      {"SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_LOCALID", nullptr, "slurm"},
  };
  for (const Names& n : kFamilies) {
    if (!get(n.rank) || !get(n.world)) continue;
    e.rank = parse_int(get, n.rank, 0);
    e.world_size = parse_int(get, n.world, 1);
    e.local_rank = parse_int(get, n.local_rank, e.rank);
    e.local_world_size = n.local_world ? parse_int(get, n.local_world, e.world_size) : e.world_size;
    e.source = n.source;
    YE_CHECK(e.world_size >= 1, n.world, "=", e.world_size, ": the world size must be at least 1");
    YE_CHECK(e.rank >= 0 && e.rank < e.world_size, n.rank, "=", e.rank, " is outside 0..", e.world_size - 1,
             " (", n.world, "=", e.world_size, ")");
    YE_CHECK(e.local_rank >= 0, n.local_rank, "=", e.local_rank, " is negative");
    break;
  }
  if (auto a = get("MASTER_ADDR"); a && !a->empty()) e.master_addr = *a;
  e.master_port = parse_int(get, "MASTER_PORT", e.master_port);
  YE_CHECK(e.master_port > 0 && e.master_port < 65536, "MASTER_PORT=", e.master_port, " is not a TCP port");
  // torchrun's agent already listens on MASTER_PORT (its TCPStore, which torch workers join): rank 0
  // of this engine listens on the next port of the same host.
  if (auto agent = get("TORCHELASTIC_USE_AGENT_STORE"); agent && *agent == "True" && e.source == "torchrun") {
    YE_CHECK(e.master_port < 65535, "MASTER_PORT=", e.master_port, ": under torchrun the engine listens on ",
             "MASTER_PORT + 1, which is not a TCP port");
    e.master_port += 1;
    e.port_after_agent_store = true;
  }
  return e;
}

std::chrono::milliseconds dist_timeout(const EnvLookup& get) {
  int s = parse_int(get, "YE_DIST_TIMEOUT", 1800);
  YE_CHECK(s > 0, "YE_DIST_TIMEOUT=", s, ": give a positive number of seconds");
  return std::chrono::milliseconds(int64_t(s) * 1000);
}

}  // namespace ye::dist

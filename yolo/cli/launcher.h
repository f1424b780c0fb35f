// The multi-process launcher of `yolo train --device 0,1,...` (and `--device cpu --world N`): when the
// process is not already part of a group (no RANK/WORLD_SIZE or MPI/Slurm equivalents), it starts one
// child per rank running this same binary with the same arguments plus RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1 and a free MASTER_PORT; forwards Ctrl-C (SIGINT) and SIGTERM
// to the children; and when a child fails, stops the others and returns non-zero naming its rank (a
// rank that only stopped because another failed exits with dist::kPeerLostExitCode and is not blamed).
#pragma once
#include <string>
#include <vector>

namespace ye::cli {

// argv: the full command line of this process (argv[0] included). Returns the exit status:
// 0 when every rank succeeded, 130 when interrupted, else the failing rank's status (at least 1).
int launch_ranks(const std::vector<std::string>& argv, int world);

}  // namespace ye::cli

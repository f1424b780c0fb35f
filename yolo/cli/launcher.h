// The launcher of `yolo train --device 0,1,...` / `--device cpu --world N` outside a process group: one child per
// rank running this binary with the same arguments plus RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR=127.0.0.1 and MASTER_PORT (--master-port, else a free one); forwards SIGINT/SIGTERM; when a rank fails, stops
// the others and names it (ranks stopped by another's failure exit kPeerLostExitCode); a rank silent on its heartbeat pipe
// (heartbeat.h) for YE_HEARTBEAT_TIMEOUT is hung: killed, named, the run ended; both name the rank's last activity.
#pragma once
#include <string>
#include <vector>

namespace ye::cli {

// argv: the full command line of this process (argv[0] included); master_port: the ranks' MASTER_PORT
// (0: a free port). Returns the exit status: 0 when every rank succeeded, 130 when interrupted, else
// the failing rank's status (at least 1).
int launch_ranks(const std::vector<std::string>& argv, int world, int master_port = 0);

}  // namespace ye::cli

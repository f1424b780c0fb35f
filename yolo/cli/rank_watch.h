// The liveness watch of a distributed `yolo train` (engine/dist/liveness.h), run by every rank whoever
// launched it (ours, torchrun, mpirun, srun): each beat carries this rank's activity record; a rank
// silent for YE_HEARTBEAT_TIMEOUT (SIGKILLed when it runs on this host), or gone without a normal
// end, ends this process at once (exit status kPeerLostExitCode) with one line naming it and its last
// activity, so the launcher sees a failed rank and ends the job. Defines watch_ranks().
#pragma once
#include <memory>

#include "engine/dist/dist_env.h"
#include "engine/dist/liveness.h"
#include "yolo/train/activity.h"

namespace ye::cli {

// Forms the watch's star on MASTER_ADDR:MASTER_PORT: call it before the trainer forms the data group
// there. `activity` must outlive the watch. Call finish() on it at this rank's normal end; without
// that (a failure) the other ranks report this one gone. Under our launcher (YE_HEARTBEAT_FD set),
// whose own heartbeat watch names a hung rank better (pid, process state), silence counts only after
// kLauncherFirst more.
std::unique_ptr<dist::LivenessWatch> watch_ranks(const dist::DistEnv& env, const yolo::TrainActivity& activity);

inline constexpr std::chrono::seconds kLauncherFirst{10};

}  // namespace ye::cli

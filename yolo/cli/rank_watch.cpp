// watch_ranks (see rank_watch.h): the beat's payload (the activity record, the sender's clock and
// which process sent it) and what a rank does when another one is lost: kill it when it is hung on
// this host, print the one line that names it, exit.
#include "yolo/cli/rank_watch.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <type_traits>

#include "engine/dist/communicator.h"
#include "yolo/cli/heartbeat.h"

namespace ye::cli {
namespace {
// Which process sent a beat: a hung sender on this host (same boot, same pid namespace) can then be
// killed by its watcher, as our launcher kills it (a stopped process dies of SIGKILL only, and
// torchrun waits 30 s after SIGTERM before sending one). The start time tells a reused pid apart.
struct ProcessIdentity {
  char boot_id[40] = {};       // /proc/sys/kernel/random/boot_id
  uint64_t pid_namespace = 0;  // inode of /proc/self/ns/pid
  int64_t start_ticks = -1;    // field 22 of /proc/<pid>/stat
  int32_t pid = -1;
  int32_t unused = 0;          // explicit padding: every byte of a beat is defined
};

// A beat's payload. The sender's clock at sending lets the receiver tell how long ago the reported
// phase began without comparing the steady clocks of different hosts.
struct ActivityBeat {
  yolo::ActivityRecord record;
  int64_t sent_ns = 0;
  ProcessIdentity sender;
};
static_assert(std::is_trivially_copyable_v<ActivityBeat> &&
              sizeof(ActivityBeat) == sizeof(yolo::ActivityRecord) + 8 + sizeof(ProcessIdentity));

int64_t steady_ns(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Field 22 of /proc/<pid>/stat (the start time in clock ticks), or -1.
int64_t start_ticks_of(pid_t pid) {
  const std::vector<std::string> fields = proc_stat_fields(pid);  // from field 3
  return fields.size() > 19 ? std::strtoll(fields[19].c_str(), nullptr, 10) : -1;
}

ProcessIdentity this_process() {
  ProcessIdentity id;
  std::ifstream("/proc/sys/kernel/random/boot_id").getline(id.boot_id, sizeof id.boot_id);
  struct stat ns {};
  if (::stat("/proc/self/ns/pid", &ns) == 0) id.pid_namespace = uint64_t(ns.st_ino);
  id.pid = int32_t(::getpid());
  id.start_ticks = start_ticks_of(::getpid());
  return id;
}

bool decode(const dist::LostPeer& lost, ActivityBeat* beat) {
  if (!lost.any_beat || lost.last_payload.size() != sizeof(ActivityBeat)) return false;
  std::memcpy(beat, lost.last_payload.data(), sizeof *beat);
  return true;
}

// "last activity: epoch 2/50, batch 3/4, backward (3.2 s ago)", the age on this host's clock.
std::string last_activity(const dist::LostPeer& lost) {
  ActivityBeat beat;
  if (!decode(lost, &beat)) return "no activity reported (no heartbeat received)";
  yolo::ActivityRecord r = beat.record;
  r.since_ns = steady_ns(lost.last_beat_at) - (beat.sent_ns - r.since_ns);
  return "last activity: " + yolo::describe_activity(r, std::chrono::steady_clock::now());
}

// SIGKILLs the silent sender when it is a process of this host that still is the one that beat;
// returns what was done, for the message ("" when it is elsewhere).
std::string kill_if_here(const dist::LostPeer& lost, const ProcessIdentity& self) {
  ActivityBeat beat;
  if (!decode(lost, &beat)) return "";
  const ProcessIdentity& id = beat.sender;
  const bool same_host = self.boot_id[0] != '\0' && std::strncmp(id.boot_id, self.boot_id, sizeof id.boot_id) == 0 &&
                         self.pid_namespace != 0 && id.pid_namespace == self.pid_namespace;
  const bool here = same_host && id.pid > 0 && id.pid != self.pid && id.start_ticks >= 0;
  if (!here || start_ticks_of(id.pid) != id.start_ticks) return "";
  if (::kill(id.pid, SIGKILL) != 0)
    return "; could not kill it (pid " + std::to_string(id.pid) + "): " + std::strerror(errno);
  return "; killed it (pid " + std::to_string(id.pid) + ", on this host)";
}

std::string lost_rank_line(int self_rank, const dist::LostPeer& lost, std::chrono::milliseconds heartbeat_timeout,
                           bool under_launcher, const std::string& killed) {
  std::string who = "rank " + std::to_string(lost.rank), why;
  if (lost.hung_up) {
    why = who + " is gone: its liveness link closed before it finished (the process exited, crashed or was killed)";
  } else {
    const std::string launcher_turn =
        under_launcher ? ", plus " + std::to_string(kLauncherFirst.count()) + " s for the launcher's own watch" : "";
    char text[200];
    std::snprintf(text, sizeof text, " sent no heartbeat for %.0f s (%s=%.0f s%s)", lost.silent_s, kHeartbeatTimeoutEnv,
                  std::chrono::duration<double>(heartbeat_timeout).count(), launcher_turn.c_str());
    why = who + text + ": it is hung (its process stopped or frozen)";
  }
  return "error: " + why + "; " + last_activity(lost) + killed + "; rank " + std::to_string(self_rank) +
         " is ending the run";
}
}  // namespace

std::unique_ptr<dist::LivenessWatch> watch_ranks(const dist::DistEnv& env, const yolo::TrainActivity& activity) {
  const char* fd = std::getenv(kHeartbeatFdEnv);
  const bool under_launcher = fd && *fd;
  const std::chrono::milliseconds heartbeat_timeout = heartbeat_timeout_from_env();
  const ProcessIdentity self = this_process();
  dist::LivenessOptions o;
  o.interval = kHeartbeatInterval;
  o.timeout = under_launcher ? heartbeat_timeout + kLauncherFirst : heartbeat_timeout;
  o.payload_bytes = sizeof(ActivityBeat);
  o.write_payload = [&activity, self](std::span<std::byte> out) {
    const ActivityBeat beat{activity.read(), steady_ns(std::chrono::steady_clock::now()), self};
    std::memcpy(out.data(), &beat, sizeof beat);
  };
  o.on_lost = [rank = env.rank, heartbeat_timeout, under_launcher, self](const dist::LostPeer& lost) {
    const std::string killed = lost.hung_up ? "" : kill_if_here(lost, self);
    std::fprintf(stderr, "%s\n", lost_rank_line(rank, lost, heartbeat_timeout, under_launcher, killed).c_str());
    std::fflush(stderr);
    std::_Exit(dist::kPeerLostExitCode);  // now: the main thread may be blocked in a collective
  };
  return std::make_unique<dist::LivenessWatch>(env, dist::dist_timeout(), std::move(o));
}

}  // namespace ye::cli

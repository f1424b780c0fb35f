// Liveness of the rank processes started by the launcher: each rank writes its activity record
// (yolo/train/activity.h) to a pipe from a thread of its own every kHeartbeatInterval (so a long
// validation or checkpoint write on the step loop does not stop it, while SIGSTOP or a frozen process
// does); the launcher ends the run when a rank sends nothing for YE_HEARTBEAT_TIMEOUT seconds (default
// kDefaultHeartbeatTimeout) and names the last activity it received from a hung or dead rank.
#pragma once
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "yolo/train/activity.h"

namespace ye::cli {

inline constexpr const char* kHeartbeatFdEnv = "YE_HEARTBEAT_FD";
inline constexpr const char* kHeartbeatTimeoutEnv = "YE_HEARTBEAT_TIMEOUT";
inline constexpr std::chrono::milliseconds kHeartbeatInterval{250};
// 30 s without a heartbeat, then at most 0.5 s + 10 s of SIGTERM grace: the run ends within 60 s of a hang.
inline constexpr std::chrono::milliseconds kDefaultHeartbeatTimeout{30000};

// YE_HEARTBEAT_TIMEOUT in seconds (at least 1), else the default; a malformed value throws, naming it.
std::chrono::milliseconds heartbeat_timeout_from_env();

// The fields of /proc/<pid>/stat after the command name, from field 3 (the state) on; empty when the
// process or its entry is gone.
std::vector<std::string> proc_stat_fields(pid_t pid);

// "state T (stopped)", "state S (sleeping) in <wchan>": what /proc says a process is doing.
std::string describe_process(pid_t pid);

// The rank side: beats on the fd named by YE_HEARTBEAT_FD while alive; nothing when it is unset.
// Each beat is one fixed-size write (atomic on a pipe) of what `activity` holds; it must outlive this.
class HeartbeatSender {
 public:
  explicit HeartbeatSender(const yolo::TrainActivity& activity);
  ~HeartbeatSender();
  HeartbeatSender(const HeartbeatSender&) = delete;
  HeartbeatSender& operator=(const HeartbeatSender&) = delete;

 private:
  const yolo::TrainActivity& activity_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// The launcher side of one rank's pipe: bytes as read() returns them in, the latest whole beat kept.
class HeartbeatDecoder {
 public:
  void feed(const char* bytes, size_t n);
  // "last activity: epoch 2/3, batch 17/40, backward (12.4 s ago)", or that none was reported.
  std::string last_activity(std::chrono::steady_clock::time_point now) const;

 private:
  yolo::ActivityRecord last_;
  bool any_ = false;
  char partial_[sizeof(yolo::ActivityRecord)] = {};
  size_t have_ = 0;
};

}  // namespace ye::cli

// Liveness of a process group's ranks, beside its data links: LivenessWatch forms a TCP star of its
// own and runs a thread that sends each linked rank a fixed-size beat (a caller-given payload) every
// interval and reads theirs; rank 0 watches every rank, the others watch rank 0. A rank silent for the
// timeout, or whose link closes before it said bye, goes to the caller's handler, whatever the main
// thread is blocked in. Defines LostPeer, LivenessOptions and LivenessWatch.
#pragma once
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <thread>
#include <vector>

#include "engine/dist/dist_env.h"
#include "engine/dist/rendezvous.h"

namespace ye::dist {

// A watched rank that stopped beating or vanished, as the handler is told.
struct LostPeer {
  int rank = -1;
  bool hung_up = false;    // its link closed (its process is gone) rather than fell silent
  double silent_s = 0;     // since its last beat, or since the watch began when none came
  bool any_beat = false;
  std::vector<std::byte> last_payload;  // its last beat's payload; empty when none came
  Clock::time_point last_beat_at;       // when that beat arrived, on this host's clock
};

struct LivenessOptions {
  std::chrono::milliseconds interval{250};   // between beats
  std::chrono::milliseconds timeout{30000};  // silence after which a rank is lost
  size_t payload_bytes = 0;                  // the same on every rank (checked when the star forms)
  // Fills each beat's payload (payload_bytes); called on the watch thread, so it must not block.
  std::function<void(std::span<std::byte> payload)> write_payload;
  // Called on the watch thread once per lost rank, must not throw; it may end the process. When it
  // returns, that rank is no longer watched.
  std::function<void(const LostPeer& lost)> on_lost;
};

class LivenessWatch {
 public:
  // Forms the star on env's MASTER_ADDR:MASTER_PORT (throws as Rendezvous does, after
  // rendezvous_timeout) and starts beating. Once it has returned on any rank, rank 0 listens on that
  // port no more, so the data group (make_communicator) may be formed there next.
  LivenessWatch(const DistEnv& env, std::chrono::milliseconds rendezvous_timeout, LivenessOptions options);
  // Without finish() (a failure): the links close with no bye, and the watching ranks report this one.
  ~LivenessWatch();
  LivenessWatch(const LivenessWatch&) = delete;
  LivenessWatch& operator=(const LivenessWatch&) = delete;

  // The normal end of this rank: each linked rank gets a last "bye" beat, so that it stops watching
  // this one before the link closes; the thread is joined. Later calls do nothing.
  void finish();

 private:
  void run();
  void stop(bool say_bye);

  Rendezvous star_;
  LivenessOptions options_;
  int wake_fd_ = -1;  // an eventfd: stop() wakes the thread out of poll()
  std::atomic<bool> say_bye_{false};
  std::thread thread_;
};

}  // namespace ye::dist

// The rank-side heartbeat thread and the launcher's helpers for naming a silent rank (see heartbeat.h).
#include "yolo/cli/heartbeat.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <type_traits>

#include "kernels/error.h"

namespace ye::cli {

// Both ends are this binary, so a beat is the record's bytes; one write of at most PIPE_BUF is atomic.
static_assert(std::is_trivially_copyable_v<yolo::ActivityRecord> && sizeof(yolo::ActivityRecord) <= 512);

std::chrono::milliseconds heartbeat_timeout_from_env() {
  const char* v = std::getenv(kHeartbeatTimeoutEnv);
  if (!v || !*v) return kDefaultHeartbeatTimeout;
  char* end = nullptr;
  double s = std::strtod(v, &end);
  YE_CHECK(end && *end == '\0' && std::isfinite(s) && s >= 1.0 && s <= 86400.0, kHeartbeatTimeoutEnv, "=", v,
           ": expected seconds between 1 and 86400");
  return std::chrono::milliseconds(static_cast<long long>(s * 1000.0));
}

std::vector<std::string> proc_stat_fields(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the command name may hold spaces and parentheses
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

std::string describe_process(pid_t pid) {
  const std::vector<std::string> fields = proc_stat_fields(pid);
  if (fields.empty() || fields[0].empty()) return "state unknown (no /proc entry)";
  const char state = fields[0][0];
  const char* word = state == 'T' || state == 't' ? "stopped"
                     : state == 'S'               ? "sleeping"
                     : state == 'D'               ? "in uninterruptible wait"
                     : state == 'R'               ? "running"
                     : state == 'Z'               ? "zombie"
                                                  : "other";
  std::string out = std::string("state ") + state + " (" + word + ")";
  std::ifstream wchan_file("/proc/" + std::to_string(pid) + "/wchan");
  std::string wchan;
  std::getline(wchan_file, wchan);
  if (!wchan.empty() && wchan != "0") out += " in " + wchan;
  return out;
}

HeartbeatSender::HeartbeatSender(const yolo::TrainActivity& activity) : activity_(activity) {
  const char* v = std::getenv(kHeartbeatFdEnv);
  if (!v || !*v) return;
  char* end = nullptr;
  long fd = std::strtol(v, &end, 10);
  YE_CHECK(end && *end == '\0' && fd > 2 && fd < 65536, kHeartbeatFdEnv, "=", v, ": not a file descriptor");
  fd_ = static_cast<int>(fd);
  ::fcntl(fd_, F_SETFD, FD_CLOEXEC);
  ::signal(SIGPIPE, SIG_IGN);  // the launcher gone: write() fails with EPIPE instead of killing the rank
  thread_ = std::thread([this] {
    while (!stop_.load()) {
      const yolo::ActivityRecord beat = activity_.read();
      if (::write(fd_, &beat, sizeof beat) < 0 && errno != EINTR && errno != EAGAIN) return;
      std::this_thread::sleep_for(kHeartbeatInterval);
    }
  });
}

HeartbeatSender::~HeartbeatSender() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

void HeartbeatDecoder::feed(const char* bytes, size_t n) {
  while (n > 0) {
    size_t take = std::min(n, sizeof partial_ - have_);
    std::memcpy(partial_ + have_, bytes, take);
    have_ += take, bytes += take, n -= take;
    if (have_ < sizeof partial_) break;
    std::memcpy(&last_, partial_, sizeof last_);
    any_ = true;
    have_ = 0;
  }
}

std::string HeartbeatDecoder::last_activity(std::chrono::steady_clock::time_point now) const {
  if (!any_) return "no activity reported (no heartbeat received)";
  return "last activity: " + yolo::describe_activity(last_, now);
}

}  // namespace ye::cli

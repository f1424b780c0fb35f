// Spawning and supervising the rank processes (see launcher.h). Children run in their own process
// group, so a terminal Ctrl-C reaches them once, forwarded by this process.
#include "yolo/cli/launcher.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "engine/dist/communicator.h"
#include "engine/dist/tcp.h"
#include "kernels/error.h"
#include "yolo/cli/heartbeat.h"

namespace ye::cli {
namespace {
// Signals received by the launcher (signal handlers need process-wide flags).
std::atomic<int> g_forward_signal{0};
void on_signal(int sig) { g_forward_signal.store(sig); }

// heartbeat_fd: the write end of this rank's heartbeat pipe, kept open across exec in the child only.
pid_t spawn_rank(const std::string& exe, const std::vector<std::string>& argv, const std::vector<std::string>& env,
                 int heartbeat_fd) {
  pid_t parent = ::getpid();
  std::vector<char*> args, envp;
  std::vector<std::string> a = argv;
  a[0] = exe;
  for (auto& s : a) args.push_back(s.data());
  args.push_back(nullptr);
  std::vector<std::string> e = env;
  for (auto& s : e) envp.push_back(s.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {  // async-signal-safe calls only until exec
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the launcher killed outright: the ranks go with it
    if (::getppid() != parent) ::_exit(1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    ::fcntl(heartbeat_fd, F_SETFD, 0);
    ::execve(args[0], args.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

std::string status_text(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* abbrev = sigabbrev_np(WTERMSIG(status));
    return std::string("signal ") + strsignal(WTERMSIG(status)) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
  }
  return "status " + std::to_string(status);
}
}  // namespace

int launch_ranks(const std::vector<std::string>& argv, int world, int master_port) {
  std::error_code ec;
  std::string exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  YE_CHECK(!ec, "cannot find this program's path (/proc/self/exe) to start the ranks: ", ec.message());
  int port = master_port > 0 ? master_port : dist::free_tcp_port();
  std::vector<std::string> base;
  static const char* kOwn[] = {"RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT="};
  for (char** e = environ; *e; ++e) {
    bool own = false;
    for (const char* k : kOwn) own = own || std::strncmp(*e, k, std::strlen(k)) == 0;
    if (!own) base.push_back(*e);
  }
  const auto heartbeat_timeout = heartbeat_timeout_from_env();
  std::printf("DDP: starting %d processes (MASTER_ADDR=127.0.0.1 MASTER_PORT=%d)\n", world, port);
  std::fflush(stdout);
  struct sigaction sa {}, old_int{}, old_term{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  std::vector<pid_t> pids(size_t(world), -1);
  std::vector<bool> done(size_t(world), false);
  using Clock = std::chrono::steady_clock;
  std::vector<int> beat_fds(size_t(world), -1);  // read ends; -1 once closed
  std::vector<Clock::time_point> last_beat(size_t(world), Clock::now());
  std::vector<HeartbeatDecoder> beats(static_cast<size_t>(world));  // each rank's last reported activity
  // Reads what rank r's pipe holds: > 0 bytes read, 0 at its end (the pipe closed), < 0 none now.
  auto read_beats = [&](int r) -> ssize_t {
    ssize_t total = -1;
    char buf[512];
    for (ssize_t n; beat_fds[size_t(r)] >= 0 && (n = ::read(beat_fds[size_t(r)], buf, sizeof buf)) >= 0;) {
      if (n == 0) {
        ::close(beat_fds[size_t(r)]), beat_fds[size_t(r)] = -1;
        return total > 0 ? total : 0;
      }
      beats[size_t(r)].feed(buf, size_t(n));
      total = std::max<ssize_t>(total, 0) + n;
    }
    return total;
  };
  auto close_beats = [&] {
    for (int& fd : beat_fds)
      if (fd >= 0) ::close(fd), fd = -1;
  };
  for (int r = 0; r < world; ++r) {
    int beat[2];
    if (::pipe2(beat, O_CLOEXEC | O_NONBLOCK) != 0) {
      std::fprintf(stderr, "error: could not create the heartbeat pipe of rank %d: %s\n", r, std::strerror(errno));
      for (int k = 0; k < r; ++k) ::kill(pids[size_t(k)], SIGKILL);
      for (int k = 0; k < r; ++k) ::waitpid(pids[size_t(k)], nullptr, 0);
      close_beats();
      return 1;
    }
    std::vector<std::string> env = base;
    for (auto kv : {std::pair<std::string, int>{"RANK", r}, {"WORLD_SIZE", world}, {"LOCAL_RANK", r},
                    {"LOCAL_WORLD_SIZE", world}, {"MASTER_PORT", port}})
      env.push_back(kv.first + "=" + std::to_string(kv.second));
    env.push_back("MASTER_ADDR=127.0.0.1");
    env.push_back(std::string(kHeartbeatFdEnv) + "=" + std::to_string(beat[1]));
    pids[size_t(r)] = spawn_rank(exe, argv, env, beat[1]);
    ::close(beat[1]);
    beat_fds[size_t(r)] = beat[0];
    last_beat[size_t(r)] = Clock::now();
    if (pids[size_t(r)] < 0) {
      std::fprintf(stderr, "error: could not start rank %d: %s\n", r, std::strerror(errno));
      for (int k = 0; k < r; ++k) ::kill(pids[size_t(k)], SIGKILL);
      for (int k = 0; k < r; ++k) ::waitpid(pids[size_t(k)], nullptr, 0);
      close_beats();
      return 1;
    }
  }

  // The root cause: the first failed rank that did not stop because of another one (exit status
  // kPeerLostExitCode); ranks exit within moments of each other, so all failures are collected first.
  struct Failure {
    int rank, status;
  };
  std::vector<Failure> failures;
  std::vector<int> sent(size_t(world), 0);  // the stopping signal this launcher sent to each rank
  bool interrupted = false, stopping = false;
  int hung_rank = -1;  // the first rank that went silent: the root cause, killed by this launcher
  auto term_at = Clock::time_point::max(), kill_at = Clock::time_point::max();
  auto signal_alive = [&](int sig) {
    for (int k = 0; k < world; ++k)
      if (!done[size_t(k)]) ::kill(pids[size_t(k)], sig), sent[size_t(k)] = sig;
  };
  int remaining = world;
  while (remaining > 0) {
    if (int sig = g_forward_signal.exchange(0)) {
      interrupted = interrupted || sig == SIGINT;
      for (int r = 0; r < world; ++r)
        if (!done[size_t(r)]) ::kill(pids[size_t(r)], sig);
    }
    int st = 0;
    pid_t pid = ::waitpid(-1, &st, WNOHANG);
    for (int r = 0; pid > 0 && r < world; ++r) {
      if (pids[size_t(r)] != pid || done[size_t(r)]) continue;
      done[size_t(r)] = true;
      --remaining;
      bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
      bool by_ctrl_c = interrupted && WIFEXITED(st) && WEXITSTATUS(st) == 130;
      bool by_us = WIFSIGNALED(st) && sent[size_t(r)] != 0 && WTERMSIG(st) == sent[size_t(r)];
      if (ok || by_ctrl_c || by_us) continue;
      failures.push_back({r, st});
      read_beats(r);  // its last beats, still in the pipe
      std::fprintf(stderr, "error: rank %d (pid %d) failed with %s%s; %s\n", r, int(pid), status_text(st).c_str(),
                   WIFEXITED(st) && WEXITSTATUS(st) == dist::kPeerLostExitCode ? " (another rank failed first)" : "",
                   beats[size_t(r)].last_activity(Clock::now()).c_str());
      if (!stopping) {
        // A moment for the others to exit by themselves (with their own messages), then SIGTERM, then SIGKILL.
        stopping = true;
        std::fprintf(stderr, "error: stopping the other ranks\n");
        term_at = Clock::now() + std::chrono::milliseconds(500);
      }
    }
    if (pid > 0) continue;
    for (int r = 0; r < world; ++r) {
      if (beat_fds[size_t(r)] < 0 || done[size_t(r)]) continue;
      ssize_t n = read_beats(r);  // 0: the rank is exiting, waitpid takes over
      if (n > 0) last_beat[size_t(r)] = Clock::now();
      if (n == 0 || stopping || Clock::now() - last_beat[size_t(r)] <= heartbeat_timeout) continue;
      double silent = std::chrono::duration<double>(Clock::now() - last_beat[size_t(r)]).count();
      std::fprintf(stderr, "error: rank %d (pid %d) sent no heartbeat for %.0f s (%s=%.0f s); %s; it is hung: %s\n",
                   r, int(pids[size_t(r)]), silent, kHeartbeatTimeoutEnv,
                   std::chrono::duration<double>(heartbeat_timeout).count(),
                   beats[size_t(r)].last_activity(Clock::now()).c_str(), describe_process(pids[size_t(r)]).c_str());
      std::fprintf(stderr, "error: killing rank %d and stopping the other ranks\n", r);
      ::kill(pids[size_t(r)], SIGKILL);  // works on a stopped process too; the others see their peer gone
      sent[size_t(r)] = SIGKILL;
      hung_rank = r;
      stopping = true;
      term_at = Clock::now() + std::chrono::milliseconds(500);
    }
    if (Clock::now() > term_at) {
      signal_alive(SIGTERM);
      term_at = Clock::time_point::max();
      kill_at = Clock::now() + std::chrono::seconds(10);
    }
    if (Clock::now() > kill_at) {
      signal_alive(SIGKILL);
      kill_at = Clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  close_beats();
  if (hung_rank >= 0) {
    std::fprintf(stderr,
                 "error: distributed training failed: rank %d of %d hung (no heartbeat for %.0f s) and was killed; %s\n",
                 hung_rank, world, std::chrono::duration<double>(heartbeat_timeout).count(),
                 beats[size_t(hung_rank)].last_activity(Clock::now()).c_str());
    return 1;
  }
  if (!failures.empty()) {
    Failure root = failures.front();
    for (const Failure& f : failures)
      if (!(WIFEXITED(f.status) && WEXITSTATUS(f.status) == dist::kPeerLostExitCode)) {
        root = f;
        break;
      }
    std::fprintf(stderr, "error: distributed training failed: rank %d of %d exited with %s (see its messages above)\n",
                 root.rank, world, status_text(root.status).c_str());
    return WIFEXITED(root.status) && WEXITSTATUS(root.status) != 0 ? WEXITSTATUS(root.status) : 1;
  }
  return interrupted ? 130 : 0;
}

}  // namespace ye::cli

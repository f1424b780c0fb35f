// Signal handlers of the clean stop (see stop_signals.h). Handlers need process-wide flags: these
// two atomics are the only ones, and the handlers only store to them or call _Exit.
#include "yolo/cli/stop_signals.h"

#include <csignal>
#include <cstdlib>

namespace ye::cli {
namespace {
std::atomic<bool> g_stop_requested{false};
std::atomic<int> g_stop_signal{0};

void on_stop_signal(int sig) {
  int none = 0;
  g_stop_signal.compare_exchange_strong(none, sig);
  if (g_stop_requested.exchange(true)) std::_Exit(128 + sig);  // a second signal ends at once
}
}  // namespace

const std::atomic<bool>* stop_requested() { return &g_stop_requested; }

void install_stop_signals(bool also_sigterm) {
  std::signal(SIGINT, on_stop_signal);
  if (also_sigterm) std::signal(SIGTERM, on_stop_signal);
}

int stop_exit_code() {
  const int sig = g_stop_signal.load();
  return 128 + (sig != 0 ? sig : SIGINT);
}

}  // namespace ye::cli

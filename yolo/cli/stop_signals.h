// Clean-stop signals of `yolo train`: SIGINT (Ctrl-C), and SIGTERM in a single-process run, ask the
// trainer to stop at the next batch, save last.safetensors and exit 128 + signal (130, 143); a second
// signal ends the process at once. Ranks of a distributed run leave SIGTERM to its default, which
// the launcher uses to stop them. Defines stop_requested, install_stop_signals and stop_exit_code.
#pragma once
#include <atomic>

namespace ye::cli {

const std::atomic<bool>* stop_requested();
void install_stop_signals(bool also_sigterm);
int stop_exit_code();  // 128 + the first stop signal received (130 when none)

}  // namespace ye::cli

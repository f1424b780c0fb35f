// `yolo synth`: placeholder until the data pipeline lands (owned by the data pipeline work).
#include "yolo/cli/commands.h"

namespace ye::cli {
void add_synth_command(CLI::App& app) { app.add_subcommand("synth", "(not yet available)"); }
}  // namespace ye::cli

// `yolo data`: placeholder until the data pipeline lands (owned by the data pipeline work).
#include "yolo/cli/commands.h"

namespace ye::cli {
void add_data_command(CLI::App& app) { app.add_subcommand("data", "(not yet available)"); }
}  // namespace ye::cli

// The subcommands of the `yolo` command. Each lives in its own cmd_<name>.cpp, which adds its
// options and callback to the CLI11 app; main.cpp only calls these and reports errors.
#pragma once
#include <CLI/CLI.hpp>

namespace ye::cli {
void add_data_command(CLI::App& app);
void add_synth_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_val_command(CLI::App& app);
void add_predict_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_profile_command(CLI::App& app);
}  // namespace ye::cli

// Entry point of the `yolo` command: registers the subcommands and turns every error into a clear
// one-line message and a non-zero exit code (never an uncaught exception or a crash).
#include <cstdio>
#include <exception>

#include "kernels/error.h"
#include "yolo/cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"yolo: train, validate and run YOLOv8 / YOLO11 detectors"};
  app.require_subcommand(1);
  ye::cli::add_data_command(app);
  ye::cli::add_synth_command(app);
  ye::cli::add_demo_command(app);
  ye::cli::add_train_command(app);
  ye::cli::add_info_command(app);
  ye::cli::add_val_command(app);
  ye::cli::add_predict_command(app);
  ye::cli::add_bench_command(app);
  ye::cli::add_profile_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ye::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}

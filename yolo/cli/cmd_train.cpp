// `yolo train`: parses the reference's argument forms (--key value, --key=value, key=value) with
// yolo/config/train_args.h, resumes a run with --resume [checkpoint] (bare: the newest last checkpoint
// under runs/), runs the embedded default when no --data is given, and turns Ctrl-C into a clean stop
// that saves last.safetensors (exit status 130).
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "yolo/cli/commands.h"
#include "yolo/config/train_args.h"
#include "yolo/train/resume_args.h"
#include "yolo/train/trainer.h"

namespace ye::cli {
namespace {
// Set by SIGINT; the only process-wide flag outside the device contexts (signals need one).
std::atomic<bool> g_stop_requested{false};
void on_sigint(int) {
  if (g_stop_requested.exchange(true)) std::_Exit(130);  // a second Ctrl-C ends at once
}

int run_train(const std::vector<std::string>& raw, bool force_default) {
  yolo::ParsedTrainArgs parsed = yolo::parse_train_args(raw);
  if (parsed.help) {
    std::printf("%s", yolo::train_help_text().c_str());
    return 0;
  }
  yolo::TrainArgs args = parsed.args;
  if (args.resume.enabled()) {
    std::filesystem::path ckpt = yolo::resume_checkpoint(parsed);
    if (!args.resume.is_text())
      std::printf("Resuming the most recent checkpoint under %s: %s\n", yolo::resume_search_dir(parsed).c_str(),
                  ckpt.c_str());
    for (const auto& k : yolo::ignored_resume_keys(parsed))
      std::printf("--resume: --%s is ignored (a resumed run keeps its saved settings; only --imgsz, --batch, "
                  "--device and --close_mosaic may change)\n", k.c_str());
    args = yolo::resumed_train_args(parsed, ckpt);
  } else if (force_default || args.data.empty()) {
    args = yolo::embedded_default_args(args, parsed.explicit_keys);
  }
  std::signal(SIGINT, on_sigint);
  yolo::Trainer trainer(args, &g_stop_requested);
  yolo::TrainSummary s = trainer.train();
  if (!s.interrupted)
    std::printf("final: mAP50 %.4f  mAP50-95 %.4f  P %.4f  R %.4f  (%s)\n", s.map50, s.map50_95, s.precision,
                s.recall, s.save_dir.c_str());
  return s.interrupted ? 130 : 0;
}

std::vector<std::string> remaining_args(CLI::App* cmd) {
  std::vector<std::string> raw = cmd->remaining();
  return raw;
}
}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("train", "train a YOLOv8 / YOLO11 detector (yolo train --help lists every argument)");
  cmd->prefix_command();
  cmd->set_help_flag();
  cmd->callback([cmd] {
    int rc = run_train(remaining_args(cmd), false);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "the embedded default run: synthetic shapes dataset, yolov8n, a few minutes on a CPU");
  cmd->prefix_command();
  cmd->set_help_flag();
  cmd->callback([cmd] {
    int rc = run_train(remaining_args(cmd), true);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ye::cli

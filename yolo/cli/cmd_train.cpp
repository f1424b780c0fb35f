// `yolo train`: parses the reference's argument forms (--key value, --key=value, key=value) with
// yolo/config/train_args.h, resumes a run with --resume [checkpoint] (bare: the newest last checkpoint
// under runs/), runs the embedded default when no --data is given, and turns Ctrl-C (and SIGTERM when
// single-process) into a clean stop that saves last.safetensors (exit status 130 / 143, stop_signals.h).
// Several devices (--device 0,1 or --device cpu --world N) start one process per rank through
// launcher.h unless this process already is a rank (RANK set); every rank of a distributed run watches
// the others' liveness (rank_watch.h), whoever launched it.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "engine/device.h"
#include "engine/dist/communicator.h"
#include "engine/dist/dist_env.h"
#include "kernels/error.h"
#include "yolo/cli/commands.h"
#include "yolo/cli/heartbeat.h"
#include "yolo/cli/launcher.h"
#include "yolo/cli/rank_watch.h"
#include "yolo/cli/stop_signals.h"
#include "yolo/config/devices.h"
#include "yolo/config/train_args.h"
#include "yolo/train/activity.h"
#include "yolo/train/resume_args.h"
#include "yolo/train/trainer.h"

namespace ye::cli {
namespace {
int run_train(const std::vector<std::string>& given, bool force_default, const char* subcommand) {
  std::vector<std::string> raw = given;
  const int world_flag = yolo::take_world_flag(raw);
  const int master_port_flag = yolo::take_master_port_flag(raw);
  const dist::DistEnv env = dist::read_dist_env();
  yolo::TrainActivity activity;  // what the trainer is doing, for the heartbeat
  const HeartbeatSender heartbeat(activity);  // to the launcher, when it started this rank
  const bool quiet = env.distributed() && !env.main_rank();  // ranks other than 0 do not log
  yolo::ParsedTrainArgs parsed = yolo::parse_train_args(raw);
  if (parsed.help) {
    std::printf("%s", yolo::train_help_text().c_str());
    std::printf("\nSeveral processes (docs/DISTRIBUTED.md): --device 0,1,2,3 trains on 4 GPUs, one process each\n"
                "(batch is the total over all GPUs); --device cpu --world N runs N CPU processes. Under torchrun\n"
                "--no-python, mpirun or srun the ranks come from RANK/WORLD_SIZE/LOCAL_RANK (or the MPI/Slurm\n"
                "equivalents) and MASTER_ADDR/MASTER_PORT. YE_DIST_TIMEOUT (seconds, default 1800) bounds every wait;\n"
                "a rank silent for YE_HEARTBEAT_TIMEOUT (seconds, default 30) is hung and ends the run.\n");
    return 0;
  }
  yolo::TrainArgs args = parsed.args;
  if (args.resume.enabled()) {
    std::filesystem::path ckpt = yolo::resume_checkpoint(parsed);
    if (!args.resume.is_text() && !quiet)
      std::printf("Resuming the most recent checkpoint under %s: %s\n", yolo::resume_search_dir(parsed).c_str(),
                  ckpt.c_str());
    for (const auto& k : yolo::ignored_resume_keys(parsed))
      if (!quiet) std::printf("--resume: --%s is ignored (a resumed run keeps its saved settings; only --imgsz, --batch, "
                  "--device and --close_mosaic may change)\n", k.c_str());
    args = yolo::resumed_train_args(parsed, ckpt);
  } else if (force_default || args.data.empty()) {
    args = yolo::embedded_default_args(args, parsed.explicit_keys);
  }
  if (!env.distributed()) {
    yolo::LaunchSpec spec = yolo::launch_spec(args.device, world_flag);
    if (spec.spawn()) {
      for (const auto& d : spec.devices) {  // fail here, once, rather than in every rank
        Device dev = Device::parse(d);
        YE_CHECK(dev.is_cuda() && built_with_cuda(), "--device ", args.device, ": ", d,
                 " is not a CUDA device of this build; use GPU indices, or --device cpu --world N");
        YE_CHECK(dev.index < cuda_device_count(), "--device ", args.device, ": only ", cuda_device_count(),
                 " CUDA device(s) present");
      }
      std::vector<std::string> argv{"yolo", subcommand};
      argv.insert(argv.end(), given.begin(), given.end());
      return launch_ranks(argv, spec.world, master_port_flag);
    }
  } else {
    YE_CHECK(world_flag == 0 || world_flag == env.world_size, "--world ", world_flag, " but WORLD_SIZE=",
             env.world_size, " (", env.source, ")");
  }
  args.world = env.world_size;  // written to args.yaml
  install_stop_signals(!env.distributed());
  yolo::TrainSummary s;
  std::unique_ptr<dist::LivenessWatch> watch;  // a hung or vanished rank ends this one at once
  try {
    if (env.distributed()) watch = watch_ranks(env, activity);  // before the trainer's group, same port
    yolo::Trainer trainer(args, stop_requested());
    trainer.report_activity(&activity);
    s = trainer.train();
  } catch (const dist::PeerError& e) {  // stopped because another rank failed: a distinct status
    if (!env.distributed()) throw;
    std::fprintf(stderr, "error: rank %d: %s\n", env.rank, e.what());
    return dist::kPeerLostExitCode;
  } catch (const Error& e) {
    if (!env.distributed()) throw;
    throw Error("rank " + std::to_string(env.rank) + ": " + e.what());
  }
  if (watch) watch->finish();  // a normal end: the other ranks stop watching this one
  if (quiet) return s.interrupted ? stop_exit_code() : 0;
  if (!s.interrupted)
    std::printf("final: mAP50 %.4f  mAP50-95 %.4f  P %.4f  R %.4f  (%s)\n", s.map50, s.map50_95, s.precision,
                s.recall, s.save_dir.c_str());
  return s.interrupted ? stop_exit_code() : 0;
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
    int rc = run_train(remaining_args(cmd), false, "train");
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

void add_demo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("demo", "the embedded default run: synthetic shapes dataset, yolov8n, a few minutes on a CPU");
  cmd->prefix_command();
  cmd->set_help_flag();
  cmd->callback([cmd] {
    int rc = run_train(remaining_args(cmd), true, "demo");
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace ye::cli

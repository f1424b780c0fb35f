// `yolo profile`: one train step of a model on random inputs, timed per layer through the public API's
// profiler: forward and backward ms, share of the step, achieved TFLOP/s and GB/s, as a table on
// stdout and a CSV (--csv, default profile_<model>_b<batch>_<imgsz>.csv); NVTX ranges in CUDA builds.
#include <cstdio>
#include <fstream>

#include "engine/device.h"
#include "kernels/error.h"
#include "yolo/cli/commands.h"
#include "yolo_engine/yolo_engine.h"

namespace ye::cli {

void add_profile_command(CLI::App& app) {
  struct Options {
    std::string model = "yolov8s", device, csv;
    int batch = 16, imgsz = 640, warmup = 2, iterations = 5;
    bool amp = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("profile", "Time one train step per layer (forward, backward, TFLOP/s, GB/s)");
  cmd->add_option("--model", opt->model, "Model name (yolov8n..x, yolo11n..x) or a .toml/.yaml model config")
      ->capture_default_str();
  cmd->add_option("--batch", opt->batch, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--imgsz", opt->imgsz, "Square input size, a multiple of 32")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--amp", opt->amp, "f16 activations with dynamic loss scaling (CUDA)");
  cmd->add_option("--device", opt->device, "cpu, 0, cuda:1, ... (default: GPU 0 when present, else cpu)");
  cmd->add_option("--warmup", opt->warmup, "Untimed steps first")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--iterations", opt->iterations, "Timed steps, averaged")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--csv", opt->csv, "CSV output path (default profile_<model>_b<batch>_<imgsz>.csv)");
  cmd->callback([opt] {
    YE_CHECK(opt->imgsz % 32 == 0, "--imgsz ", opt->imgsz, " must be a multiple of 32");
    Device device = opt->device.empty() ? (cuda_available() ? Device::cuda(0) : Device::cpu())
                                        : Device::parse(opt->device);
    if (opt->amp && !device.is_cuda()) {
      std::fprintf(stderr, "note: --amp needs a CUDA device; profiling in f32 on %s\n", device.str().c_str());
      opt->amp = false;
    }
    api::ModelOptions mo;
    mo.device = device;
    api::Model model = api::Model::create(opt->model, mo);
    api::TrainOptions to;
    to.amp = opt->amp;
    api::TrainStep trainer(model, to);
    Tensor images = api::random_images(opt->batch, opt->imgsz, opt->imgsz, device, DType::f32);
    Tensor targets = api::random_targets(opt->batch, model.spec().nc);
    api::ProfileOptions po;
    po.warmup = opt->warmup;
    po.iterations = opt->iterations;
    api::StepProfile p = api::profile_train_step(model, trainer, images, targets, po);
    std::string csv = opt->csv.empty() ? "profile_" + p.model + "_b" + std::to_string(opt->batch) + "_" +
                                             std::to_string(opt->imgsz) + ".csv"
                                       : opt->csv;
    std::ofstream f(csv);
    YE_CHECK(f.good(), "cannot write ", csv);
    f << api::profile_csv(p);
    YE_CHECK(f.good(), "writing ", csv, " failed");
    std::printf("%s", api::profile_table(p).c_str());
    std::printf("CSV: %s\n", csv.c_str());
  });
}

}  // namespace ye::cli

// `yolo info`: prints a model's layer table (index, from, repeats, params, module, arguments) and the
// reference-style summary line (layers, parameters, gradients, GFLOPs), unfused and fused.
#include <cstdio>

#include "yolo/cli/commands.h"
#include "yolo/model_spec/model_spec.h"

namespace ye::cli {

void add_info_command(CLI::App& app) {
  struct Options {
    std::string model = "yolov8n";
    std::string scale;
    int imgsz = 640;
    int nc = 0;
    bool fused = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("info", "Print a model's layers, parameters and GFLOPs");
  cmd->add_option("--model", opt->model, "Model name (yolov8n..x, yolo11n..x) or a .toml/.yaml model config")
      ->capture_default_str();
  cmd->add_option("--scale", opt->scale, "Scale letter for a config file without one in its name");
  cmd->add_option("--imgsz", opt->imgsz, "Image size for GFLOPs")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--nc", opt->nc, "Number of classes (default: the config's nc)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--fused", opt->fused, "Also print the summary of the fused (BN folded) model");
  cmd->callback([opt] {
    ye::yolo::ModelSpec spec = ye::yolo::load_model_spec(opt->model, opt->nc, opt->scale);
    std::printf("%s", ye::yolo::layer_table(spec).c_str());
    std::printf("%s\n", ye::yolo::summary_line(spec, opt->imgsz, false).c_str());
    if (opt->fused) std::printf("%s\n", ye::yolo::summary_line(spec, opt->imgsz, true, false).c_str());
  });
}

}  // namespace ye::cli

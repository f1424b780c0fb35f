// `yolo synth --out DIR --images N --classes K --imgsz S`: writes the synthetic shapes dataset
// (train/val images, exact YOLO labels, DIR/data.yaml) that the demo and most tests train on.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "data/synth.h"
#include "kernels/error.h"
#include "yolo/cli/arg_checks.h"
#include "yolo/cli/commands.h"

namespace ye::cli {

void add_synth_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("synth", "write a synthetic shapes detection dataset with a dataset YAML");
  auto opt = std::make_shared<ye::data::SynthOptions>();
  auto format = std::make_shared<std::string>("jpg");
  cmd->add_option("--out", opt->out_dir, "output folder")->required();
  cmd->add_option("--images", opt->images, "number of images (train + val)")->capture_default_str()->check(CLI::Range(2, 1000000));
  cmd->add_option("--classes", opt->classes, "number of classes (distinct shape/colour each)")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--imgsz", opt->imgsz, "long side of the images in pixels")->capture_default_str()->check(CLI::Range(32, 4096));
  cmd->add_option("--val-fraction", opt->val_fraction, "share of images in val")->capture_default_str()->check(finite_range(0.0, 1.0));
  cmd->add_option("--max-objects", opt->max_objects, "objects per image, at most")->capture_default_str()->check(CLI::Range(1, 100));
  cmd->add_option("--seed", opt->seed, "random seed")->capture_default_str();
  cmd->add_option("--format", *format, "jpg or png")->check(CLI::IsMember({"jpg", "png"}))->capture_default_str();
  cmd->callback([opt, format] {
    opt->jpeg = *format == "jpg";
    auto res = ye::data::generate_synthetic_dataset(*opt);
    std::printf("synth: wrote %d train images (%lld boxes) and %d val images (%lld boxes), %d classes\n",
                res.train_images, (long long)res.train_boxes, res.val_images, (long long)res.val_boxes, opt->classes);
    std::printf("synth: dataset YAML %s\n", res.yaml_path.c_str());
  });
}

}  // namespace ye::cli

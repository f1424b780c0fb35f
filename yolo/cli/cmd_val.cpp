// `yolo val`: validates a safetensors weights file on a dataset split like the reference's standalone
// `yolo val` (rect batches, conf 0.001, IoU 0.7, per-class table, speed line, plots, optional COCO
// JSON) and writes its outputs into runs/val/<name> (exp, exp2, ...).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "data/loader.h"
#include "kernels/error.h"
#include "yolo/cli/arg_checks.h"
#include "yolo/cli/commands.h"
#include "yolo/metrics/coco_json.h"
#include "yolo/model_spec/model_spec.h"
#include "yolo/run/console.h"
#include "yolo/run/run_dir.h"
#include "yolo/val/model_loading.h"
#include "yolo/val/validator.h"

namespace ye::cli {

void add_val_command(CLI::App& app) {
  struct Options {
    std::string weights, data, model = "yolov8n", split = "val", device = "cpu", project = "runs/val", name = "exp";
    int imgsz = 640, batch = 16, workers = 8, max_det = 300;
    float conf = 0.001f, iou = 0.7f;
    bool half = false, save_json = false, plots = true, exist_ok = false, single_cls = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("val", "Validate weights on a dataset split (mAP50, mAP50-95, P, R)");
  cmd->add_option("--weights", opt->weights, "Weights file (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--data", opt->data, "Dataset YAML")->required()->check(CLI::ExistingFile);
  cmd->add_option("--model", opt->model, "Architecture when the weights carry no \"model\" metadata")
      ->capture_default_str();
  cmd->add_option("--split", opt->split, "Dataset split")->capture_default_str();
  cmd->add_option("--imgsz", opt->imgsz, "Image size")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--batch", opt->batch, "Batch size")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--workers", opt->workers, "Loader threads")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--conf", opt->conf, "NMS score threshold")->capture_default_str()->check(finite_range(0.0, 1.0));
  cmd->add_option("--iou", opt->iou, "NMS IoU threshold")->capture_default_str()->check(finite_range(0.0, 1.0));
  cmd->add_option("--max_det", opt->max_det, "Detections kept per image")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--device", opt->device, "cpu, 0, cuda:1, ...")->capture_default_str();
  cmd->add_flag("--half", opt->half, "FP16 inputs (CUDA only, as the reference)");
  cmd->add_flag("--save_json", opt->save_json, "Write predictions.json and ground_truth.json (COCO format)");
  cmd->add_flag("--plots,!--no-plots", opt->plots, "Confusion matrices, Box curves, val_batch images (default on)");
  cmd->add_flag("--single_cls", opt->single_cls, "Treat every class as one");
  cmd->add_option("--project", opt->project, "Output folder")->capture_default_str();
  cmd->add_option("--name", opt->name, "Run name (incremented when taken)")->capture_default_str();
  cmd->add_flag("--exist_ok", opt->exist_ok, "Reuse the run folder");
  cmd->callback([opt] {
    const Device device = Device::parse(opt->device);
    const data::DatasetConfig cfg = data::load_dataset_yaml(opt->data);
    auto ds = std::make_shared<const data::Dataset>(data::Dataset::load(cfg, opt->split));
    yolo::LoadedModel lm = yolo::load_eval_model(opt->weights, opt->model, device);
    YE_CHECK(opt->single_cls || lm.net->nc() == ds->nc(), opt->weights, " has ", lm.net->nc(), " classes but ",
             opt->data, " has ", ds->nc());
    std::printf("%s\n", yolo::summary_line(lm.net->spec(), opt->imgsz, true).c_str());

    const int workers = std::min(opt->workers, int(std::max(1u, std::thread::hardware_concurrency())));
    data::Loader loader(ds, data::LoaderOptions::validation(opt->imgsz, opt->batch, workers));
    const std::filesystem::path save_dir =
        yolo::increment_path(std::filesystem::path(opt->project) / opt->name, opt->exist_ok);
    std::filesystem::create_directories(save_dir);

    yolo::ValidatorOptions vo;
    vo.conf = opt->conf, vo.iou = opt->iou, vo.max_det = opt->max_det, vo.single_cls = opt->single_cls;
    vo.input_dtype = opt->half && device.is_cuda() ? DType::f16 : DType::f32;
    vo.names = opt->single_cls ? std::vector<std::string>{"item"} : ds->names();
    vo.per_class = true;
    vo.save_dir = save_dir, vo.plots = opt->plots;
    const auto split_it = cfg.splits.find(opt->split);
    const std::string split_path =
        split_it != cfg.splits.end() && split_it->second.size() == 1 ? split_it->second.front() : std::string();
    vo.is_coco = yolo::is_coco_val_path(split_path);
    vo.save_json = opt->save_json || vo.is_coco;
    yolo::DetectionEvalModel model(*lm.net);
    const yolo::ValResult r = yolo::validate(model, loader, vo);
    std::printf("%s\n", yolo::speed_line(r.speed.preprocess, r.speed.inference, r.speed.loss, r.speed.postprocess)
                            .c_str());
    std::printf("%s\n", yolo::results_saved_line(save_dir.string()).c_str());
  });
}

}  // namespace ye::cli

// `yolo predict`: runs a safetensors weights file on an image, a folder or a .txt list of images like
// the reference's predictor (letterbox auto, conf 0.25, IoU 0.7) and writes annotated images,
// labels/<stem>.txt and predictions.json into runs/predict/<name> (exp, exp2, ...).
#include <cstdio>
#include <filesystem>

#include "kernels/error.h"
#include "yolo/cli/arg_checks.h"
#include "yolo/cli/commands.h"
#include "yolo/model_spec/model_spec.h"
#include "yolo/predict/predictor.h"
#include "yolo/predict/sources.h"
#include "yolo/run/console.h"
#include "yolo/run/run_dir.h"
#include "yolo/val/model_loading.h"

namespace ye::cli {

void add_predict_command(CLI::App& app) {
  struct Options {
    std::string weights, source, model = "yolov8n", device = "cpu", project = "runs/predict", name = "exp";
    int imgsz = 640, max_det = 300;
    float conf = 0.25f, iou = 0.7f;
    bool agnostic_nms = false, half = false, exist_ok = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("predict", "Detect objects in images with trained weights");
  cmd->add_option("--weights", opt->weights, "Weights file (.safetensors)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--source", opt->source, "An image, a folder of images or a .txt list of image paths")
      ->required();
  cmd->add_option("--model", opt->model, "Architecture when the weights carry no \"model\" metadata")
      ->capture_default_str();
  cmd->add_option("--imgsz", opt->imgsz, "Image size")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--conf", opt->conf, "Score threshold")->capture_default_str()->check(finite_range(0.0, 1.0));
  cmd->add_option("--iou", opt->iou, "NMS IoU threshold")->capture_default_str()->check(finite_range(0.0, 1.0));
  cmd->add_option("--max_det", opt->max_det, "Detections kept per image")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_flag("--agnostic_nms", opt->agnostic_nms, "One NMS over all classes");
  cmd->add_option("--device", opt->device, "cpu, 0, cuda:1, ...")->capture_default_str();
  cmd->add_flag("--half", opt->half, "FP16 inputs (CUDA only)");
  cmd->add_option("--project", opt->project, "Output folder")->capture_default_str();
  cmd->add_option("--name", opt->name, "Run name (incremented when taken)")->capture_default_str();
  cmd->add_flag("--exist_ok", opt->exist_ok, "Reuse the run folder");
  cmd->callback([opt] {
    auto log = [](const std::string& s) { std::printf("%s\n", s.c_str()); };
    const Device device = Device::parse(opt->device);
    const std::vector<std::string> files = yolo::list_image_sources(opt->source, log);
    yolo::LoadedModel lm = yolo::load_eval_model(opt->weights, opt->model, device);
    std::printf("%s\n", yolo::summary_line(lm.net->spec(), opt->imgsz, true).c_str());
    const std::filesystem::path save_dir =
        yolo::increment_path(std::filesystem::path(opt->project) / opt->name, opt->exist_ok);
    std::filesystem::create_directories(save_dir);

    yolo::PredictOptions po;
    po.imgsz = opt->imgsz, po.conf = opt->conf, po.iou = opt->iou, po.max_det = opt->max_det;
    po.agnostic_nms = opt->agnostic_nms;
    po.input_dtype = opt->half && device.is_cuda() ? DType::f16 : DType::f32;
    po.names = lm.names;
    po.save_dir = save_dir;
    po.log = log;
    yolo::DetectionEvalModel model(*lm.net);
    const yolo::PredictSummary s = yolo::predict(model, files, po);
    const int h = s.images.empty() ? 0 : s.images.back().input_h, w = s.images.empty() ? 0 : s.images.back().input_w;
    std::printf("Speed: %.1fms preprocess, %.1fms inference, %.1fms postprocess per image at shape (1, 3, %d, %d)\n",
                s.preprocess_ms, s.inference_ms, s.postprocess_ms, h, w);
    if (!s.skipped.empty()) std::printf("%zu unreadable image(s) skipped\n", s.skipped.size());
    std::printf("%s\n", yolo::results_saved_line(save_dir.string()).c_str());
  });
}

}  // namespace ye::cli

// The detection validator of the reference (DetectionValidator, 8.3.166): for each batch of a rect val
// loader: input conversion, eval forward without autograd, optional val loss (the training criterion,
// averaged over batches), NMS (conf 0.001, IoU 0.7, multi-label, max_det 300), predictions and GT mapped
// to original-image pixels, metrics; then the table, optional plots and COCO JSON. Defines
// ValidatorOptions, ValSpeed, ValResult and validate().
//
//   data::Loader loader(val_ds, data::LoaderOptions::validation(640, 32, 8));
//   DetectionEvalModel m(model);
//   ValidatorOptions o; o.input_dtype = amp ? DType::f16 : DType::f32; o.criterion = &loss;
//   ValResult r = validate(m, loader, o);   // r.map50, r.map, r.fitness, r.losses ...
#pragma once
#include <array>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/loader.h"
#include "yolo/loss/detection_loss.h"
#include "yolo/metrics/det_metrics.h"
#include "yolo/val/eval_model.h"

namespace ye::yolo {

struct ValidatorOptions {
  float conf = 0.001f;     // NMS score threshold (and the confusion matrix's, where 0.001 means 0.25)
  float iou = 0.7f;        // NMS IoU threshold
  int max_det = 300;
  bool single_cls = false;    // class-agnostic NMS, every class counted as 0
  bool agnostic_nms = false;
  DType input_dtype = DType::f32;  // f16 under AMP / --half
  DetectionLoss* criterion = nullptr;  // non-null: compute the val losses with it (training)
  std::vector<std::string> names;      // class names; empty = the loader's dataset names
  bool per_class = false;   // print per-class rows (final / standalone val; only when nc > 1)
  bool print = true;        // print the table through `log`
  // Outputs into save_dir (created when needed): plots (confusion matrices, Box curves, the first 3
  // batches' label/prediction mosaics) and predictions.json + ground_truth.json (COCO format).
  std::filesystem::path save_dir;
  bool plots = false;
  bool save_json = false;
  bool is_coco = false;     // COCO 91-id category ids in the JSON (coco_json.h is_coco_val_path)
  std::function<void(const std::string&)> log;  // table lines; default: stdout
};

// Milliseconds per image, as the reference's validator.speed.
struct ValSpeed {
  double preprocess = 0, inference = 0, loss = 0, postprocess = 0;
};

struct ValResult {
  double mp = 0, mr = 0, map50 = 0, map = 0, fitness = 0;
  DetMetrics metrics;                  // per-class arrays (ap_class_index, ap50, ap50_95, p, r), counts, confusion
  std::array<double, 3> losses{};      // val box, cls, dfl (zeros without a criterion)
  ValSpeed speed;
  int64_t images = 0, instances = 0;
  std::vector<std::string> table;      // header, "all" row, per-class rows as printed
  std::vector<std::string> files;      // files written into save_dir
};

// One batch's NMS rows (per image (n, 6), input pixels) into the accumulator, as the reference's
// update_metrics: predictions and GT mapped to original pixels (class 0 for both when single_cls).
// native (optional) receives the mapped prediction rows, per image.
void accumulate_batch(const data::Batch& b, const std::vector<std::vector<float>>& rows, bool single_cls,
                      MetricsAccumulator& acc, std::vector<std::vector<float>>* native = nullptr);

// Runs one validation pass over the loader's epoch 0 order. Autograd is off inside.
ValResult validate(EvalModel& model, data::Loader& loader, const ValidatorOptions& opt);

// The reference's metric row names for results.csv and the trainer: [mp, mr, map50, map].
inline std::array<double, 4> mean_results(const ValResult& r) { return {r.mp, r.mr, r.map50, r.map}; }

}  // namespace ye::yolo

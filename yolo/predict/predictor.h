// The detection predictor of the reference (DetectionPredictor, 8.3.166), one image at a time: load,
// LetterBox(imgsz, auto=True, stride 32) (minimal rect padding, scale-up allowed, pad 114), eval forward,
// NMS (conf 0.25, IoU 0.7, single label, max_det 300), boxes mapped back to the original image; outputs:
// annotated images, labels/<stem>.txt (class xc yc w h conf, normalized) and predictions.json.
// Defines PredictOptions, ImagePrediction, PredictSummary, letterbox_auto, predict_image and predict.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "data/image.h"
#include "yolo/val/eval_model.h"

namespace ye::yolo {

struct PredictOptions {
  int imgsz = 640;
  int stride = 32;
  float conf = 0.25f, iou = 0.7f;
  int max_det = 300;
  bool agnostic_nms = false;
  DType input_dtype = DType::f32;
  std::vector<std::string> names;     // class names; missing ids print as their number
  std::filesystem::path save_dir;     // empty = write nothing
  bool save_images = true, save_txt = true, save_json = true;
  std::function<void(const std::string&)> log;  // one line per image, the speed line; default stdout
};

struct ImagePrediction {
  std::string path;
  int h0 = 0, w0 = 0;                 // original size
  int input_h = 0, input_w = 0;       // letterboxed network input
  std::vector<float> boxes;           // (n, 4) xyxy in original pixels
  std::vector<float> conf;            // (n)
  std::vector<int32_t> cls;           // (n)
  double preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;
  size_t size() const { return conf.size(); }
};

struct PredictSummary {
  std::vector<ImagePrediction> images;  // readable images, in source order
  std::vector<std::string> skipped;     // unreadable files (a message was logged for each)
  double preprocess_ms = 0, inference_ms = 0, postprocess_ms = 0;  // mean per image
  std::vector<std::string> files;       // written files, relative to save_dir
};

// The reference predictor's LetterBox(imgsz, auto=True, stride): r = min(imgsz/h, imgsz/w), unpadded
// size rounded, padding reduced modulo stride and split (round(d - 0.1), round(d + 0.1)), pad 114.
data::Letterboxed letterbox_auto(const data::Image& img, int imgsz, int stride);

// One decoded image through the model (no files written).
ImagePrediction predict_image(EvalModel& model, const data::Image& img, const PredictOptions& opt);

// Every file: unreadable images are skipped with a message naming the file; outputs go to save_dir.
PredictSummary predict(EvalModel& model, const std::vector<std::string>& files, const PredictOptions& opt);

// The reference's Results.verbose(): "2 persons, 1 bus, " (classes ascending) or "(no detections), ".
std::string detections_summary(const ImagePrediction& p, const std::vector<std::string>& names);
// One labels/<stem>.txt line per box: "%g %g %g %g %g %g" of class, xc, yc, w, h (normalized to the
// original image, f32 like the reference's xywhn) and conf.
std::string label_lines(const ImagePrediction& p);

}  // namespace ye::yolo

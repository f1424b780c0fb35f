// The predictor (see predictor.h): letterbox, forward, NMS, mapping back, outputs.
#include "yolo/predict/predictor.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "engine/autograd.h"
#include "kernels/error.h"
#include "engine/ops.h"
#include "yolo/metrics/coco_json.h"
#include "yolo/predict/annotate.h"
#include "yolo/run/atomic_file.h"
#include "yolo/run/console.h"
#include "yolo/val/postprocess.h"

namespace fs = std::filesystem;

namespace ye::yolo {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0, Device device) {
  ops::synchronize(device);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string class_name(int32_t c, const std::vector<std::string>& names) {
  return c >= 0 && size_t(c) < names.size() ? names[size_t(c)] : std::to_string(c);
}

// Annotated images keep the source's file name; formats cairo/turbojpeg cannot write become .jpg.
std::string annotated_name(const std::string& path) {
  fs::path name = fs::path(path).filename();
  std::string ext = name.extension().string();
  for (auto& ch : ext) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  if (ext != ".jpg" && ext != ".jpeg" && ext != ".png") name.replace_extension(".jpg");
  return name.string();
}

}  // namespace

data::Letterboxed letterbox_auto(const data::Image& img, int imgsz, int stride) {
  YE_CHECK(!img.empty() && imgsz > 0 && stride > 0, "letterbox_auto: empty image or bad size");
  const double r = std::min(double(imgsz) / img.h, double(imgsz) / img.w);
  const int uw = int(std::nearbyint(img.w * r)), uh = int(std::nearbyint(img.h * r));
  const double dw = double((imgsz - uw) % stride) / 2, dh = double((imgsz - uh) % stride) / 2;
  const int top = int(std::nearbyint(dh - 0.1)), bottom = int(std::nearbyint(dh + 0.1));
  const int left = int(std::nearbyint(dw - 0.1)), right = int(std::nearbyint(dw + 0.1));
  data::Letterboxed lb;
  lb.ratio = float(r), lb.pad_left = left, lb.pad_top = top;
  const data::Image resized = (uw == img.w && uh == img.h) ? img : data::resize_bilinear(img, uh, uw);
  lb.img = data::Image(uh + top + bottom, uw + left + right, 114);
  for (int y = 0; y < uh; ++y)
    std::memcpy(lb.img.row(y + top) + size_t(left) * 3, resized.row(y), size_t(uw) * 3);
  return lb;
}

ImagePrediction predict_image(EvalModel& model, const data::Image& img, const PredictOptions& opt) {
  NoGradGuard no_grad;
  ImagePrediction p;
  p.h0 = img.h, p.w0 = img.w;
  const Device device = model.device();
  auto t0 = Clock::now();
  const data::Letterboxed lb = letterbox_auto(img, opt.imgsz, opt.stride);
  p.input_h = lb.img.h, p.input_w = lb.img.w;
  Tensor input = model.to_input(lb.img.px.data(), 1, lb.img.h, lb.img.w, opt.input_dtype);
  p.preprocess_ms = ms_since(t0, device);

  t0 = Clock::now();
  DetectOutput out = model.forward(input);
  p.inference_ms = ms_since(t0, device);

  t0 = Clock::now();
  kernels::NmsConfig nms;
  nms.conf_thres = opt.conf, nms.iou_thres = opt.iou, nms.multi_label = false;
  nms.agnostic = opt.agnostic_nms, nms.max_det = opt.max_det;
  std::vector<float> rows = nms_to_host(out.decoded, nms).at(0);
  const size_t n = rows.size() / 6;
  scale_boxes(rows.data(), n, 6, ratio_pad_from_shapes(p.input_h, p.input_w, p.h0, p.w0), p.h0, p.w0);
  for (size_t k = 0; k < n; ++k) {
    p.boxes.insert(p.boxes.end(), rows.begin() + long(6 * k), rows.begin() + long(6 * k + 4));
    p.conf.push_back(rows[6 * k + 4]);
    p.cls.push_back(int32_t(rows[6 * k + 5]));
  }
  p.postprocess_ms = ms_since(t0, device);
  return p;
}

std::string detections_summary(const ImagePrediction& p, const std::vector<std::string>& names) {
  if (p.size() == 0) return "(no detections), ";
  std::map<int32_t, int> counts;
  for (int32_t c : p.cls) ++counts[c];
  std::string s;
  for (const auto& [c, k] : counts) s += std::to_string(k) + " " + class_name(c, names) + (k > 1 ? "s" : "") + ", ";
  return s;
}

std::string label_lines(const ImagePrediction& p) {
  std::string text;
  const float w = float(p.w0), h = float(p.h0);
  for (size_t i = 0; i < p.size(); ++i) {
    const float* b = &p.boxes[4 * i];
    // xyxy2xywh then / (w, h, w, h), in f32 like the reference's Boxes.xywhn.
    const float xc = (b[0] + b[2]) / 2 / w, yc = (b[1] + b[3]) / 2 / h;
    const float bw = (b[2] - b[0]) / w, bh = (b[3] - b[1]) / h;
    char line[160];
    std::snprintf(line, sizeof(line), "%d %g %g %g %g %g\n", int(p.cls[i]), double(xc), double(yc), double(bw),
                  double(bh), double(p.conf[i]));
    text += line;
  }
  return text;
}

PredictSummary predict(EvalModel& model, const std::vector<std::string>& files, const PredictOptions& opt) {
  auto log = [&](const std::string& s) {
    if (opt.log) opt.log(s);
    else std::printf("%s\n", s.c_str());
  };
  PredictSummary sum;
  nlohmann::json records = nlohmann::json::array();
  const bool save = !opt.save_dir.empty();
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& path = files[i];
    data::Image img;
    try {
      img = data::load_image(path);
    } catch (const std::exception& e) {
      const std::string why = e.what();
      log("WARNING skipping " + (why.find(path) == std::string::npos ? path + ": " + why : why));
      sum.skipped.push_back(path);
      continue;
    }
    ImagePrediction p = predict_image(model, img, opt);
    p.path = path;
    log("image " + std::to_string(i + 1) + "/" + std::to_string(files.size()) + " " + path + ": " +
        std::to_string(p.input_h) + "x" + std::to_string(p.input_w) + " " + detections_summary(p, opt.names) +
        [&] { char b[32]; std::snprintf(b, sizeof(b), "%.1fms", p.inference_ms); return std::string(b); }());
    if (save) {
      if (opt.save_images) {
        const std::string name = annotated_name(path);
        save_annotated(img, p, opt.names, opt.save_dir / name);
        sum.files.push_back(name);
      }
      if (opt.save_txt && p.size() > 0) {
        const std::string name = "labels/" + fs::path(path).stem().string() + ".txt";
        write_file_atomic(opt.save_dir / name, label_lines(p));
        sum.files.push_back(name);
      }
      nlohmann::json dets = nlohmann::json::array();
      for (size_t k = 0; k < p.size(); ++k)
        dets.push_back({{"box", {p.boxes[4 * k], p.boxes[4 * k + 1], p.boxes[4 * k + 2], p.boxes[4 * k + 3]}},
                        {"conf", p.conf[k]},
                        {"class", p.cls[k]},
                        {"name", class_name(p.cls[k], opt.names)}});
      records.push_back({{"file", fs::path(path).filename().string()}, {"path", path}, {"width", p.w0},
                         {"height", p.h0}, {"detections", dets}});
    }
    sum.preprocess_ms += p.preprocess_ms, sum.inference_ms += p.inference_ms, sum.postprocess_ms += p.postprocess_ms;
    sum.images.push_back(std::move(p));
  }
  if (!sum.images.empty()) {
    const double n = double(sum.images.size());
    sum.preprocess_ms /= n, sum.inference_ms /= n, sum.postprocess_ms /= n;
  }
  if (save && opt.save_json) {
    write_json_file((opt.save_dir / "predictions.json").string(), records);
    sum.files.push_back("predictions.json");
  }
  return sum;
}

}  // namespace ye::yolo

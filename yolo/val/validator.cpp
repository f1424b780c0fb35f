// validate(): one pass of the detection validator over a rect val loader (see validator.h). Stage times
// follow the reference's Profile blocks (device synchronised at each boundary), summed over the pass
// and divided by the number of images.
#include "yolo/val/validator.h"

#include <chrono>
#include <cstdio>

#include "data/augment.h"
#include "engine/autograd.h"
#include "kernels/error.h"
#include "engine/ops.h"
#include "yolo/metrics/coco_json.h"
#include "yolo/run/plots.h"
#include "yolo/val/postprocess.h"
#include "yolo/val/val_outputs.h"

namespace ye::yolo {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0, Device device) {
  ops::synchronize(device);
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// The first 3 batches' mosaics: GT (normalized xywh of the batch image) and predictions (input pixels).
void plot_val_batch(const data::Batch& b, const std::vector<std::vector<float>>& rows, int max_det,
                    const std::vector<std::string>& names, const std::filesystem::path& dir,
                    std::vector<std::string>& files) {
  std::vector<std::string> paths;
  for (const auto& m : b.meta) paths.push_back(m.path);
  std::vector<BatchBox> gt, pred;
  for (size_t t = 0; t < b.num_targets(); ++t) {
    const float* r = &b.targets[6 * t];
    gt.push_back({int64_t(r[0]), int64_t(r[1]), r[2], r[3], r[4], r[5], -1.f});
  }
  for (size_t i = 0; i < rows.size(); ++i) {
    const size_t n = std::min(rows[i].size() / 6, size_t(max_det));
    for (size_t k = 0; k < n; ++k) {
      const float* r = &rows[i][6 * k];
      pred.push_back({int64_t(i), int64_t(r[5]), (r[0] + r[2]) / 2, (r[1] + r[3]) / 2, r[2] - r[0], r[3] - r[1], r[4]});
    }
  }
  const std::string stem = "val_batch" + std::to_string(b.index);
  plot_batch(b.images, b.batch_size, b.height, b.width, gt, names, dir / (stem + "_labels.jpg"), paths);
  plot_batch(b.images, b.batch_size, b.height, b.width, pred, names, dir / (stem + "_pred.jpg"), paths);
  files.push_back(stem + "_labels.jpg");
  files.push_back(stem + "_pred.jpg");
}

}  // namespace

void accumulate_batch(const data::Batch& b, const std::vector<std::vector<float>>& rows, bool single_cls,
                      MetricsAccumulator& acc, std::vector<std::vector<float>>* native) {
  YE_CHECK(rows.size() == size_t(b.batch_size), "accumulate_batch: ", rows.size(), " prediction sets for ",
           b.batch_size, " images");
  std::vector<float> gt_boxes;
  std::vector<int32_t> gt_cls;
  if (native) native->assign(rows.size(), {});
  for (int i = 0; i < b.batch_size; ++i) {
    std::vector<float> pred = rows[size_t(i)];
    const size_t n = pred.size() / 6;
    const data::ImageMeta& m = b.meta[size_t(i)];
    scale_boxes(pred.data(), n, 6, ratio_pad_from_meta(m), m.h0, m.w0);
    gt_boxes_original(b, i, gt_boxes, gt_cls);
    if (single_cls) {
      for (size_t k = 0; k < n; ++k) pred[6 * k + 5] = 0.f;
      for (auto& c : gt_cls) c = 0;
    }
    acc.add_image_rows(pred, gt_boxes, gt_cls);
    if (native) (*native)[size_t(i)] = std::move(pred);
  }
}

ValResult validate(EvalModel& model, data::Loader& loader, const ValidatorOptions& opt) {
  NoGradGuard no_grad;
  const std::vector<std::string> names = opt.names.empty() ? loader.dataset().names() : opt.names;
  YE_CHECK(!names.empty(), "validate: no class names (the dataset has none and none were given)");
  const bool outputs = !opt.save_dir.empty() && (opt.plots || opt.save_json);
  if (outputs) std::filesystem::create_directories(opt.save_dir);

  kernels::NmsConfig nms;
  nms.conf_thres = opt.conf, nms.iou_thres = opt.iou, nms.multi_label = true;
  nms.agnostic = opt.single_cls || opt.agnostic_nms, nms.max_det = opt.max_det;

  MetricsAccumulator acc(names, opt.conf);
  ValResult res;
  const Device device = model.device();
  double t_pre = 0, t_inf = 0, t_loss = 0, t_post = 0;
  std::array<double, 3> loss_sum{};
  size_t batches = 0;
  nlohmann::json jdict = nlohmann::json::array();
  std::vector<CocoGtImage> gt_images;
  const std::vector<int> category = category_ids(int(names.size()), opt.is_coco);

  loader.set_epoch(0);
  while (auto b = loader.next()) {
    ++batches;
    auto t0 = Clock::now();
    Tensor input = model.to_input(b->images, b->batch_size, b->height, b->width, opt.input_dtype);
    t_pre += seconds_since(t0, device);

    t0 = Clock::now();
    DetectOutput out = model.forward(input);
    t_inf += seconds_since(t0, device);

    if (opt.criterion) {
      t0 = Clock::now();
      const int64_t nt = int64_t(b->num_targets());
      Tensor targets = Tensor::from_vector(b->targets, Shape{nt, 6});
      const std::vector<float> comp = (*opt.criterion)(out.feats, targets, b->height, b->width).components.to_vector();
      for (int k = 0; k < 3; ++k) loss_sum[size_t(k)] += double(comp[size_t(k)]);
      t_loss += seconds_since(t0, device);
    }

    t0 = Clock::now();
    YE_CHECK(out.decoded.defined() && out.decoded.dim(0) == b->batch_size,
             "validate: the model's decoded output does not match the batch of ", b->batch_size, " images");
    std::vector<std::vector<float>> rows = nms_to_host(out.decoded, nms);
    t_post += seconds_since(t0, device);

    std::vector<std::vector<float>> native;
    accumulate_batch(*b, rows, opt.single_cls, acc, &native);
    if (opt.save_json)
      for (int i = 0; i < b->batch_size; ++i) {
        const std::vector<float>& pred = native[size_t(i)];
        const size_t n = pred.size() / 6;
        std::vector<float> boxes(n * 4), conf(n);
        std::vector<int32_t> cls(n);
        for (size_t k = 0; k < n; ++k) {
          for (size_t j = 0; j < 4; ++j) boxes[4 * k + j] = pred[6 * k + j];
          conf[k] = pred[6 * k + 4], cls[k] = int32_t(pred[6 * k + 5]);
        }
        const data::ImageMeta& m = b->meta[size_t(i)];
        const std::string file = std::filesystem::path(m.path).filename().string();
        if (n > 0) append_coco_predictions(jdict, coco_image_id(file), boxes, conf, cls, category);
        // The GT file holds the dataset's labels in original pixels (like an annotation file), not
        // the reference's ratio_pad mapping (which scales x by the h ratio).
        CocoGtImage gi{coco_image_id(file), file, m.w0, m.h0, {}, {}};
        for (const data::PixelBox& p : data::to_pixel_boxes(loader.dataset()[m.dataset_index].boxes, m.h0, m.w0)) {
          gi.boxes.insert(gi.boxes.end(), {p.x1, p.y1, p.x2, p.y2});
          gi.cls.push_back(opt.single_cls ? 0 : int32_t(p.cls));
        }
        gt_images.push_back(std::move(gi));
      }
    if (opt.plots && !opt.save_dir.empty() && b->index < 3)
      plot_val_batch(*b, rows, opt.max_det, names, opt.save_dir, res.files);
  }

  res.metrics = acc.finalize();
  const DetMetrics& dm = res.metrics;
  res.mp = dm.mp, res.mr = dm.mr, res.map50 = dm.map50, res.map = dm.map, res.fitness = dm.fitness;
  res.images = dm.images, res.instances = dm.instances();
  if (opt.criterion && batches > 0)
    for (size_t k = 0; k < 3; ++k) res.losses[k] = loss_sum[k] / double(batches);
  const double per_image = res.images > 0 ? 1e3 / double(res.images) : 0.0;
  res.speed = {t_pre * per_image, t_inf * per_image, t_loss * per_image, t_post * per_image};

  res.table.push_back(format_val_header());
  for (auto& line : format_val_rows(dm, opt.per_class && names.size() > 1)) res.table.push_back(line);
  if (res.instances == 0)
    res.table.push_back("WARNING no labels found in detect set, can not compute metrics without labels");
  if (opt.print)
    for (const auto& line : res.table) {
      if (opt.log) opt.log(line);
      else std::printf("%s\n", line.c_str());
    }

  if (opt.plots && !opt.save_dir.empty()) write_val_plots(dm, names, opt.save_dir, res.files);
  if (opt.save_json && !opt.save_dir.empty()) {
    write_json_file((opt.save_dir / "predictions.json").string(), jdict);
    write_json_file((opt.save_dir / "ground_truth.json").string(), coco_gt_json(gt_images, names, category));
    res.files.push_back("predictions.json");
    res.files.push_back("ground_truth.json");
  }
  return res;
}

}  // namespace ye::yolo

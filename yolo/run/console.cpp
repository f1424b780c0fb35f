// Console text of the trainer and validator; see console.h. printf formats copied from the
// reference's format strings ("%11s", "%11.4g", "%.3gG", "%22s", "%11.3g").
#include "yolo/run/console.h"

#include <algorithm>
#include <cmath>

#include "yolo/config/py_format.h"

namespace ye::yolo {

std::string train_progress_header(bool extended) {
  std::string s = "\n";
  s += format("%11s%11s%11s%11s%11s%11s%11s", "Epoch", "GPU_mem", "box_loss", "cls_loss", "dfl_loss", "Instances", "Size");
  if (extended) s += format("%11s%11s", "img/s", "GPU_util");
  return s;
}

std::string progress_bar_cells(double fraction, int width) {
  static const char* kPartial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  fraction = std::clamp(fraction, 0.0, 1.0);
  int eighths = int(fraction * width * 8);
  int full = eighths / 8, part = eighths % 8;
  std::string s;
  for (int i = 0; i < full; ++i) s += "█";
  int used = full;
  if (full < width) {
    s += part ? kPartial[part] : " ";
    ++used;
  }
  s += std::string(size_t(width - used), ' ');
  return s;
}

std::string format_interval(double seconds) {
  long t = long(std::max(seconds, 0.0));
  long mins = t / 60, s = t % 60, h = mins / 60, m = mins % 60;
  return h ? format("%ld:%02ld:%02ld", h, m, s) : format("%02ld:%02ld", m, s);
}

std::string format_rate(double items_per_s) {
  if (!(items_per_s > 0)) return "?it/s";
  if (items_per_s < 1.0) return format("%5.2fs/it", 1.0 / items_per_s);
  return format("%5.2fit/s", items_per_s);
}

std::string format_train_progress(const TrainProgress& p, bool extended) {
  std::string ep = std::to_string(p.epoch + 1) + "/" + std::to_string(p.epochs);
  std::string mem = format("%.3gG", p.gpu_mem_gb);
  std::string s = format("%11s%11s%11.4g%11.4g%11.4g%11.4g%11.4g", ep.c_str(), mem.c_str(), p.losses[0], p.losses[1],
                         p.losses[2], double(p.instances), double(p.size));
  if (extended) s += format("%11.4g%11s", p.images_per_s, p.gpu_util.c_str());
  return s + progress_tail(p.done, p.total, p.elapsed_s);
}

std::string progress_tail(int64_t done, int64_t total, double elapsed_s) {
  double frac = total > 0 ? double(done) / double(total) : 0.0;
  double rate = elapsed_s > 0 ? double(done) / elapsed_s : 0.0;
  std::string remaining = rate > 0 ? format_interval(double(total - done) / rate) : "?";
  std::string s = format(": %3.0f%%|", frac * 100.0);
  s += progress_bar_cells(frac);
  s += "| " + std::to_string(done) + "/" + std::to_string(total) + " [" + format_interval(elapsed_s) + "<" + remaining;
  return s + ", " + format_rate(rate) + "]";
}

std::string format_val_progress(int64_t done, int64_t total, double elapsed_s) {
  return val_header() + progress_tail(done, total, elapsed_s);
}

std::string val_header() {
  return format("%22s%11s%11s%11s%11s%11s%11s", "Class", "Images", "Instances", "Box(P", "R", "mAP50", "mAP50-95)");
}

std::string val_row(const std::string& cls, int64_t images, int64_t instances, double p, double r, double map50,
                    double map50_95) {
  return format("%22s%11lld%11lld%11.3g%11.3g%11.3g%11.3g", cls.c_str(), (long long)images, (long long)instances, p, r,
                map50, map50_95);
}

std::string optimizer_auto_line(double lr0, double momentum) {
  return "optimizer: 'optimizer=auto' found, ignoring 'lr0=" + py_float_repr(lr0) + "' and 'momentum=" +
         py_float_repr(momentum) + "' and determining best 'optimizer', 'lr0' and 'momentum' automatically... ";
}

std::string optimizer_line(const std::string& name, double lr, double momentum, int64_t n_bn_weights,
                           int64_t n_decay_weights, double decay, int64_t n_biases) {
  return "optimizer: " + name + "(lr=" + py_float_repr(lr) + ", momentum=" + py_float_repr(momentum) +
         ") with parameter groups " + std::to_string(n_bn_weights) + " weight(decay=0.0), " +
         std::to_string(n_decay_weights) + " weight(decay=" + py_float_repr(decay) + "), " +
         std::to_string(n_biases) + " bias(decay=0.0)";
}

std::string training_start_lines(int64_t imgsz, int64_t workers, const std::string& save_dir, int64_t epochs,
                                 double time_hours) {
  std::string s = "Image sizes " + std::to_string(imgsz) + " train, " + std::to_string(imgsz) + " val\n" +
                  "Using " + std::to_string(workers) + " dataloader workers\n" + "Logging results to " + save_dir +
                  "\n" + "Starting training for ";
  return s + (time_hours > 0 ? py_float_repr(time_hours) + " hours..." : std::to_string(epochs) + " epochs...");
}

std::string epochs_completed_line(int64_t n_epochs, double seconds) {
  std::string s = "\n";
  s += std::to_string(n_epochs);
  return s + format(" epochs completed in %.3f hours.", seconds / 3600.0);
}

std::string speed_line(double preprocess_ms, double inference_ms, double loss_ms, double postprocess_ms) {
  return format("Speed: %.1fms preprocess, %.1fms inference, %.1fms loss, %.1fms postprocess per image", preprocess_ms,
                inference_ms, loss_ms, postprocess_ms);
}

std::string results_saved_line(const std::string& save_dir) { return "Results saved to " + save_dir; }

std::string validating_line(const std::string& weights_path) { return "\nValidating " + weights_path + "..."; }

std::string optimizer_stripped_line(const std::string& path, double megabytes) {
  return "Optimizer stripped from " + path + "," + format(" %.1fMB", megabytes);
}

std::string with_commas(int64_t v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string model_summary_line(const std::string& model_name, int64_t layers, int64_t parameters,
                               int64_t gradients, double gflops, bool fused) {
  std::string s = model_name + " summary" + (fused ? " (fused)" : "") + ": " + with_commas(layers) + " layers, " +
                  with_commas(parameters) + " parameters, " + with_commas(gradients) + " gradients";
  return gflops > 0 ? s + format(", %.1f GFLOPs", gflops) : s;
}

}  // namespace ye::yolo

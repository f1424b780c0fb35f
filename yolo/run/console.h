// Console lines of training and validation in the reference's formats (detect train.py
// progress_string / pbar description, val.py get_desc / print_results, trainer.py log lines),
// plus the tqdm-style bar with ETA and the engine's extra columns (images/s, GPU utilisation).
// All functions return text (no trailing newline unless stated); the trainer prints it.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace ye::yolo {

// "%11s" x 7: Epoch GPU_mem box_loss cls_loss dfl_loss Instances Size (+ img/s GPU_util when
// extended). Starts with '\n' like the reference.
std::string train_progress_header(bool extended = true);

struct TrainProgress {
  int64_t epoch = 0, epochs = 0;  // epoch is 0-based; shown as "epoch+1/epochs"
  double gpu_mem_gb = 0;          // reserved device memory / 2^30
  std::array<double, 3> losses{};  // running means: box, cls, dfl
  int64_t instances = 0;           // GT boxes in the current batch
  int64_t size = 0;                // input width
  int64_t done = 0, total = 0;     // batches done / batches per epoch
  double elapsed_s = 0;            // since the epoch started
  double images_per_s = 0;
  std::string gpu_util = "n/a";    // GpuMonitor::utilization_text
};
// The reference's description ("%11s"x2 + "%11.4g"x5) then, when extended, "%11.4g" images/s and
// "%11s" GPU util, then the tqdm bar: ": 42%|████▏     | 21/50 [00:07<00:10, 2.95it/s]".
std::string format_train_progress(const TrainProgress& p, bool extended = true);

// The tqdm tail after a description: ": 42%|████▏     | 21/50 [00:07<00:10, 2.95it/s]".
std::string progress_tail(int64_t done, int64_t total, double elapsed_s);
// The validation progress line: val_header() as the description, then progress_tail.
std::string format_val_progress(int64_t done, int64_t total, double elapsed_s);

// tqdm pieces: bar of `width` cells with 1/8 partial blocks, "MM:SS"/"H:MM:SS", rate text.
std::string progress_bar_cells(double fraction, int width = 10);
std::string format_interval(double seconds);
std::string format_rate(double items_per_s);  // "2.95it/s" or "1.52s/it"

// Validation: "%22s" + "%11s"x6 header and the "%22s%11i%11i%11.3g"x4 result row.
std::string val_header();
std::string val_row(const std::string& cls, int64_t images, int64_t instances, double p, double r,
                    double map50, double map50_95);

// "optimizer: 'optimizer=auto' found, ignoring 'lr0=0.01' and 'momentum=0.937' and determining
// best 'optimizer', 'lr0' and 'momentum' automatically... "
std::string optimizer_auto_line(double lr0, double momentum);
// "optimizer: SGD(lr=0.01, momentum=0.9) with parameter groups 57 weight(decay=0.0),
// 64 weight(decay=0.0005), 63 bias(decay=0.0)": counts of BN weights, decayed weights, biases.
std::string optimizer_line(const std::string& name, double lr, double momentum, int64_t n_bn_weights,
                           int64_t n_decay_weights, double decay, int64_t n_biases);

// "Image sizes 640 train, 640 val\nUsing 8 dataloader workers\nLogging results to <dir>\n
// Starting training for 100 epochs..." (or "for 1.5 hours..." when time is set).
std::string training_start_lines(int64_t imgsz, int64_t workers, const std::string& save_dir,
                                 int64_t epochs, double time_hours = 0);
// "\n<n> epochs completed in 0.123 hours."
std::string epochs_completed_line(int64_t n_epochs, double seconds);
// "Speed: 0.1ms preprocess, 2.3ms inference, 0.0ms loss, 0.6ms postprocess per image"
std::string speed_line(double preprocess_ms, double inference_ms, double loss_ms, double postprocess_ms);
// "Results saved to <dir>"
std::string results_saved_line(const std::string& save_dir);
// "\nValidating runs/train/exp/weights/best.pt..."
std::string validating_line(const std::string& weights_path);
// "Optimizer stripped from runs/train/exp/weights/last.pt, 6.2MB"
std::string optimizer_stripped_line(const std::string& path, double megabytes);
// "YOLOv8n summary: 129 layers, 3,157,200 parameters, 3,157,184 gradients, 8.9 GFLOPs"
// (" (fused)" after "summary" when fused; the GFLOPs part only when gflops > 0).
std::string model_summary_line(const std::string& model_name, int64_t layers, int64_t parameters,
                               int64_t gradients, double gflops, bool fused = false);
// Thousands separators like Python's "{:,}": 3157200 -> "3,157,200".
std::string with_commas(int64_t v);

}  // namespace ye::yolo

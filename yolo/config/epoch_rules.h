// Per-epoch and set-up rules of the reference trainer (8.3.166) as small pure helpers: early
// stopping, close_mosaic, which iterations get a train_batch plot, epoch checkpoints, the time
// budget, imgsz stride alignment, per-rank batch and loader workers, and the engine's
// gradient-accumulation override.
//   EarlyStopping stopper(args.patience);  stop |= stopper.update(epoch + 1, fitness) || final;
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "yolo/config/schedule.h"

namespace ye::yolo {

// Stops when `patience` epochs pass without a fitness improvement (patience 0 = never). Called
// with the 1-based epoch; zero fitness early in training always counts as the best so far.
struct EarlyStopping {
  double best_fitness = 0.0;
  int64_t best_epoch = 0;
  double patience;
  bool possible_stop = false;  // a stop may occur next epoch (the validator then makes plots)
  explicit EarlyStopping(int64_t patience_epochs)
      : patience(patience_epochs ? double(patience_epochs) : std::numeric_limits<double>::infinity()) {}
  // fitness nullopt (val=False) never stops. Returns true when training should stop.
  bool update(int64_t epoch, std::optional<double> fitness) {
    if (!fitness) return false;
    if (*fitness > best_fitness || best_fitness == 0.0) best_epoch = epoch, best_fitness = *fitness;
    double delta = double(epoch - best_epoch);
    possible_stop = delta >= patience - 1;
    return delta >= patience;
  }
};

// Mosaic (and mixup, cutmix, copy_paste) turn off at the start of 0-based epoch epochs - close_mosaic.
inline bool is_close_mosaic_epoch(int64_t epoch, int64_t epochs, int64_t close_mosaic) {
  return close_mosaic > 0 && epoch == epochs - close_mosaic;
}

// Iterations ni whose batch is saved as train_batch{ni}.jpg: 0, 1, 2 and, with close_mosaic,
// (epochs - close_mosaic) * nb + {0, 1, 2}.
inline std::vector<int64_t> train_batch_plot_iterations(int64_t nb, int64_t epochs, int64_t close_mosaic) {
  std::vector<int64_t> idx = {0, 1, 2};
  if (close_mosaic) {
    int64_t base = (epochs - close_mosaic) * nb;
    idx.insert(idx.end(), {base, base + 1, base + 2});
  }
  return idx;
}

// weights/epoch{N}.pt is written for 0-based epoch N when save_period > 0 and N % save_period == 0.
inline bool saves_epoch_checkpoint(int64_t epoch, int64_t save_period) {
  return save_period > 0 && epoch % save_period == 0;
}

// With --time, after each epoch: epochs = ceil(hours * 3600 / mean epoch seconds so far).
inline int64_t epochs_for_time_budget(double hours, double seconds_so_far, int64_t epochs_done) {
  double mean = seconds_so_far / double(epochs_done);
  return int64_t(std::ceil(hours * 3600.0 / mean));
}

// The engine's --accumulate: a positive value overrides round(nbs / batch); 0 = the reference rule.
inline int64_t resolve_accumulate(int64_t accumulate_override, int64_t nbs, int64_t batch) {
  return accumulate_override > 0 ? accumulate_override : accumulate_steps(nbs, batch);
}

// check_imgsz: imgsz rounded up to a multiple of the max stride, at least one stride (641 -> 672).
inline int64_t stride_aligned_imgsz(int64_t imgsz, int64_t stride = 32) {
  int64_t aligned = (imgsz + stride - 1) / stride * stride;
  return aligned < stride ? stride : aligned;
}

// Each rank loads batch // world_size images (the total batch is what --batch sets).
inline int64_t per_rank_batch(int64_t total_batch, int64_t world_size) {
  return total_batch / (world_size > 1 ? world_size : 1);
}

// Loader threads per rank: min(cpu_count / max(devices, 1), workers); validation uses twice that.
inline int64_t loader_workers(int64_t requested, int64_t cpu_count, int64_t devices) {
  int64_t cap = cpu_count / (devices > 1 ? devices : 1);
  return requested < cap ? requested : cap;
}

}  // namespace ye::yolo

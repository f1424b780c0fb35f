// Numeric-fault policy of training. A step whose gradients hold NaN/inf is skipped by the optimizer
// (and, under f16, lowers the loss scale: GradScaler); NonFiniteStreak stops the run when such steps
// persist (100 in a row by default), naming the last good checkpoint; check_finite_for_save refuses
// to write a checkpoint tensor with non-finite values, so a good file on disk is never replaced by one.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include "engine/io/safetensors.h"
#include "engine/optimizer.h"

namespace ye::yolo {

class NonFiniteStreak {
 public:
  // Stops after `limit` consecutive skipped steps; reads the scaler's skipped count (one host sync)
  // every `check_every` steps, so a streak is seen within `check_every` steps of reaching `limit`.
  explicit NonFiniteStreak(int64_t limit = 100, int64_t check_every = 10);

  // After every optimizer step. Throws ye::Error naming `last_checkpoint` (or saying none was
  // written yet) when the streak reaches the limit.
  void after_step(const GradScaler& scaler, const std::filesystem::path& last_checkpoint);

  // The bookkeeping alone: `steps` optimizer steps so far, `skipped_total` of them skipped (the
  // scaler's counter). True when the streak has reached the limit.
  bool observe(int64_t steps, int64_t skipped_total);
  int64_t streak() const { return streak_; }
  int64_t limit() const { return limit_; }

 private:
  int64_t limit_, check_every_;
  int64_t steps_ = 0;                     // steps seen by after_step
  int64_t last_steps_ = -1, last_skipped_ = 0;  // at the previous observation (-1: none yet)
  int64_t streak_ = 0;
};

// Throws ye::Error when an f32 tensor `t` holds a NaN or an infinity: "not writing <file>: tensor
// <name> holds N non-finite values ...; <file> on disk (if any) is left as the last good checkpoint".
void check_finite_for_save(const io::SafeTensor& t, const std::string& file);

}  // namespace ye::yolo

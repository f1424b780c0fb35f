// Numeric-fault policy (see fault_policy.h): the streak of skipped optimizer steps, observed through
// the scaler's device counter in windows, and the finiteness check of checkpoint tensors.
#include "yolo/train/fault_policy.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/error.h"

namespace ye::yolo {

NonFiniteStreak::NonFiniteStreak(int64_t limit, int64_t check_every)
    : limit_(std::max<int64_t>(1, limit)), check_every_(std::max<int64_t>(1, check_every)) {}

bool NonFiniteStreak::observe(int64_t steps, int64_t skipped_total) {
  if (last_steps_ >= 0) {
    const int64_t steps_delta = steps - last_steps_, skipped_delta = skipped_total - last_skipped_;
    if (steps_delta > 0 && skipped_delta >= steps_delta)
      streak_ += steps_delta;
    else if (steps_delta > 0)
      streak_ = 0;  // a good step in the window ends the streak
  }
  last_steps_ = steps;
  last_skipped_ = skipped_total;
  return streak_ >= limit_;
}

void NonFiniteStreak::after_step(const GradScaler& scaler, const std::filesystem::path& last_checkpoint) {
  ++steps_;
  if (steps_ % check_every_ != 0 && last_steps_ >= 0) return;
  if (!observe(steps_, scaler.skipped_steps())) return;
  const std::string where = std::filesystem::exists(last_checkpoint)
                                ? "the last good checkpoint is " + last_checkpoint.string() + " (resume with --resume " +
                                      last_checkpoint.string() + " after fixing the cause)"
                                : "no checkpoint was written yet";
  YE_FAIL("training stopped: the last ", streak_, " optimizer steps all had non-finite gradients (NaN/inf loss) and "
          "were skipped", scaler.enabled() ? " while the loss scale fell to " + std::to_string(scaler.scale_value()) : "",
          "; lower --lr0, check the data and the loss gains; ", where);
}

void check_finite_for_save(const io::SafeTensor& t, const std::string& file) {
  if (t.dtype != DType::f32) return;  // checkpoints hold f32 values; integer counters are always finite
  int64_t bad = 0;
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i) {
    float v;
    std::memcpy(&v, t.bytes.data() + 4 * i, 4);
    bad += !std::isfinite(v);
  }
  YE_CHECK(bad == 0, "not writing ", file, ": tensor ", t.name, " holds ", bad,
           " non-finite values (NaN/inf); ", file, " on disk (if any) is left as the last good checkpoint");
}

}  // namespace ye::yolo

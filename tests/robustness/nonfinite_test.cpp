// Numeric faults: the streak bookkeeping of NonFiniteStreak (windows of skipped steps), the refusal
// to write a checkpoint tensor holding NaN/inf, and end to end a run whose every step is non-finite
// (box gain 1e300, infinite in f32: every loss is inf) stops after ~100 skipped steps naming the last good
// checkpoint, which holds finite weights. (The f16 loss-scale back-off: tests/engine/optimizer_test.)
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>

#include "kernels/error.h"
#include "robustness/robust_util.h"
#include "robustness/train_fixture.h"
#include "yolo/train/checkpoint.h"
#include "yolo/train/fault_policy.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
io::SafeTensor f32_tensor(const std::string& name, std::vector<float> v) {
  io::SafeTensor t;
  t.name = name;
  t.shape = {int64_t(v.size())};
  t.bytes.resize(v.size() * 4);
  std::memcpy(t.bytes.data(), v.data(), t.bytes.size());
  return t;
}

// Every tensor of a weight file is finite.
bool all_finite(const fs::path& p) {
  for (const auto& t : io::read_safetensors(p.string()).tensors) {
    if (t.dtype != DType::f32) continue;
    for (size_t i = 0; i < t.bytes.size() / 4; ++i) {
      float v;
      std::memcpy(&v, t.bytes.data() + 4 * i, 4);
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}
}  // namespace

TEST_CASE("the non-finite streak grows over all-skipped windows and ends at a good step") {
  yolo::NonFiniteStreak s(100, 10);
  CHECK_FALSE(s.observe(0, 0));
  for (int w = 1; w <= 9; ++w) CHECK_FALSE(s.observe(10 * w, 10 * w));
  CHECK(s.streak() == 90);
  CHECK_FALSE(s.observe(100, 99));  // one good step in the window
  CHECK(s.streak() == 0);
  for (int w = 1; w <= 9; ++w) CHECK_FALSE(s.observe(100 + 10 * w, 99 + 10 * w));
  CHECK(s.observe(200, 199));
  CHECK(s.streak() == 100);
}

TEST_CASE("a checkpoint tensor with NaN or inf is refused, naming the file and the tensor") {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  CHECK_NOTHROW(yolo::check_finite_for_save(f32_tensor("ok", {1, -2, 3e38f}), "w/last.safetensors"));
  CHECK_THROWS_WITH_AS(yolo::check_finite_for_save(f32_tensor("model.0.conv.weight", {1, nan, inf}), "w/last.safetensors"),
                       doctest::Contains("not writing w/last.safetensors: tensor model.0.conv.weight holds 2 non-finite"),
                       Error);
  CHECK_THROWS_WITH_AS(yolo::check_finite_for_save(f32_tensor("b", {-inf}), "w/last.safetensors"),
                       doctest::Contains("left as the last good checkpoint"), Error);
}

TEST_CASE("a run whose steps are all non-finite stops after 100, naming the last good checkpoint") {
  fs::path dir = robust::scratch("nonfinite");
  const std::string yaml = robust::tiny_dataset(dir, 48);  // 36 train images: 18 steps per epoch
  const fs::path project = dir / "runs", last = project / "exp/weights/last.safetensors";
  std::vector<std::string> args = robust::tiny_train_args(yaml, project, 30);
  for (const char* a : {"--box", "1e300", "--accumulate", "1", "--val", "false"}) args.push_back(a);
  robust::CliResult r = robust::run_yolo(args, dir, std::chrono::seconds(400));
  INFO(r.output);
  CHECK(r.code == 1);
  CHECK(robust::contains(r.output, "training stopped: the last 1"));
  CHECK(robust::contains(r.output, "optimizer steps all had non-finite gradients"));
  CHECK(robust::contains(r.output, "the last good checkpoint is " + last.string()));
  REQUIRE(fs::exists(last));
  CHECK(all_finite(last));
  CHECK(all_finite(yolo::state_path_for(last)));
  CHECK(yolo::read_train_state_info(last).counters.epoch >= 4);
  CHECK(yolo::read_train_state_info(last).counters.epoch <= 7);
  fs::remove_all(dir);
}

// `yolo train` that cannot fit the GPU (yolov8x, imgsz 640, batch 192: far beyond 141 GiB, while every
// tensor stays under cuDNN's 2^31 elements, which imgsz 1280 / batch 64 passes): the run stops with the
// out-of-memory message (requested size, memory held, --batch/--accumulate/--imgsz), exit status 1
// (no signal, no abort), and no checkpoint at all, partial or whole.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

#include "common/oom_checks.h"
#include "data/synth.h"
#include "run/run_test_util.h"
#include "train/child_process.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
bool has(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("yolo train beyond the GPU's memory: the OOM message, exit 1, no checkpoint written") {
  fs::path yolo = test::yolo_binary();
  REQUIRE_MESSAGE(fs::exists(yolo), yolo.string(), " not found: build the yolo target");
  fs::path dir = test::fresh_dir("oom_train");
  data::SynthOptions so;
  so.out_dir = (dir / "synth").string();
  so.images = 96;
  so.imgsz = 64;
  so.seed = 5;
  std::string yaml = data::generate_synthetic_dataset(so).yaml_path;
  test::ChildProcess train(yolo,
                           {"train", "--data", yaml, "--model", "yolov8x", "--imgsz", "640", "--batch", "192",
                            "--epochs", "1", "--workers", "2", "--device", "0", "--name", "oom"},
                           dir, dir / "train.log");
  REQUIRE(train.wait(std::chrono::seconds(600)));
  std::string log = train.log_text();
  INFO(log);
  CHECK(train.exit_code() == 1);
  test::check_oom_message(log, 0);
  CHECK_FALSE(has(log, "terminate called"));
  CHECK_FALSE(has(log, "Segmentation"));
  fs::path weights = dir / "runs/train/oom/weights";
  if (fs::exists(weights)) CHECK(fs::is_empty(weights));  // neither a checkpoint nor a temporary file
  fs::remove_all(dir);
}

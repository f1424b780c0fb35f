// `yolo train` that cannot fit the GPU: the test process first takes all but 2 GiB of the card's free
// memory (cudaMalloc, held until the child ends), so yolov8x at 640, batch 32 runs out on any card
// (H100 or H200) while every tensor stays far under cuDNN's 2^31 elements. The run stops with the
// out-of-memory message (requested size, memory held, --batch/--accumulate/--imgsz), exit status 1
// (no signal, no abort), and no checkpoint at all, partial or whole. CUDA builds only (cudaMalloc).
#include <doctest/doctest.h>

#ifdef YE_WITH_CUDA
#include <cuda_runtime.h>

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

// Device memory held by this process for its lifetime: everything free on device 0 but `leave` bytes.
class MemoryHog {
 public:
  explicit MemoryHog(size_t leave) {
    size_t free = 0, total = 0;
    REQUIRE(cudaSetDevice(0) == cudaSuccess);
    REQUIRE(cudaMemGetInfo(&free, &total) == cudaSuccess);
    REQUIRE_MESSAGE(free > leave, "only ", free, " bytes free on cuda:0");
    REQUIRE(cudaMalloc(&ptr_, free - leave) == cudaSuccess);
  }
  ~MemoryHog() { cudaFree(ptr_); }
  MemoryHog(const MemoryHog&) = delete;
  MemoryHog& operator=(const MemoryHog&) = delete;

 private:
  void* ptr_ = nullptr;
};
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
  MemoryHog hog(size_t(2) << 30);
  test::ChildProcess train(yolo,
                           {"train", "--data", yaml, "--model", "yolov8x", "--imgsz", "640", "--batch", "32",
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
#endif  // YE_WITH_CUDA

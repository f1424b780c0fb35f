// Crash safety, the graceful half: SIGTERM (like Ctrl-C) saves last.safetensors and exits 143; a
// save that cannot be written (file-size limit, as a full disk: write fails with EFBIG instead of
// ENOSPC, same path) reports the file and the reason, exits 1 and leaves the previous checkpoint
// whole and resumable.
#include <chrono>
#include <filesystem>
#include <thread>

#include "robustness/robust_util.h"
#include "robustness/train_fixture.h"
#include "yolo/train/checkpoint.h"
#include "yolo/val/model_loading.h"

using namespace ye;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {
// `yolo args...` under /bin/sh with SIGXFSZ ignored and files limited to `kib` KiB.
robust::CliResult run_yolo_file_limit(const std::vector<std::string>& args, const fs::path& cwd, int kib) {
  std::string cmd = "trap '' XFSZ; ulimit -f " + std::to_string(kib) + "; exec '" + test::yolo_binary().string() + "'";
  for (const auto& a : args) cmd += " '" + a + "'";
  test::ChildProcess p("/bin/sh", {"-c", cmd}, cwd, cwd / "limited.log");
  p.wait(seconds(300));
  return {p.exit_code(), p.log_text()};
}
}  // namespace

TEST_CASE("SIGTERM stops a run cleanly: last.safetensors saved, exit status 143, resumable") {
  fs::path dir = robust::scratch("sigterm");
  const std::string yaml = robust::tiny_dataset(dir);
  const fs::path project = dir / "runs", last = project / "exp/weights/last.safetensors";
  test::ChildProcess p(test::yolo_binary(), robust::tiny_train_args(yaml, project, 200), dir, dir / "train.log");
  auto deadline = std::chrono::steady_clock::now() + seconds(120);
  while (!fs::exists(project / "exp/results.csv") && p.running() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE_MESSAGE(p.running(), p.log_text());
  p.signal(SIGTERM);
  REQUIRE(p.wait(seconds(120)));
  INFO(p.log_text());
  CHECK(p.exit_code() == 143);
  CHECK(robust::contains(p.log_text(), "Interrupted: saved"));
  CHECK_NOTHROW(yolo::load_eval_model(last.string(), "", Device::cpu()));
  yolo::TrainState st = yolo::read_train_state_info(last);
  CHECK(st.counters.epoch >= 1);
  CHECK_FALSE(st.counters.finished);
  fs::remove_all(dir);
}

TEST_CASE("a checkpoint that cannot be written is reported and the previous one stays intact") {
  fs::path dir = robust::scratch("full_disk");
  const std::string yaml = robust::tiny_dataset(dir);
  const fs::path project = dir / "runs", last = project / "exp/weights/last.safetensors";
  robust::CliResult first = robust::run_yolo(robust::tiny_train_args(yaml, project, 1), dir);
  REQUIRE_MESSAGE(first.code == 0, first.output);
  const std::string old_weights = robust::read_all(last), old_state = robust::read_all(yolo::state_path_for(last));

  // A fresh run whose files may not exceed 8192 blocks (4 MiB in dash, 8 in bash): the weights
  // (13 MB) and the training state (~63 MB) cannot be written: the first save fails and leaves nothing.
  const fs::path limited = dir / "limited";
  robust::CliResult full = run_yolo_file_limit(robust::tiny_train_args(yaml, limited, 2), dir, 8192);
  {
    INFO(full.output);
    CHECK(full.code == 1);
    CHECK(robust::contains(full.output, "error: "));
    CHECK(robust::contains(full.output, "safetensors file '" + (limited / "exp/weights/").string()));
    CHECK(robust::contains(full.output, "cannot write"));
    CHECK(robust::contains(full.output, "File too large"));
    CHECK(robust::contains(full.output, "the previous file, if any, is unchanged"));
    CHECK_FALSE(fs::exists(limited / "exp/weights/last.safetensors"));
    for (const auto& e : fs::directory_iterator(limited / "exp/weights"))
      CHECK_MESSAGE(e.path().filename().string().find(".tmp.") == std::string::npos, e.path());
  }
  // The same limit on a run over the existing checkpoint: the old pair stays byte for byte and loads.
  robust::CliResult again = run_yolo_file_limit(robust::tiny_train_args(yaml, project, 2), dir, 8192);
  INFO(again.output);
  CHECK(again.code == 1);
  CHECK(robust::read_all(last) == old_weights);
  CHECK(robust::read_all(yolo::state_path_for(last)) == old_state);
  CHECK_NOTHROW(yolo::load_eval_model(last.string(), "", Device::cpu()));
  CHECK_NOTHROW(yolo::read_train_state_info(last));
  fs::remove_all(dir);
}

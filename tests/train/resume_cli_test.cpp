// `yolo train --resume` end to end with the real binary: Ctrl-C (SIGINT) during training saves
// weights/last.safetensors and its training state and exits 130; bare --resume (the newest last
// checkpoint under runs/) then finishes every epoch; resuming a finished run, or with no runs folder,
// fails with a clear message. Also the argument forms that ask for a resume, in-process.
#include <chrono>
#include <filesystem>
#include <thread>

#include "common/harness.h"
#include "data/synth.h"
#include "kernels/error.h"
#include "engine/io/safetensors.h"
#include "run/run_test_util.h"
#include "train/child_process.h"
#include "yolo/config/resume.h"
#include "yolo/run/atomic_file.h"
#include "yolo/run/results_csv.h"
#include "yolo/train/checkpoint.h"
#include "yolo/train/resume_args.h"
#include "yolo/val/model_loading.h"

using namespace ye;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {
bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("--resume, resume=True, --resume true and the bare word resume all ask for the latest run") {
  for (auto argv : std::vector<std::vector<std::string>>{{"--resume"}, {"resume=True"}, {"--resume", "true"}, {"resume"},
                                                          {"--resume", "--batch", "2"}}) {
    yolo::ParsedTrainArgs p = yolo::parse_train_args(argv);
    CHECK(p.args.resume.flag);
    CHECK_FALSE(p.args.resume.is_text());
  }
  CHECK(yolo::parse_train_args({"--resume", "a/weights/last.safetensors"}).args.resume.text == "a/weights/last.safetensors");
  CHECK_FALSE(yolo::parse_train_args({"--resume", "false"}).args.resume.enabled());
  CHECK(yolo::resume_search_dir(yolo::parse_train_args({"--resume"})) == fs::path("runs"));
  CHECK(yolo::resume_search_dir(yolo::parse_train_args({"--resume", "--project", "elsewhere"})) == fs::path("elsewhere"));
  CHECK_THROWS_WITH_AS(yolo::resume_checkpoint(yolo::parse_train_args({"--resume", "/nonexistent/last.safetensors"})),
                       doctest::Contains("/nonexistent/last.safetensors"), Error);
  auto ignored = yolo::ignored_resume_keys(yolo::parse_train_args({"--resume", "--epochs", "9", "--batch", "2"}));
  CHECK(ignored == std::vector<std::string>{"epochs"});
}

TEST_CASE("a finished or early-stopped run has nothing to resume") {
  yolo::TrainCounters c;
  c.epoch = 2;
  CHECK_NOTHROW(yolo::check_resumable(c, 3, "w/last.safetensors"));
  c.epoch = 3;
  CHECK_THROWS_WITH_AS(yolo::check_resumable(c, 3, "w/last.safetensors"),
                       doctest::Contains("training to 3 epochs is finished, nothing to resume"), Error);
  c.epoch = 2;
  c.finished = true;
  CHECK_THROWS_WITH_AS(yolo::check_resumable(c, 3, "w/last.safetensors"), doctest::Contains("stopped early after epoch 2"),
                       Error);
}

TEST_CASE("latest_checkpoint skips training-state files") {
  fs::path d = test::fresh_dir("latest_state");
  yolo::write_file_atomic(d / "train/exp/weights/last.safetensors", "w");
  fs::last_write_time(d / "train/exp/weights/last.safetensors", fs::file_time_type::clock::now() - std::chrono::hours(1));
  yolo::write_file_atomic(d / "train/exp/weights/last.state.safetensors", "s");
  CHECK(yolo::latest_checkpoint(d) == d / "train/exp/weights/last.safetensors");
  fs::remove_all(d);
}

TEST_CASE("Ctrl-C saves last.safetensors; bare yolo train --resume then finishes the run") {
  fs::path yolo = test::yolo_binary();
  REQUIRE_MESSAGE(fs::exists(yolo), yolo.string(), " not found: build the yolo target (tests run in the build folder)");
  fs::path dir = test::fresh_dir("sigint_resume");
  data::SynthOptions so;
  so.out_dir = (dir / "synth").string();
  so.images = 20;
  so.imgsz = 64;
  so.seed = 5;
  std::string yaml = data::generate_synthetic_dataset(so).yaml_path;
  fs::path run = dir / "runs/train/exp";
  fs::path last = run / "weights/last.safetensors";
  const int64_t epochs = 3;

  // 1. Train; once epoch 1 has written its results row, press Ctrl-C during epoch 2.
  {
    test::ChildProcess train(yolo,
                             {"train", "--data", yaml, "--model", "yolov8n", "--imgsz", "64", "--batch", "4", "--epochs",
                              std::to_string(epochs), "--workers", "1", "--device", "cpu", "--plots", "false", "--name",
                              "exp", "--close_mosaic", "1"},
                             dir, dir / "train.log");
    REQUIRE(train.pid() > 0);
    auto deadline = std::chrono::steady_clock::now() + seconds(120);
    while (!fs::exists(run / "results.csv") && train.running() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE_MESSAGE(train.running(), "training ended before epoch 2: ", train.log_text());
    train.signal(SIGINT);
    REQUIRE(train.wait(seconds(120)));
    INFO(train.log_text());
    CHECK(train.exit_code() == 130);  // documented: an interrupted run exits 130 after saving
    CHECK(contains(train.log_text(), "Interrupted: saved " + (fs::path("runs/train/exp/weights") / "last.safetensors").string()));
  }
  REQUIRE(fs::exists(last));
  REQUIRE(fs::exists(yolo::state_path_for(last)));
  yolo::LoadedModel m = yolo::load_eval_model(last.string(), "", Device::cpu());
  CHECK(m.net != nullptr);
  CHECK(io::read_safetensors_metadata(last.string())["scale"] == "n");
  CHECK(m.names.size() == 3);
  yolo::TrainState st = yolo::read_train_state_info(last);
  CHECK(st.counters.epoch == 1);  // epoch 2 was interrupted: it runs again from its start
  CHECK_FALSE(st.counters.finished);
  CHECK(yolo::read_results_csv(run / "results.csv").rows.size() == 1);

  // 2. Bare --resume from the same working directory picks runs/train/exp and finishes.
  {
    test::ChildProcess resume(yolo, {"train", "--resume"}, dir, dir / "resume.log");
    REQUIRE(resume.wait(seconds(180)));
    std::string log = resume.log_text();
    INFO(log);
    CHECK(resume.exit_code() == 0);
    CHECK(contains(log, "Resuming the most recent checkpoint under runs: runs/train/exp/weights/last.safetensors"));
    CHECK(contains(log, "from epoch 2 to 3 total epochs"));
  }
  yolo::ResultsTable t = yolo::read_results_csv(run / "results.csv");
  REQUIRE(t.rows.size() == size_t(epochs));
  CHECK(t.column("epoch") == std::vector<double>{1, 2, 3});
  CHECK(yolo::read_train_state_info(last).counters.finished);
  CHECK(contains(yolo::read_file(run / "args.yaml"), "resume: runs/train/exp/weights/last.safetensors"));

  // 3. Resuming again: nothing left, said in the reference's words, exit status 1.
  {
    test::ChildProcess again(yolo, {"train", "resume"}, dir, dir / "again.log");
    REQUIRE(again.wait(seconds(60)));
    INFO(again.log_text());
    CHECK(again.exit_code() == 1);
    CHECK(contains(again.log_text(), "training to 3 epochs is finished, nothing to resume"));
  }
  // 4. No runs folder: the error names it.
  {
    fs::path empty = dir / "empty";
    fs::create_directories(empty);
    test::ChildProcess none(yolo, {"train", "--resume"}, empty, dir / "none.log");
    REQUIRE(none.wait(seconds(60)));
    INFO(none.log_text());
    CHECK(none.exit_code() == 1);
    CHECK(contains(none.log_text(), "checkpoint found under runs"));
  }
  fs::remove_all(dir);
}

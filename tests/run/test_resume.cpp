// Tests of reading settings back for --resume: the reference's own args.yaml files (goldens)
// read into TrainArgs and written again byte-identically, our args.yaml round trip, the resume
// merge rule (only imgsz, batch, device, close_mosaic from the command line) and the checkpoint search.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

#include "kernels/error.h"
#include "yolo/config/resume.h"
#include "yolo/run/atomic_file.h"

using namespace ye::yolo;
namespace fs = std::filesystem;

namespace {
std::string reference_part(const std::string& yaml) {
  size_t p = yaml.find("\nsave_dir: ");
  return yaml.substr(0, yaml.find('\n', p + 1) + 1);
}
}  // namespace

TEST_CASE("the reference's args.yaml reads back into the same settings") {
  for (const char* name : {"args_default.yaml", "args_tutorial.yaml", "args_mixed.yaml"}) {
    CAPTURE(name);
    fs::path p = fs::path(YE_SOURCE_DIR "/tests/parity/goldens/run") / name;
    std::string text = read_file(p);
    TrainArgs a = train_args_from_yaml(text, p);
    std::string save_dir = text.substr(text.find("\nsave_dir: ") + 11);
    save_dir = save_dir.substr(0, save_dir.find('\n'));
    if (save_dir.front() == '\'') save_dir = save_dir.substr(1, save_dir.size() - 2);
    CHECK(reference_part(to_yaml(a, save_dir)) == text);
  }
}

TEST_CASE("our args.yaml round-trips, including the engine keys") {
  auto p = parse_train_args({"--precision", "bf16", "--accumulate", "3", "--freeze", "[]", "--name", "''", "--sync-bn"});
  std::string y = to_yaml(p.args, "runs/train/exp");
  TrainArgs back = train_args_from_yaml(y, "args.yaml");
  CHECK(to_yaml(back, "runs/train/exp") == y);
  CHECK(back.precision == "bf16");
  CHECK(back.accumulate == 3);
  CHECK(back.sync_bn);
  CHECK_THROWS_WITH_AS(train_args_from_yaml("epochz: 3\n", "x/args.yaml"), doctest::Contains("did you mean '--epochs'"), ye::Error);
  CHECK_THROWS_WITH_AS(train_args_from_yaml("epochs: [1\n", "x/args.yaml"), doctest::Contains("x/args.yaml"), ye::Error);
}

TEST_CASE("resume keeps the saved settings except imgsz, batch, device, close_mosaic") {
  TrainArgs saved = parse_train_args({"--epochs", "50", "--batch", "32", "--data", YE_SOURCE_DIR "/configs/default.toml"}).args;
  auto cli = parse_train_args({"--resume", "--batch", "16", "--epochs", "300", "--device", "0,1", "--data", "other.yaml"});
  TrainArgs r = resume_train_args(saved, cli, "runs/train/exp/weights/last.pt");
  CHECK(r.epochs == 50);
  CHECK(r.batch == 16);
  CHECK(r.device == "0,1");
  CHECK(r.data == YE_SOURCE_DIR "/configs/default.toml");  // still exists: kept
  CHECK(r.model == "runs/train/exp/weights/last.pt");
  CHECK(r.resume.text == "runs/train/exp/weights/last.pt");
  saved.data = "/nonexistent/coco.yaml";
  CHECK(resume_train_args(saved, cli, "l.pt").data == "other.yaml");
  CHECK(run_dir_of_checkpoint("runs/train/exp/weights/last.pt") == fs::path("runs/train/exp"));
}

TEST_CASE("latest_checkpoint finds the newest last*.pt") {
  fs::path d = fs::temp_directory_path() / ("ye_test_resume_" + std::to_string(::getpid()));
  fs::remove_all(d);
  CHECK_THROWS_AS(latest_checkpoint(d), ye::Error);
  write_file_atomic(d / "train/exp/weights/last.pt", "a");
  write_file_atomic(d / "train/exp/weights/best.pt", "b");
  fs::last_write_time(d / "train/exp/weights/last.pt", fs::file_time_type::clock::now() - std::chrono::hours(1));
  write_file_atomic(d / "train/exp2/weights/last.safetensors", "c");
  write_file_atomic(d / "train/exp2/weights/last.txt", "not weights");
  CHECK(latest_checkpoint(d) == d / "train/exp2/weights/last.safetensors");
  fs::remove_all(d);
}

// Bad-input matrix, command-line values: negative epochs, imgsz 0, batch abc, lr0 nan, inf gains,
// unknown keys and model names, devices this build lacks, out-of-range val/predict values. Each exits
// non-zero (no signal) with a message naming the argument, before any training starts.
#include <filesystem>

#include "data/synth.h"
#include "robustness/robust_util.h"

using namespace ye;
namespace fs = std::filesystem;

TEST_CASE("yolo train refuses out-of-range and malformed values, naming the argument") {
  fs::path d = robust::scratch("cli_args");
  data::SynthOptions so;
  so.out_dir = (d / "synth").string();
  so.images = 4;
  so.imgsz = 64;
  const std::string yaml = data::generate_synthetic_dataset(so).yaml_path;
  struct Case { std::vector<std::string> args; const char* says; };
  const Case cases[] = {
      {{"--epochs", "-1"}, "argument --epochs must be >= 0, got -1"},
      {{"--imgsz", "0"}, "argument --imgsz must be positive, got 0"},
      {{"imgsz=-64"}, "argument --imgsz must be positive"},
      {{"--batch", "abc"}, "argument --batch expects an integer, got 'abc'"},
      {{"--batch", "0"}, "argument --batch must be positive"},
      {{"--lr0", "nan"}, "argument --lr0 expects"},
      {{"--lr0", "-0.5"}, "argument --lr0 expects a number between 0.0 and 1.0"},
      {{"--box", "inf"}, "argument --box expects a number, got 'inf'"},
      {{"--warmup_epochs", "1e999"}, "argument --warmup_epochs expects a number"},
      {{"--epochs", "3.5"}, "argument --epochs expects an integer"},
      {{"--epochs", "99999999999999999999"}, "argument --epochs expects an integer"},
      {{"--amp", "maybe"}, "unexpected argument 'maybe'"},
      {{"amp=maybe"}, "argument --amp expects true or false"},
      {{"--optimizer", "Lion"}, "Lion"},
      {{"--colour", "red"}, "unknown argument '--colour'"},
      {{"--epochs"}, "argument --epochs needs a value"},
      {{"--model", "yolov99q"}, "unknown model 'yolov99q'"},
      {{"--device", "cuda:7"}, "--device cuda:7"},
      {{"--batch", "-1"}, "AutoBatch"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {"train", "--data", yaml, "--imgsz", "64", "--epochs", "1", "--batch", "2",
                                     "--device", "cpu", "--plots", "false", "--project", (d / "runs").string()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    INFO(c.args.front());
    robust::CliResult r = robust::run_yolo(argv, d);
    robust::check_clean_error(r, c.says);
    CHECK_FALSE(robust::contains(r.output, "Starting training"));
  }
  fs::remove_all(d);
}

TEST_CASE("yolo val, predict, info and synth refuse bad values with a message") {
  fs::path d = robust::scratch("cli_other");
  struct Case { std::vector<std::string> args; const char* says; };
  robust::write_file(d / "w.safetensors", "");
  robust::write_file(d / "data.yaml", "train: .\nval: .\nnames: [a]\n");
  const Case cases[] = {
      {{"val", "--weights", "w.safetensors", "--data", "data.yaml", "--imgsz", "0"}, "--imgsz"},
      {{"val", "--weights", "w.safetensors", "--data", "data.yaml", "--conf", "nan"}, "--conf"},
      {{"val", "--weights", "w.safetensors", "--data", "data.yaml", "--iou", "2"}, "--iou"},
      {{"val", "--weights", "absent.safetensors", "--data", "data.yaml"}, "absent.safetensors"},
      {{"predict", "--weights", "w.safetensors", "--source", "nowhere/"}, "nowhere"},
      {{"predict", "--weights", "w.safetensors", "--source", ".", "--max_det", "-4"}, "--max_det"},
      {{"info", "--model", "yolov8n", "--imgsz", "abc"}, "--imgsz"},
      {{"info", "--model", "yolov8n", "--nc", "-2"}, "--nc"},
      {{"synth", "--out", "s", "--images", "-5"}, "--images"},
      {{"frobnicate"}, "A subcommand is required"},
  };
  for (const Case& c : cases) {
    const std::string label = c.args.front() + " " + c.args.back();
    INFO(label);
    robust::CliResult r = robust::run_yolo(c.args, d);
    INFO(r.output);
    CHECK(r.code > 0);
    CHECK(r.code < 128);
    CHECK(robust::contains(r.output, c.says));
    CHECK_FALSE(robust::contains(r.output, "runtime error:"));
  }
  fs::remove_all(d);
}

// Tests of the training settings: the embedded defaults equal configs/default.toml and the
// reference's default.yaml (golden args.yaml from the venv), every command-line form, aliases,
// the seed tutorial command verbatim, unknown-argument suggestions, malformed values, help text.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "kernels/error.h"
#include "yolo/config/py_format.h"
#include "yolo/config/train_args.h"

using namespace ye::yolo;

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
const std::string kGolden = YE_SOURCE_DIR "/tests/parity/goldens/run/";

std::string error_of(const std::vector<std::string>& argv) {
  try {
    parse_train_args(argv);
  } catch (const ye::Error& e) {
    return e.what();
  }
  return "";
}

// Our args.yaml up to and including the save_dir line (the reference part).
std::string reference_part(const std::string& yaml) {
  size_t p = yaml.find("\nsave_dir: ");
  REQUIRE(p != std::string::npos);
  return yaml.substr(0, yaml.find('\n', p + 1) + 1);
}
}  // namespace

TEST_CASE("embedded defaults are byte-identical to configs/default.toml") {
  std::string file = slurp(YE_SOURCE_DIR "/configs/default.toml");
  CHECK_MESSAGE(default_config_toml() == file,
                "configs/default.toml changed: run `python3 tests/parity/gen_run.py embed`");
}

TEST_CASE("defaults equal the reference default.yaml (args.yaml golden from the venv)") {
  TrainArgs d = default_train_args();
  CHECK(d.epochs == 100);
  CHECK(d.batch == 16);
  CHECK(d.lr0 == 0.01);
  CHECK(d.momentum == 0.937);
  CHECK(d.warmup_bias_lr == 0.1);
  CHECK(d.nbs == 64);
  CHECK(d.pretrained.flag);
  CHECK_FALSE(d.time.has_value());
  CHECK(d.precision == "auto");
  CHECK(d.accumulate == 0);
  CHECK(d.max_grad_norm == 10.0);
  std::string ours = to_yaml(d, "runs/train/exp");
  CHECK(reference_part(ours) == slurp(kGolden + "args_default.yaml"));
  CHECK(ours.find("\nprecision: auto\naccumulate: 0\n") != std::string::npos);
}

TEST_CASE("the seed tutorial command parses verbatim") {
  // yolo train --data coco.yaml --cfg yolov8s.yaml --weights '' --batch 64 --amp
  auto p = parse_train_args({"--data", "coco.yaml", "--cfg", "yolov8s.yaml", "--weights", "", "--batch", "64", "--amp"});
  CHECK(p.args.data == "coco.yaml");
  CHECK(p.args.model == "yolov8s.yaml");
  CHECK_FALSE(p.args.pretrained.enabled());
  CHECK(p.args.batch == 64);
  CHECK(p.args.amp);
  CHECK(p.explicit_keys == std::vector<std::string>{"data", "model", "pretrained", "batch", "amp"});
  CHECK(reference_part(to_yaml(p.args, "runs/train/exp2")) == slurp(kGolden + "args_tutorial.yaml"));
}

TEST_CASE("mixed overrides format like the reference's args.yaml") {
  auto p = parse_train_args({"epochs=3", "--lr0=0.00001", "--cache", "ram", "device=0,1", "--name", "my run: 1",
                             "freeze=[0,1,2]", "--conf", "0.25", "--optimizer", "adamw", "--warmup-epochs", "0.5",
                             "--weights", "weights/yolov8s.pt", "project=true", "--close_mosaic", "0"});
  CHECK(p.args.optimizer == "AdamW");
  CHECK(p.args.cache_mode() == "ram");
  CHECK(p.args.pretrained.text == "weights/yolov8s.pt");
  CHECK(reference_part(to_yaml(p.args, "runs/x/my run: 1")) == slurp(kGolden + "args_mixed.yaml"));
}

TEST_CASE("argument forms: --k v, --k=v, k=v, dashes, booleans") {
  CHECK(parse_train_args({"--epochs", "7"}).args.epochs == 7);
  CHECK(parse_train_args({"--epochs=8"}).args.epochs == 8);
  CHECK(parse_train_args({"epochs=9"}).args.epochs == 9);
  CHECK(parse_train_args({"--warmup_epochs", "2"}).args.warmup_epochs == 2.0);
  CHECK(parse_train_args({"--warmup-epochs", "2.5"}).args.warmup_epochs == 2.5);
  CHECK(parse_train_args({"warmup-epochs=1"}).args.warmup_epochs == 1.0);
  CHECK(parse_train_args({"--amp"}).args.amp);
  CHECK_FALSE(parse_train_args({"--amp", "false"}).args.amp);
  CHECK_FALSE(parse_train_args({"amp=False"}).args.amp);
  CHECK(parse_train_args({"amp=True"}).args.amp);
  CHECK_FALSE(parse_train_args({"--amp=0"}).args.amp);
  auto p = parse_train_args({"--cos-lr", "--batch", "32"});  // a bare flag followed by another flag
  CHECK(p.args.cos_lr);
  CHECK(p.args.batch == 32);
  CHECK(parse_train_args({"--save_period", "-1"}).args.save_period == -1);  // negative values
  CHECK(parse_train_args({"--batch", "-1"}).args.batch == -1);
  CHECK(parse_train_args({"--img", "320"}).args.imgsz == 320);
  CHECK(parse_train_args({"--img-size", "416"}).args.imgsz == 416);
  CHECK(parse_train_args({"--batch-size", "8"}).args.batch == 8);
  CHECK(parse_train_args({"--model", "yolo11n.yaml"}).args.model == "yolo11n.yaml");
  CHECK(parse_train_args({"--time", "1.5"}).args.time == 1.5);
  CHECK_FALSE(parse_train_args({"time=None"}).args.time.has_value());
  CHECK(parse_train_args({"--resume"}).args.resume.flag);
  CHECK(parse_train_args({"--resume", "runs/train/exp/weights/last.pt"}).args.resume.text == "runs/train/exp/weights/last.pt");
  CHECK(parse_train_args({"--cache"}).args.cache_mode() == "ram");
  CHECK(parse_train_args({"cache=disk"}).args.cache_mode() == "disk");
  CHECK(parse_train_args({"--freeze", "10"}).args.freeze.values == std::vector<int64_t>{10});
  CHECK(parse_train_args({"--device", "0,1,2,3"}).args.device == "0,1,2,3");
  CHECK(parse_train_args({"--help"}).help);
  CHECK(parse_train_args({"name='run a'"}).args.name == "run a");
}

TEST_CASE("precision resolves from amp when auto") {
  CHECK(parse_train_args({}).args.resolved_precision() == Precision::fp16);
  CHECK(parse_train_args({"--amp", "false"}).args.resolved_precision() == Precision::fp32);
  CHECK(parse_train_args({"--precision", "bf16"}).args.resolved_precision() == Precision::bf16);
  CHECK(parse_train_args({"--precision", "TF32"}).args.resolved_precision() == Precision::tf32);
}

TEST_CASE("unknown arguments name the nearest valid one") {
  std::string e = error_of({"--epoch", "3"});
  CHECK(e.find("'--epoch'") != std::string::npos);
  CHECK(e.find("did you mean '--epochs'") != std::string::npos);
  CHECK(error_of({"lr=0.1"}).find("did you mean '--lr0'") != std::string::npos);
  CHECK(error_of({"--warmup-epoch", "3"}).find("did you mean '--warmup_epochs'") != std::string::npos);
  CHECK(error_of({"--weight", "x.pt"}).find("did you mean '--weights'") != std::string::npos);
  CHECK(error_of({"-epochs", "3"}).find("did you mean '--epochs'") != std::string::npos);
  CHECK(error_of({"coco.yaml"}).find("unexpected argument 'coco.yaml'") != std::string::npos);
}

TEST_CASE("malformed values stop with a message naming the argument") {
  CHECK(error_of({"--epochs", "ten"}).find("--epochs expects an integer, got 'ten'") != std::string::npos);
  CHECK(error_of({"--epochs", "3.5"}).find("--epochs expects an integer") != std::string::npos);
  CHECK(error_of({"--lr0", "abc"}).find("--lr0 expects a number") != std::string::npos);
  CHECK(error_of({"--lr0", "1.5"}).find("between 0.0 and 1.0") != std::string::npos);
  CHECK(error_of({"--amp=maybe"}).find("--amp expects true or false") != std::string::npos);
  CHECK(error_of({"--optimizer", "lion"}).find("--optimizer expects one of SGD") != std::string::npos);
  CHECK(error_of({"--precision", "fp8"}).find("--precision expects one of auto") != std::string::npos);
  CHECK(error_of({"--cache", "gpu"}).find("--cache expects true, false, ram or disk") != std::string::npos);
  CHECK(error_of({"--batch"}).find("--batch needs a value") != std::string::npos);
  CHECK(error_of({"--batch", "0"}).find("--batch must be positive") != std::string::npos);
  CHECK(error_of({"--freeze", "[1,x]"}).find("--freeze expects an integer or a list") != std::string::npos);
}

TEST_CASE("help text lists every argument with its default") {
  std::string h = train_help_text();
  for (const auto& k : train_arg_keys()) CHECK_MESSAGE(h.find("  --" + k + " ") != std::string::npos, k);
  CHECK(h.find("--epochs INT") != std::string::npos);
  CHECK(h.find("[100]  number of epochs") != std::string::npos);
  CHECK(h.find("--lr0 FLOAT") != std::string::npos);
  CHECK(h.find("[0.01]") != std::string::npos);
  CHECK(h.find("--weights") != std::string::npos);
}

TEST_CASE("Python formatting helpers") {
  CHECK(py_float_repr(0.01) == "0.01");
  CHECK(py_float_repr(3.0) == "3.0");
  CHECK(py_float_repr(1e-5) == "1e-05");
  CHECK(py_float_repr(0.0001) == "0.0001");
  CHECK(py_float_repr(1e16) == "1e+16");
  CHECK(py_float_repr(123456789.5) == "123456789.5");
  CHECK(py_float_repr(-0.5) == "-0.5");
  CHECK(py_float_repr(0.1 + 0.2) == "0.30000000000000004");
  CHECK(yaml_float(1e-5) == "1.0e-05");
  CHECK(yaml_float(2.5e-7) == "2.5e-07");
  CHECK(yaml_string("") == "''");
  CHECK(yaml_string("true") == "'true'");
  CHECK(yaml_string("123") == "'123'");
  CHECK(yaml_string("a: b") == "'a: b'");
  CHECK(yaml_string("runs/train/exp") == "runs/train/exp");
  CHECK(yaml_string("it's") == "it's");
  CHECK(py_round(0.5) == 0);
  CHECK(py_round(1.5) == 2);
  CHECK(py_round(2.5) == 2);
  CHECK(py_round(-0.5) == 0);
  CHECK(py_round(1.3333) == 1);
  CHECK(py_round(0.002 * 5 / 84, 6) == 0.000119);
  CHECK(py_round(2.675, 2) == 2.67);  // binary 2.67499999...
}

// Model config loading: Ultralytics-style YAML and our TOML give identical specs, scale letters come
// from file names, user-edited YAMLs load, and malformed configs fail with errors naming the file and
// what is wrong.
#include <doctest/doctest.h>

#include "kernels/error.h"
#include "modelspec/modelspec_helpers.h"
#include "yolo/model_spec/model_spec.h"

using namespace ye::yolo;
using ye::test::config_dir;
using ye::test::ScratchDir;

namespace {

const char* kYolov8Yaml = R"(# YOLOv8 graph in the Ultralytics model YAML layout
nc: 80
scales:
  n: [0.33, 0.25, 1024]
  s: [0.33, 0.50, 1024]
  m: [0.67, 0.75, 768]
  l: [1.00, 1.00, 512]
  x: [1.00, 1.25, 512]
backbone:
  - [-1, 1, Conv, [64, 3, 2]]
  - [-1, 1, Conv, [128, 3, 2]]
  - [-1, 3, C2f, [128, True]]
  - [-1, 1, Conv, [256, 3, 2]]
  - [-1, 6, C2f, [256, True]]
  - [-1, 1, Conv, [512, 3, 2]]
  - [-1, 6, C2f, [512, True]]
  - [-1, 1, Conv, [1024, 3, 2]]
  - [-1, 3, C2f, [1024, True]]
  - [-1, 1, SPPF, [1024, 5]]
head:
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 6], 1, Concat, [1]]
  - [-1, 3, C2f, [512]]
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 4], 1, Concat, [1]]
  - [-1, 3, C2f, [256]]
  - [-1, 1, Conv, [256, 3, 2]]
  - [[-1, 12], 1, Concat, [1]]
  - [-1, 3, C2f, [512]]
  - [-1, 1, Conv, [512, 3, 2]]
  - [[-1, 9], 1, Concat, [1]]
  - [-1, 3, C2f, [1024]]
  - [[15, 18, 21], 1, Detect, [nc]]
)";

const char* kYolo11Yaml = R"(nc: 80
scales:
  n: [0.50, 0.25, 1024]
  s: [0.50, 0.50, 1024]
  m: [0.50, 1.00, 512]
  l: [1.00, 1.00, 512]
  x: [1.00, 1.50, 512]
backbone:
  - [-1, 1, Conv, [64, 3, 2]]
  - [-1, 1, Conv, [128, 3, 2]]
  - [-1, 2, C3k2, [256, False, 0.25]]
  - [-1, 1, Conv, [256, 3, 2]]
  - [-1, 2, C3k2, [512, False, 0.25]]
  - [-1, 1, Conv, [512, 3, 2]]
  - [-1, 2, C3k2, [512, True]]
  - [-1, 1, Conv, [1024, 3, 2]]
  - [-1, 2, C3k2, [1024, True]]
  - [-1, 1, SPPF, [1024, 5]]
  - [-1, 2, C2PSA, [1024]]
head:
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 6], 1, Concat, [1]]
  - [-1, 2, C3k2, [512, False]]
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]]
  - [[-1, 4], 1, Concat, [1]]
  - [-1, 2, C3k2, [256, False]]
  - [-1, 1, Conv, [256, 3, 2]]
  - [[-1, 13], 1, Concat, [1]]
  - [-1, 2, C3k2, [512, False]]
  - [-1, 1, Conv, [512, 3, 2]]
  - [[-1, 10], 1, Concat, [1]]
  - [-1, 2, C3k2, [1024, True]]
  - [[16, 19, 22], 1, Detect, [nc]]
)";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// Everything a model builder reads from a layer, as one comparable string.
std::string describe(const ModelSpec& s) {
  std::string out = s.scale + " nc=" + std::to_string(s.nc) + " legacy=" + std::to_string(s.detect_legacy) + "\n";
  for (const auto& l : s.layers) {
    out += std::to_string(l.index) + " " + module_kind_name(l.kind) + " in=";
    for (int i : l.inputs) out += std::to_string(i) + ",";
    out += " c1=" + std::to_string(l.c1) + " c2=" + std::to_string(l.c2) + " k=" + std::to_string(l.kernel) +
           " s=" + std::to_string(l.stride) + " p=" + std::to_string(l.padding) + " g=" + std::to_string(l.groups) +
           " n=" + std::to_string(l.n) + " rep=" + std::to_string(l.repeats) + " copies=" + std::to_string(l.copies) +
           " sc=" + std::to_string(l.shortcut) + " c3k=" + std::to_string(l.c3k) + " e=" + std::to_string(l.e) +
           " pool=" + std::to_string(l.pool_k) + " up=" + std::to_string(l.scale_factor) + l.mode +
           " params=" + std::to_string(l.params) + " args=" + python_str(l.args) + "\n";
  }
  return out;
}

void check_error(const std::string& path, const std::vector<std::string>& needles) {
  try {
    build_model_spec(parse_model_config(path), "n");
    FAIL("no error for " << path);
  } catch (const ye::Error& e) {
    std::string msg = e.what();
    CAPTURE(msg);
    CHECK(msg.find(path) != std::string::npos);
    for (const auto& n : needles) CHECK(msg.find(n) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("the Ultralytics YAML and our TOML give identical specs for every scale") {
  ScratchDir tmp;
  for (auto entry : {std::pair{"yolov8", kYolov8Yaml}, std::pair{"yolo11", kYolo11Yaml}}) {
    const auto family = entry.first;  // not a structured binding: CAPTURE takes it by reference (clang 14)
    const auto text = entry.second;
    std::string yaml = tmp.write(std::string(family) + ".yaml", text);
    for (const char* scale : {"n", "s", "m", "l", "x"}) {
      CAPTURE(family);
      CAPTURE(scale);
      ModelSpec from_yaml = build_model_spec(parse_model_yaml(yaml), scale);
      ModelSpec from_toml = load_model_spec(std::string(family) + scale, 0, "", config_dir());
      CHECK(describe(from_yaml) == describe(from_toml));
    }
  }
}

TEST_CASE("model names and files resolve with the reference's scale rules") {
  CHECK(guess_model_scale("yolov8s.yaml") == "s");
  CHECK(guess_model_scale("/a/b/yolo11m.yaml") == "m");
  CHECK(guess_model_scale("my-yolov8x-custom.toml") == "x");
  CHECK(guess_model_scale("yolov8.yaml") == "");
  CHECK(guess_model_scale("model.yaml") == "");

  CHECK(load_model_spec("yolov8s", 0, "", config_dir()).scale == "s");
  // A YAML name that does not exist on disk maps to the built-in config, scale from the name.
  ModelSpec y = load_model_spec("yolo11m.yaml", 0, "", config_dir());
  CHECK(y.scale == "m");
  CHECK(model_counts(y).parameters == 20114688);
  CHECK(y.name == "yolo11m");

  ScratchDir tmp;
  std::string plain = tmp.write("yolov8.yaml", kYolov8Yaml);
  CHECK(load_model_spec(plain).scale == "n");  // no scale in the name: first scale (with a warning)
  CHECK(load_model_spec(plain, 0, "l").scale == "l");
  // "yolov8s.yaml" in a folder holding yolov8.yaml loads that file with scale s (unified name).
  ModelSpec unified = load_model_spec(tmp.path("yolov8s.yaml"));
  CHECK(unified.scale == "s");
  CHECK(unified.source == plain);
  std::string toml = tmp.write("custom-yolo11s.toml", "");
  std::filesystem::copy_file(config_dir() + "/yolo11.toml", toml, std::filesystem::copy_options::overwrite_existing);
  CHECK(model_counts(load_model_spec(toml)).parameters == 9458752);

  CHECK_THROWS_WITH_AS(load_model_spec("yolov9t", 0, "", config_dir()), doctest::Contains("unknown model 'yolov9t'"), ye::Error);
  CHECK_THROWS_WITH_AS(load_model_spec("yolov8q", 0, "", config_dir()), doctest::Contains("unknown model"), ye::Error);
  CHECK_THROWS_WITH_AS(load_model_spec("yolov8s", 0, "z", config_dir()), doctest::Contains("no scale 'z'"), ye::Error);
  CHECK_THROWS_WITH_AS(load_model_spec(tmp.path("absent.yaml")), doctest::Contains("does not exist"), ye::Error);
}

TEST_CASE("a user-edited YAML loads: changed width, an extra layer, nc from the dataset") {
  ScratchDir tmp;
  // Scale n with width 0.50 is exactly yolov8s.
  std::string wide = tmp.write("wide.yaml", replace_all(kYolov8Yaml, "n: [0.33, 0.25, 1024]", "n: [0.33, 0.50, 1024]"));
  CHECK(model_counts(load_model_spec(wide, 0, "n")).parameters == 11166560);

  // An extra 1x1 Conv after SPPF (layer 10); later references shift by one.
  std::string text = replace_all(kYolov8Yaml, "  - [-1, 1, SPPF, [1024, 5]]\n",
                                 "  - [-1, 1, SPPF, [1024, 5]]\n  - [-1, 1, Conv, [1024, 1, 1]]\n");
  text = replace_all(text, "[[-1, 12], 1, Concat", "[[-1, 13], 1, Concat");
  text = replace_all(text, "[[-1, 9], 1, Concat", "[[-1, 10], 1, Concat");
  text = replace_all(text, "[[15, 18, 21], 1, Detect", "[[16, 19, 22], 1, Detect");
  ModelSpec extra = load_model_spec(tmp.write("extra-yolov8n.yaml", text));
  CHECK(extra.layers.size() == 24);
  CHECK(extra.layers[10].kind == ModuleKind::Conv);
  CHECK(extra.layers[10].kernel == 1);
  CHECK(model_counts(extra).parameters == 3157200 + 256 * 256 + 2 * 256);
  CHECK(state_dict_entries(extra).back().name == "model.23.dfl.conv.weight");

  ModelSpec nc5 = load_model_spec(wide, 5, "n");
  CHECK(nc5.detect().detect.nc == 5);
  CHECK(nc5.detect().args[0].i == 5);
}

TEST_CASE("a repeated non-repeat module becomes a Sequential of copies") {
  ScratchDir tmp;
  std::string text = replace_all(kYolov8Yaml, "  - [-1, 1, SPPF, [1024, 5]]\n",
                                 "  - [-1, 1, SPPF, [1024, 5]]\n  - [-1, 3, Conv, [1024, 1, 1]]\n");
  text = replace_all(text, "[[-1, 12], 1, Concat", "[[-1, 13], 1, Concat");
  text = replace_all(text, "[[-1, 9], 1, Concat", "[[-1, 10], 1, Concat");
  text = replace_all(text, "[[15, 18, 21], 1, Detect", "[[16, 19, 22], 1, Detect");
  ModelSpec s = load_model_spec(tmp.write("seq.yaml", text), 0, "l");  // depth 1.0: 3 copies
  CHECK(s.layers[10].copies == 3);
  bool found = false;
  for (const auto& e : state_dict_entries(s)) found |= e.name == "model.10.2.conv.weight";
  CHECK(found);
}

TEST_CASE("malformed configs fail with the file and the problem named") {
  ScratchDir tmp;
  check_error(tmp.write("nohead.yaml", "nc: 80\nbackbone:\n  - [-1, 1, Conv, [64, 3, 2]]\n"), {"head"});
  check_error(tmp.write("badmod.yaml", replace_all(kYolov8Yaml, "SPPF", "SPPX")), {"SPPX", "not supported", "layer 9"});
  check_error(tmp.write("fwd.yaml", replace_all(kYolov8Yaml, "[[-1, 6], 1, Concat", "[[-1, 16], 1, Concat")),
              {"layer 11", "does not name an earlier layer"});
  check_error(tmp.write("row.yaml", replace_all(kYolov8Yaml, "[-1, 1, Conv, [128, 3, 2]]", "[-1, 1, Conv]")),
              {"[from, repeats, module, args]", "line 11"});
  check_error(tmp.write("rep.yaml", replace_all(kYolov8Yaml, "[-1, 3, C2f, [128, True]]", "[-1, three, C2f, [128, True]]")),
              {"repeats", "three"});
  check_error(tmp.write("syntax.yaml", "nc: [80\nbackbone: ]"), {"not valid YAML"});
  check_error(tmp.write("args.yaml", replace_all(kYolov8Yaml, "[-1, 1, SPPF, [1024, 5]]", "[-1, 1, SPPF, [1024, 5, 7, 9]]")),
              {"too many arguments", "SPPF"});
  check_error(tmp.write("c2.yaml", replace_all(kYolov8Yaml, "[-1, 1, Conv, [64, 3, 2]]", "[-1, 1, Conv, [wide, 3, 2]]")),
              {"output channels"});
  check_error(tmp.write("nodetect.yaml", replace_all(kYolov8Yaml, "  - [[15, 18, 21], 1, Detect, [nc]]\n", "")),
              {"Detect"});
  check_error(tmp.write("bad.toml", "nc = 80\nscales = [\n  { scale = \"n\", depth = 0.33 \n"), {"not valid TOML", "line"});
  check_error(tmp.write("key.toml", "nc = 80\nbackbone = []\nhead = []\nwidht = 2\n"), {"unknown key 'widht'"});
  check_error(tmp.write("row.toml", "nc = 80\nbackbone = [ { from = -1, repeats = 1, module = \"Conv\" } ]\nhead = []\n"),
              {"backbone row 0", "'args'"});
  check_error(tmp.write("from.toml", "nc = 80\nbackbone = [ { from = \"x\", repeats = 1, module = \"Conv\", args = [16] } ]\nhead = []\n"),
              {"'from' must be an integer"});
  check_error(tmp.write("model.txt", "x"), {"unknown extension"});
}

TEST_CASE("args print like Python lists") {
  std::vector<ArgValue> a = {ArgValue::make_none(), ArgValue::make_int(2), ArgValue::make_string("nearest"),
                             ArgValue::make_bool(true), ArgValue::make_real(0.25), ArgValue::make_real(1.0),
                             ArgValue::make_list({ArgValue::make_int(64), ArgValue::make_int(128)})};
  CHECK(python_str(a) == "[None, 2, 'nearest', True, 0.25, 1.0, [64, 128]]");
  CHECK(python_str(ArgValue::make_real(1e-5)) == "1e-05");
}

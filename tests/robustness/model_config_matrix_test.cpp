// Bad-input matrix, model configs (Ultralytics YAML and our TOML): unknown modules, bad from-indices,
// channel mismatches, absurd channel counts, repeats and multiples, malformed rows and files. Each
// stops with ye::Error naming the config file and the layer; `yolo info` exits 1 with it. A valid
// tiny config builds, so the cases fail for the reason named and not for another.
#include <filesystem>

#include "kernels/error.h"
#include "robustness/robust_util.h"
#include "yolo/model_spec/model_spec.h"

using namespace ye;
namespace fs = std::filesystem;

namespace {
const std::string kHeader = "nc: 3\ndepth_multiple: 1.0\nwidth_multiple: 0.25\n";
const std::string kBackbone =
    "backbone:\n"
    "  - [-1, 1, Conv, [64, 3, 2]]\n"
    "  - [-1, 1, Conv, [128, 3, 2]]\n"
    "  - [-1, 1, Conv, [256, 3, 2]]\n"
    "  - [-1, 1, Conv, [512, 3, 2]]\n"
    "  - [-1, 1, Conv, [1024, 3, 2]]\n";
const std::string kHead = "head:\n  - [[2, 3, 4], 1, Detect, [nc]]\n";

yolo::ModelSpec build(const fs::path& p) { return yolo::build_model_spec(yolo::parse_model_config(p.string()), "", 3); }

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}
}  // namespace

TEST_CASE("malformed model YAML configs stop with a message naming the file and the layer") {
  fs::path d = robust::scratch("model_matrix");
  const std::string good = kHeader + kBackbone + kHead;
  robust::write_file(d / "good.yaml", good);
  REQUIRE_NOTHROW(build(d / "good.yaml"));
  CHECK(build(d / "good.yaml").layers.size() == 6);
  struct Case { const char* name; std::string text; const char* says; };
  const Case cases[] = {
      {"unknown_module.yaml", replaced(good, "[-1, 1, Conv, [128", "[-1, 1, FancyConv, [128"), "module 'FancyConv' is not supported"},
      {"from_forward.yaml", replaced(good, "[[2, 3, 4]", "[[2, 3, 9]"), "'from' index 9 does not name an earlier layer"},
      {"from_negative.yaml", replaced(good, "[-1, 1, Conv, [256", "[-7, 1, Conv, [256"), "'from' index -7"},
      {"first_not_image.yaml", replaced(good, "[-1, 1, Conv, [64", "[0, 1, Conv, [64"), "the first layer must read the image"},
      {"two_inputs.yaml", replaced(good, "[-1, 1, Conv, [256", "[[-1, 0], 1, Conv, [256"), "takes a single input"},
      {"repeat_mismatch.yaml", replaced(good, "[-1, 1, Conv, [128", "[-1, 2, Conv, [128"),
       "needs equal input and output channels"},
      {"psa_mismatch.yaml", replaced(good, "[-1, 1, Conv, [1024, 3, 2]]", "[-1, 1, C2PSA, [1024]]"), "C2PSA"},
      {"huge_channels.yaml", replaced(good, "[64, 3, 2]", "[4000000000, 3, 2]"), "output channels must be in [1, 65536]"},
      {"zero_channels.yaml", replaced(good, "[64, 3, 2]", "[0, 3, 2]"), "output channels must be in"},
      {"text_channels.yaml", replaced(good, "[64, 3, 2]", "[sixty, 3, 2]"), "output channels"},
      {"zero_stride.yaml", replaced(good, "[128, 3, 2]", "[128, 3, 0]"), "argument s = 0 must lie in [1, 32]"},
      {"zero_kernel.yaml", replaced(good, "[128, 3, 2]", "[128, 0, 2]"), "argument k = 0 must lie in"},
      {"negative_padding.yaml", replaced(good, "[128, 3, 2]", "[128, 3, 2, -1]"), "argument p = -1 must lie in"},
      {"zero_dilation.yaml", replaced(good, "[128, 3, 2]", "[128, 3, 2, 1, 1, 0]"), "argument d = 0 must lie in"},
      {"huge_stride.yaml", replaced(good, "[128, 3, 2]", "[128, 3, 99999999999]"), "argument s = 99999999999 is out of range"},
      {"bad_groups.yaml", replaced(good, "[128, 3, 2]", "[128, 3, 2, 1, 3]"), "not divisible into 3 groups"},
      {"huge_repeats.yaml", replaced(good, "[-1, 1, Conv, [128", "[-1, 100000000, Conv, [128"), "repeats must be in [1, 1000]"},
      {"zero_repeats.yaml", replaced(good, "[-1, 1, Conv, [128", "[-1, 0, Conv, [128"), "repeats must be in"},
      {"huge_width.yaml", replaced(good, "width_multiple: 0.25", "width_multiple: 1e12"), "depth and width multiples"},
      {"negative_depth.yaml", replaced(good, "depth_multiple: 1.0", "depth_multiple: -2"), "depth and width multiples"},
      {"short_row.yaml", replaced(good, "[-1, 1, Conv, [128, 3, 2]]", "[-1, Conv, [128, 3, 2]]"), "[from, repeats, module, args]"},
      {"args_not_list.yaml", replaced(good, "[128, 3, 2]", "128"), "args must be a list"},
      {"detect_not_last.yaml", good + "  - [-1, 1, Conv, [64, 3, 1]]\n", "Detect must be the last layer"},
      {"no_detect.yaml", kHeader + kBackbone + "head:\n  - [-1, 1, Conv, [64, 3, 1]]\n", "the last layer must be Detect"},
      {"no_head.yaml", kHeader + kBackbone, "'head'"},
      {"empty.yaml", "", "must be a YAML mapping"},
      {"not_yaml.yaml", "backbone: [[-1, 1, Conv\n  head: : ]\n", "is not valid YAML"},
      {"binary.yaml", std::string("\x00\xff\x13\x80", 4), "binary.yaml"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    robust::write_file(d / c.name, c.text);
    CHECK_THROWS_WITH_AS(build(d / c.name), doctest::Contains((d / c.name).string().c_str()), Error);
    CHECK_THROWS_WITH_AS(build(d / c.name), doctest::Contains(c.says), Error);
  }
  fs::remove_all(d);
}

TEST_CASE("malformed model TOML configs and unknown model names stop with a message") {
  fs::path d = robust::scratch("model_toml");
  const std::string good =
      "nc = 3\ndepth_multiple = 1.0\nwidth_multiple = 0.25\nbackbone = [\n"
      "  { from = -1, repeats = 1, module = \"Conv\", args = [64, 3, 2] },\n"
      "  { from = -1, repeats = 1, module = \"Conv\", args = [128, 3, 2] },\n"
      "  { from = -1, repeats = 1, module = \"Conv\", args = [256, 3, 2] },\n"
      "  { from = -1, repeats = 1, module = \"Conv\", args = [512, 3, 2] },\n"
      "  { from = -1, repeats = 1, module = \"Conv\", args = [1024, 3, 2] },\n]\n"
      "head = [ { from = [2, 3, 4], repeats = 1, module = \"Detect\", args = [\"nc\"] } ]\n";
  robust::write_file(d / "good.toml", good);
  REQUIRE_NOTHROW(build(d / "good.toml"));
  struct Case { const char* name; std::string text; const char* says; };
  const Case cases[] = {
      {"unknown_key.toml", "colour = 1\n" + good, "colour"},
      {"syntax.toml", good + "head = [\n", "is not valid TOML"},
      {"unknown_module.toml", replaced(good, "\"Conv\", args = [128", "\"Nope\", args = [128"), "module 'Nope' is not supported"},
      {"bad_from.toml", replaced(good, "from = [2, 3, 4]", "from = [2, 3, 40]"), "'from' index 40"},
      {"row_key.toml", replaced(good, "repeats = 1, module = \"Conv\", args = [64", "repeat = 1, module = \"Conv\", args = [64"),
       "repeat"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    robust::write_file(d / c.name, c.text);
    CHECK_THROWS_WITH_AS(build(d / c.name), doctest::Contains(c.name), Error);
    CHECK_THROWS_WITH_AS(build(d / c.name), doctest::Contains(c.says), Error);
  }
  CHECK_THROWS_WITH_AS(yolo::load_model_spec("yolov99q"), doctest::Contains("unknown model 'yolov99q'"), Error);
  CHECK_THROWS_WITH_AS(yolo::load_model_spec(d.string() + "/absent.yaml"), doctest::Contains("absent.yaml"), Error);
  robust::write_file(d / "bad.yaml", "nc: 3\n");
  robust::check_clean_error(robust::run_yolo({"info", "--model", (d / "bad.yaml").string()}, d), "bad.yaml");
  robust::check_clean_error(robust::run_yolo({"info", "--model", "yolov99q"}, d), "unknown model 'yolov99q'");
  fs::remove_all(d);
}

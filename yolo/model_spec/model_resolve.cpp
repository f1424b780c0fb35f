// Model name resolution: "yolov8s" / "yolo11n" -> the built-in configs/<family>.toml with that scale,
// "yolov8s.yaml" -> the file if it exists, else its unified name (yolov8.yaml), else the built-in
// config; the scale letter is taken from the name as the reference's guess_model_scale does.
#include <cstdlib>
#include <filesystem>
#include <regex>

#include "kernels/error.h"
#include "yolo/model_spec/model_spec.h"

namespace ye::yolo {
namespace fs = std::filesystem;

std::string guess_model_scale(const std::string& path_or_name) {
  static const std::regex re("yolo(e-)?v?\\d+([nslmx])");
  std::string stem = fs::path(path_or_name).stem().string();
  std::smatch m;
  return std::regex_search(stem, m, re) ? m[2].str() : "";
}

std::string find_config_dir() {
  auto has_configs = [](const fs::path& d) { return fs::is_regular_file(d / "yolov8.toml"); };
  if (const char* env = std::getenv("YE_CONFIG_DIR")) {
    YE_CHECK(has_configs(env), "YE_CONFIG_DIR='", env, "' holds no yolov8.toml");
    return env;
  }
  if (has_configs("configs")) return "configs";
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path d = exe.parent_path();
    for (int up = 0; up < 5 && !d.empty(); ++up, d = d.parent_path()) {
      if (has_configs(d / "configs")) return (d / "configs").string();
      if (d == d.parent_path()) break;
    }
  }
  YE_FAIL("cannot find the model configs folder (configs/yolov8.toml): set YE_CONFIG_DIR");
}

namespace {

// "yolov8" / "yolo11" family of a model name or stem such as "yolov8s" or "yolo11n-custom"; "" if none.
std::string builtin_family(const std::string& stem) {
  static const std::regex re("^(yolov8|yolo11)[nslmx]?$");
  std::smatch m;
  return std::regex_match(stem, m, re) ? m[1].str() : "";
}

ModelSpec from_builtin(const std::string& family, const std::string& stem, int nc, const std::string& scale,
                       const std::string& config_dir) {
  std::string dir = config_dir.empty() ? find_config_dir() : config_dir;
  std::string s = !scale.empty() ? scale : guess_model_scale(stem);
  return build_model_spec(parse_model_toml((fs::path(dir) / (family + ".toml")).string()), s, nc, stem);
}

}  // namespace

ModelSpec load_model_spec(const std::string& model, int nc, const std::string& scale, const std::string& config_dir) {
  YE_CHECK(!model.empty(), "--model is empty (expected e.g. yolov8s, yolo11n or a .toml/.yaml path)");
  fs::path p(model);
  std::string ext = p.extension().string();
  std::string stem = p.stem().string();
  if (ext == ".toml" || ext == ".yaml" || ext == ".yml") {
    std::string s = !scale.empty() ? scale : guess_model_scale(model);
    if (fs::is_regular_file(p)) return build_model_spec(parse_model_config(model), s, nc, stem);
    std::string unified = std::regex_replace(model, std::regex("(\\d+)([nslmx])(.+)?$"), "$1$3");
    if (unified != model && fs::is_regular_file(unified))
      return build_model_spec(parse_model_config(unified), s, nc, stem);
    std::string family = builtin_family(stem);
    YE_CHECK(!family.empty(), "model config '", model, "' does not exist");
    return from_builtin(family, stem, nc, s, config_dir);
  }
  std::string family = builtin_family(model);
  YE_CHECK(!family.empty(), "unknown model '", model,
           "' (expected yolov8n/s/m/l/x, yolo11n/s/m/l/x or a path to a .toml/.yaml model config)");
  return from_builtin(family, model, nc, scale, config_dir);
}

}  // namespace ye::yolo

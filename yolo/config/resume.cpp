// args.yaml reader (yaml-cpp), resume merge and latest-checkpoint search; see resume.h.
#include "yolo/config/resume.h"

#include <yaml-cpp/yaml.h>

#include "kernels/error.h"

namespace ye::yolo {

TrainArgs train_args_from_yaml(std::string_view yaml_text, const std::filesystem::path& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw Error(source.string() + ": " + e.what());
  }
  if (!root.IsMap()) throw Error(source.string() + ": expected a mapping of settings");
  TrainArgs args = default_train_args();
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (key == "save_dir") continue;
    const YAML::Node& v = kv.second;
    std::string text;
    if (v.IsNull()) {
      text = "None";
    } else if (v.IsSequence()) {
      text = "[";
      for (size_t i = 0; i < v.size(); ++i) text += (i ? "," : "") + v[i].as<std::string>();
      text += "]";
    } else if (v.IsScalar()) {
      text = v.as<std::string>();
      if (text.empty()) text = "''";  // '' in YAML: an empty string, not None
    } else {
      throw Error(source.string() + ": setting '" + key + "' has an unsupported value");
    }
    try {
      set_train_arg_exact(args, key, text);
    } catch (const Error& e) {
      throw Error(source.string() + ": " + e.what());
    }
  }
  return args;
}

TrainArgs resume_train_args(const TrainArgs& saved, const ParsedTrainArgs& cli,
                            const std::filesystem::path& last_checkpoint) {
  TrainArgs args = saved;
  args.model = last_checkpoint.string();
  args.resume = BoolOrText{false, last_checkpoint.string()};
  // The keys of resume_command_line_keys().
  if (cli.given("imgsz")) args.imgsz = cli.args.imgsz;
  if (cli.given("batch")) args.batch = cli.args.batch;
  if (cli.given("device")) args.device = cli.args.device;
  if (cli.given("close_mosaic")) args.close_mosaic = cli.args.close_mosaic;
  if (!args.data.empty() && !std::filesystem::exists(args.data)) args.data = cli.args.data;
  return args;
}

std::filesystem::path latest_checkpoint(const std::filesystem::path& runs_dir) {
  namespace fs = std::filesystem;
  fs::path best;
  fs::file_time_type best_time{};
  std::error_code ec;
  if (fs::is_directory(runs_dir, ec))
    for (auto it = fs::recursive_directory_iterator(runs_dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      const fs::path& p = it->path();
      std::string name = p.filename().string();
      bool weights_file = p.extension() == ".pt" || p.extension() == ".safetensors";
      bool state_file = name.size() > 18 && name.compare(name.size() - 18, 18, ".state.safetensors") == 0;
      if (!it->is_regular_file() || name.rfind("last", 0) != 0 || !weights_file || state_file) continue;
      auto t = it->last_write_time();
      if (best.empty() || t > best_time) best = p, best_time = t;
    }
  if (best.empty()) throw Error("--resume: no last*.pt / last*.safetensors checkpoint found under " + runs_dir.string() + " (the runs folder, relative to the working directory); pass --resume path/to/weights/last.safetensors");
  return best;
}

}  // namespace ye::yolo

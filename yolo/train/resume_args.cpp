// Resolution of `yolo train --resume [checkpoint]` into the resumed run's settings (see resume_args.h).
#include "yolo/train/resume_args.h"

#include "kernels/error.h"
#include "yolo/config/resume.h"
#include "yolo/run/atomic_file.h"
#include "yolo/train/checkpoint.h"

namespace ye::yolo {

std::filesystem::path resume_search_dir(const ParsedTrainArgs& cli) {
  return cli.given("project") && !cli.args.project.empty() ? std::filesystem::path(cli.args.project)
                                                            : std::filesystem::path("runs");
}

std::filesystem::path resume_checkpoint(const ParsedTrainArgs& cli) {
  const BoolOrText& r = cli.args.resume;
  YE_CHECK(r.enabled(), "resume_checkpoint: --resume was not given");
  if (r.is_text()) {
    YE_CHECK(std::filesystem::is_regular_file(r.text), "--resume ", r.text,
             ": no such checkpoint file (pass weights/last.safetensors of a run, or --resume alone for the latest)");
    return r.text;
  }
  return latest_checkpoint(resume_search_dir(cli));
}

TrainArgs resumed_train_args(const ParsedTrainArgs& cli, const std::filesystem::path& checkpoint) {
  TrainState info = read_train_state_info(checkpoint);
  std::filesystem::path source = state_path_for(checkpoint);
  std::string yaml = info.args_yaml;
  if (yaml.empty()) {  // a state without saved settings: the run's args.yaml
    source = run_dir_of_checkpoint(checkpoint) / "args.yaml";
    YE_CHECK(std::filesystem::exists(source), "cannot resume from ", checkpoint.string(),
             ": neither its training state nor ", source.string(), " holds the run's settings");
    yaml = read_file(source);
  }
  return resume_train_args(train_args_from_yaml(yaml, source), cli, checkpoint);
}

std::vector<std::string> ignored_resume_keys(const ParsedTrainArgs& cli) {
  // Besides the settings a resume may change: the flag itself, where to search, and a data file to
  // use when the saved one no longer exists.
  std::vector<std::string> out;
  for (const auto& k : cli.explicit_keys)
    if (!key_given(resume_command_line_keys(), k) && k != "resume" && k != "project" && k != "data") out.push_back(k);
  return out;
}

}  // namespace ye::yolo

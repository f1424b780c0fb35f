// Reading settings back for --resume: args.yaml (ours or the reference's) into TrainArgs, the
// reference's resume merge (the run's saved settings win, except imgsz, batch, device and
// close_mosaic given on the command line), and the latest weights/last*.pt under a runs folder.
//   TrainArgs saved = train_args_from_yaml(read_file(run / "args.yaml"), run / "args.yaml");
//   TrainArgs args = resume_train_args(saved, cli, last_pt);
#pragma once
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "yolo/config/train_args.h"

namespace ye::yolo {

// Parses args.yaml text on top of the defaults. save_dir is skipped; an unknown key or a bad value
// throws ye::Error naming `source` and the key.
TrainArgs train_args_from_yaml(std::string_view yaml_text, const std::filesystem::path& source);

// The settings of a resumed run: `saved` with model = resume = last_checkpoint, plus the
// command line's imgsz, batch, device and close_mosaic when given there. When the saved data
// file no longer exists, the command line's data is used.
TrainArgs resume_train_args(const TrainArgs& saved, const ParsedTrainArgs& cli,
                            const std::filesystem::path& last_checkpoint);
// The settings a command line may change in a resumed run (imgsz, batch, device, close_mosaic).
inline const std::vector<std::string>& resume_command_line_keys() {
  static const std::vector<std::string> keys{"imgsz", "batch", "device", "close_mosaic"};
  return keys;
}

// The most recently written last*.pt or last*.safetensors (training states *.state.safetensors
// excluded) anywhere under `runs_dir` (what `--resume` with no path resumes); throws ye::Error naming
// the folder when there is none.
std::filesystem::path latest_checkpoint(const std::filesystem::path& runs_dir = "runs");

// The run folder of a checkpoint (runs/train/exp/weights/last.pt -> runs/train/exp).
inline std::filesystem::path run_dir_of_checkpoint(const std::filesystem::path& checkpoint) {
  return checkpoint.parent_path().parent_path();
}

}  // namespace ye::yolo
